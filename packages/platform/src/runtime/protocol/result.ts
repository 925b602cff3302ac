/** What a handler may return: the SkillResult of the SDK, checked at the boundary. */
import { z } from 'zod';
import type { SkillResult } from '@aspora/sdk';

export const SkillResultSchema = z.object({
  success: z.boolean(),
  message: z.string(),
  data: z.record(z.string(), z.unknown()).nullish(),
  confidence: z.number().min(0).max(1).nullish(),
});

export function parseResult(v: unknown): { ok: true; result: SkillResult } | { ok: false; why: string } {
  const r = SkillResultSchema.safeParse(v);
  if (!r.success)
    return { ok: false, why: r.error.issues.map((i) => `${i.path.join('.') || 'result'}: ${i.message}`).join('; ') };
  const { success, message, data, confidence } = r.data;
  return {
    ok: true,
    result: { success, message, ...(data ? { data } : {}), ...(confidence != null ? { confidence } : {}) },
  };
}
