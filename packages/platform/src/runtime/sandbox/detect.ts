/** Is bubblewrap usable here? Checked once per process by running a no-op sandbox. */
import { spawnSync } from 'node:child_process';
import { AsporaError } from '@aspora/sdk';

export type SandboxMode = 'bwrap' | 'unsafe';

let probed: { ok: boolean; reason?: string } | undefined;

export function probeBwrap(bin = 'bwrap'): { ok: boolean; reason?: string } {
  if (probed) return probed;
  const r = spawnSync(bin, ['--ro-bind', '/', '/', '--unshare-all', '--die-with-parent', '/bin/sh', '-c', ':'], {
    encoding: 'utf8',
    timeout: 5000,
  });
  probed = r.error
    ? { ok: false, reason: (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'bwrap is not installed' : r.error.message }
    : r.status === 0
      ? { ok: true }
      : { ok: false, reason: (r.stderr || `exit ${r.status}`).trim() };
  return probed;
}

/**
 * bubblewrap when it works; otherwise only with ASPORA_UNSAFE_NO_SANDBOX=1, which the caller must
 * announce loudly. Linux without bwrap and no opt-in refuses to run handlers at all.
 */
export function chooseSandbox(env: NodeJS.ProcessEnv = process.env): SandboxMode {
  const p = probeBwrap();
  if (p.ok) return 'bwrap';
  if (env.ASPORA_UNSAFE_NO_SANDBOX === '1') return 'unsafe';
  throw new AsporaError('SANDBOX_UNAVAILABLE', `cannot sandbox skill handlers: ${p.reason}`, {
    hint: 'install bubblewrap (apt-get install bubblewrap), or for local development only set ASPORA_UNSAFE_NO_SANDBOX=1',
  });
}
