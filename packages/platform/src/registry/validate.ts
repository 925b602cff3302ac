import { AsporaError } from '@aspora/sdk';
import { isSlug } from './ref.ts';
import type { RegisterVersionInput } from './types.ts';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

function bad(path: string, message: string, hint: string): never {
  throw new AsporaError('BAD_REQUEST', `${path}: ${message}`, { hint, details: { path } });
}

/**
 * Cheap structural checks with actionable hints. The config parser upstream validates the
 * full aspora.config.yaml; these guard the registry's own invariants (and the DB CHECKs back them).
 */
export function validateRegisterInput(input: RegisterVersionInput): void {
  if (!isSlug(input.domain))
    bad(
      'domain',
      `"${input.domain}" is not a valid domain`,
      'use lower-case letters, digits and single hyphens (e.g. fraud)',
    );
  if (!isSlug(input.name))
    bad(
      'name',
      `"${input.name}" is not a valid skill name`,
      'use lower-case letters, digits and single hyphens (e.g. block-transaction)',
    );
  if (input.role !== null && !isSlug(input.role))
    bad(
      'role',
      `"${input.role}" is not a valid role`,
      'use a lower-case word such as manager, field or admin, or null',
    );
  if (!DIGEST.test(input.bundle?.digest ?? ''))
    bad('bundle.digest', 'must be sha256:<64 hex chars>', 'pass the digest computed by the bundle builder');
  if (!Number.isSafeInteger(input.bundle.size) || input.bundle.size < 0)
    bad('bundle.size', 'must be a non-negative integer', 'pass the bundle size in bytes');
  if (!Number.isSafeInteger(input.bundle.fileCount) || input.bundle.fileCount < 0)
    bad('bundle.fileCount', 'must be a non-negative integer', 'pass the number of files in the bundle');
  if (!['public', 'private', 'internal'].includes(input.visibility))
    bad('visibility', `"${input.visibility}" is not allowed`, 'use public, private or internal');
  const r = input.runtime;
  if (!['typescript', 'python', 'go'].includes(r?.language))
    bad('runtime.language', `"${r?.language}" is not supported`, 'use typescript, python or go');
  if (!r.entryPoint) bad('runtime.entryPoint', 'is required', 'set runtime.entry_point, e.g. code/handler.ts');
  if (!(r.timeoutMs > 0) || !Number.isInteger(r.timeoutMs))
    bad('runtime.timeoutMs', 'must be a positive integer', 'set runtime.timeout, e.g. 30s');
  if (!(r.memoryMb > 0) || !Number.isInteger(r.memoryMb))
    bad('runtime.memoryMb', 'must be a positive integer', 'set runtime.memory, e.g. 512MB');
  if (!(r.cpu > 0)) bad('runtime.cpu', 'must be positive', 'set runtime.cpu, e.g. 0.5');
  if (typeof input.description !== 'string') bad('description', 'is required', 'set skill.description');
  if (!input.search || typeof input.search.name !== 'string')
    bad('search', 'is required', 'pass search fields derived from the config');
  input.triggers.forEach((t, i) => {
    if (!['message', 'cron', 'alert', 'command'].includes(t.type))
      bad(`triggers[${i}].type`, `"${t.type}" is not a trigger type`, 'use message, cron, alert or command');
    if (t.type === 'cron' && !t.schedule)
      bad(`triggers[${i}].schedule`, 'is required for cron triggers', 'add a cron expression, e.g. "0 * * * *"');
  });
  input.permissions.forEach((p, i) => {
    if (typeof p.value !== 'string' || p.value === '')
      bad(`permissions[${i}].value`, 'must be a non-empty string', 'name the tool, api, secret or resource');
  });
}
