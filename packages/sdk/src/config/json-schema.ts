import { z } from 'zod';
import { SkillConfigSchema } from './schema.ts';

export const CONFIG_SCHEMA_ID = 'https://aspora.dev/schema/aspora.config.schema.json';

/** The JSON Schema editors use to complete and check aspora.config.yaml (input side: defaults are optional). */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(SkillConfigSchema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' });
  return { ...schema, $id: CONFIG_SCHEMA_ID, title: 'aspora.config.yaml' };
}
