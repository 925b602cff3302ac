/**
 * Is bubblewrap usable here, and with which hardening? Checked once per process by running a no-op
 * sandbox the way launches run it: as the sandbox user when the platform is root, under the
 * seccomp filter, and with nested user namespaces disabled where bubblewrap can (0.8.0 and later).
 */
import { closeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { AsporaError } from '@aspora/sdk';
import { hostArchSupported, SECCOMP_FD, seccompFd } from './seccomp.ts';

export type SandboxMode = 'bwrap' | 'unsafe';

/** The host user the sandbox runs as when the platform is root. */
export const SANDBOX_UID = 65534;

/** setpriv to the sandbox user when the platform is root, so a process cap counts and nothing root-owned is readable. */
export function uidDrop(): string[] {
  return process.getuid?.() === 0
    ? ['setpriv', `--reuid=${SANDBOX_UID}`, `--regid=${SANDBOX_UID}`, '--clear-groups', '--']
    : [];
}

export interface SandboxFeatures {
  /** --disable-userns works: no user namespace can be made inside (the seccomp filter also refuses unshare and clone's namespace flags). */
  disableUserns: boolean;
}

export interface BwrapProbe {
  ok: boolean;
  reason?: string;
  features?: SandboxFeatures;
  /** Why a hardening is missing, for the platform's log. */
  warning?: string;
}

let probed: BwrapProbe | undefined;

const NO_USERNS = ['--unshare-user', '--disable-userns', '--assert-userns-disabled'];

export function probeBwrap(): BwrapProbe {
  probed ??= probeSandbox('bwrap');
  return probed;
}

/** Runs the no-op sandbox with `bin` as bubblewrap; probeBwrap() keeps the answer for bwrap. */
export function probeSandbox(bin: string): BwrapProbe {
  if (!hostArchSupported())
    return { ok: false, reason: `the sandbox's seccomp filter covers x86_64 and aarch64 only, not ${process.arch}` };
  const run = (extra: string[]) => {
    const filter = seccompFd();
    try {
      const argv = [
        ...uidDrop(),
        bin,
        '--ro-bind',
        '/',
        '/',
        '--unshare-all',
        '--die-with-parent',
        ...extra,
        '--seccomp',
        String(SECCOMP_FD),
        '/bin/sh',
        '-c',
        ':',
      ];
      return spawnSync(argv[0]!, argv.slice(1), {
        encoding: 'utf8',
        timeout: 5000,
        stdio: ['ignore', 'pipe', 'pipe', 'ignore', filter],
      });
    } finally {
      closeSync(filter);
    }
  };
  try {
    closeSync(seccompFd());
  } catch (e) {
    return { ok: false, reason: `cannot write the sandbox's seccomp program: ${(e as Error).message}` };
  }
  const full = run(NO_USERNS);
  if (full.status === 0) return { ok: true, features: { disableUserns: true } };
  const r = run([]);
  return r.error
    ? {
        ok: false,
        reason:
          (r.error as NodeJS.ErrnoException).code === 'ENOENT'
            ? `${(r.error as NodeJS.ErrnoException).path ?? bin} is not installed`
            : r.error.message,
      }
    : r.status === 0
      ? {
          ok: true,
          features: { disableUserns: false },
          warning: `bubblewrap cannot disable user namespaces in the sandbox (${(full.stderr || `exit ${full.status}`).trim()}); the seccomp filter still refuses unshare, setns and clone's namespace flags. bubblewrap 0.8.0 or later adds --disable-userns`,
        }
      : { ok: false, reason: (r.stderr || `exit ${r.status}`).trim() };
}

/** The hardening the launches use; probes bubblewrap if nothing has yet. */
export function sandboxFeatures(): SandboxFeatures {
  return probeBwrap().features ?? { disableUserns: false };
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
