/**
 * A host file tool's failure as the handler and the caller see it: a typed error naming the path
 * in the sandbox (/scratch/…) and never the host path behind it (a Node fs error's message has it).
 */
import { AsporaError } from '@aspora/sdk';
import type { PermissionGuard } from '../policy/guard.ts';
import type { VisiblePath } from '../policy/view.ts';

export function fsError(e: unknown, tool: string, v: VisiblePath, guard: PermissionGuard): AsporaError {
  if (e instanceof AsporaError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  const p = v.path;
  switch (code) {
    case 'ENOENT':
      return new AsporaError('NOT_FOUND', `${tool}: no file or folder ${p}`);
    case 'ENOTDIR':
      return new AsporaError('NOT_FOUND', `${tool}: ${p}: a part of the path is not a folder`);
    case 'EISDIR':
      return new AsporaError('BAD_REQUEST', `${tool}: ${p} is a folder`);
    case 'ELOOP':
      return guard.deny(p, 'symlinks in /scratch are not followed');
    case 'EACCES':
    case 'EPERM':
      return guard.deny(p, 'its file mode does not allow it', 'change its mode in the sandbox (Bash: chmod u+rw …)');
    case 'ENXIO':
    case 'ENODEV':
    case 'EAGAIN':
      return new AsporaError('BAD_REQUEST', `${tool}: ${p} is not a regular file (a FIFO, socket or device)`);
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EFBIG':
      return new AsporaError('PAYLOAD_TOO_LARGE', `${tool}: no space left for ${p}`, {
        hint: "a worker's /scratch counts against its memory (runtime.memory); files are at most 64 MB",
      });
    case 'ENAMETOOLONG':
      return new AsporaError('BAD_REQUEST', `${tool}: a name in ${p} is too long`);
    case 'EROFS':
      return guard.deny(p, 'it is read-only');
    case 'EMFILE':
    case 'ENFILE':
      return new AsporaError('UNAVAILABLE', `${tool}: the platform has too many open files`, {
        hint: 'try again in a moment',
      });
    default:
      return new AsporaError('INTERNAL', `${tool} of ${p} failed${code ? ` (${code})` : ''}`);
  }
}
