/** Regenerates packages/sdk/schema/aspora.config.schema.json from the zod schema (npm run schema). */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from '../src/config/json-schema.ts';

export const SCHEMA_PATH = fileURLToPath(new URL('../schema/aspora.config.schema.json', import.meta.url));

export function renderSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(SCHEMA_PATH, renderSchema());
  console.log(`wrote ${SCHEMA_PATH}`);
}
