/**
 * Read, Write and Grep carried out by the host on the skill's view, after the guard allowed each
 * path. The bundle and shared folders are immutable for the sandbox: their paths are resolved
 * (symlinks included) and proven to stay inside. /scratch is writable by the handler, so there
 * nothing is followed at all (open-beneath.ts). Grep's regular expressions run on RE2 (linear
 * time): a pattern cannot stall the platform's event loop.
 * What the sandbox made is hostile: every open is non-blocking and then checked by type (a FIFO
 * would hold a thread of libuv's small pool, and with four of them every execution of every skill
 * would wait); reads stop at a size even when the file grows meanwhile; Grep has a budget of bytes
 * and entries; each call has a deadline; a failure names the path in the sandbox, never the host's.
 */
import { constants } from 'node:fs';
import { open, opendir, type FileHandle } from 'node:fs/promises';
import { RE2JS } from 're2js';
import { AsporaError } from '@aspora/sdk';
import type { PermissionGuard } from '../policy/guard.ts';
import { toHost, toVisible, type SkillView, type VisiblePath } from '../policy/view.ts';
import { bounded, readCapped } from './bounded.ts';
import { fsError } from './fs-errors.ts';
import { Escape, openBeneath } from './open-beneath.ts';

const MAX_READ = 8 * 1024 * 1024;
const MAX_GREP_FILES = 2_000;
const MAX_GREP_HITS = 1_000;
/** Bytes Grep reads per call, all files together. */
const MAX_GREP_BYTES = 32 * 1024 * 1024;
/** Folder entries Grep lists per call, and how deep it goes. */
const MAX_GREP_ENTRIES = 20_000;
const MAX_GREP_DEPTH = 32;
const { O_RDONLY, O_WRONLY, O_CREAT, O_NONBLOCK, O_NOFOLLOW } = constants;

/** An open file or folder of the view, or null when the path does not exist. Never blocks. */
async function openVisible(
  guard: PermissionGuard,
  view: SkillView,
  v: VisiblePath,
  flags: number,
): Promise<FileHandle | null> {
  try {
    if (v.area === 'scratch') return await openBeneath(view.scratchDir, v.rel, flags);
    const p = await toHost(view, v, (flags & O_CREAT) === 0);
    // A symlink that leads out of the area is refused exactly like the path it points to.
    if (!p) throw guard.deny(v.path, "resolves outside the skill's view (symlink or missing area)");
    return await open(p, flags | O_NONBLOCK | O_NOFOLLOW);
  } catch (e) {
    if (e instanceof Escape) throw guard.deny(v.path, 'symlinks in /scratch are not followed');
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
}

export function readTool(guard: PermissionGuard, view: SkillView, path: string): Promise<string> {
  guard.tool('Read');
  const v = guard.path(path, 'read');
  return bounded('read', async (d) => {
    try {
      const fh = await openVisible(guard, view, v, O_RDONLY);
      if (!fh) throw new AsporaError('NOT_FOUND', `no file ${v.path}`);
      try {
        const s = await fh.stat();
        if (s.isDirectory())
          throw new AsporaError('BAD_REQUEST', `read: ${v.path} is a folder`, {
            hint: 'Grep lists what is in a folder',
          });
        if (!s.isFile())
          throw new AsporaError('BAD_REQUEST', `read: ${v.path} is not a regular file (a FIFO, socket or device)`);
        const buf = s.size > MAX_READ ? null : await readCapped(fh, MAX_READ, d);
        if (!buf) throw new AsporaError('PAYLOAD_TOO_LARGE', `${v.path} is larger than ${MAX_READ} bytes`);
        return buf.toString('utf8');
      } finally {
        await fh.close();
      }
    } catch (e) {
      throw fsError(e, 'read', v, guard);
    }
  });
}

export function writeTool(guard: PermissionGuard, view: SkillView, path: string, content: unknown): Promise<null> {
  guard.tool('Write');
  const v = guard.path(path, 'write');
  if (typeof content !== 'string') throw new AsporaError('BAD_REQUEST', 'write: content must be a string');
  const size = Buffer.byteLength(content);
  if (view.writeBudget) {
    if (size > view.writeBudget.bytes)
      throw new AsporaError(
        'PAYLOAD_TOO_LARGE',
        `write: this execution may write ${view.writeBudget.bytes} more bytes through the Write tool, not ${size}`,
      );
    view.writeBudget.bytes -= size;
  }
  const done = bounded('write', async () => {
    try {
      // Not truncated at open: only once it is known to be a regular file.
      const fh = await openVisible(guard, view, v, O_WRONLY | O_CREAT);
      if (!fh)
        throw new AsporaError('NOT_FOUND', `no folder for ${v.path}`, {
          hint: 'create the folder first (Bash: mkdir -p), or write to /scratch/<file>',
        });
      try {
        if (!(await fh.stat()).isFile())
          throw new AsporaError('BAD_REQUEST', `write: ${v.path} is not a regular file (a FIFO, socket or device)`);
        await fh.truncate(0);
        await fh.writeFile(content);
      } finally {
        await fh.close();
      }
      return null;
    } catch (e) {
      throw fsError(e, 'write', v, guard);
    }
  });
  view.writes?.add(done);
  done.then(
    () => view.writes?.delete(done),
    () => view.writes?.delete(done),
  );
  return done;
}

function compile(pattern: unknown): RE2JS {
  if (typeof pattern !== 'string' || pattern.length > 1000)
    throw new AsporaError('BAD_REQUEST', 'grep: pattern must be a string of at most 1000 characters');
  try {
    return RE2JS.compile(pattern);
  } catch (e) {
    throw new AsporaError('BAD_REQUEST', `grep: ${(e as Error).message}`, {
      hint: 'RE2 syntax: no backreferences or lookaround',
    });
  }
}

export function grepTool(
  guard: PermissionGuard,
  view: SkillView,
  pattern: unknown,
  path?: unknown,
): Promise<Array<{ path: string; line: number; text: string }>> {
  guard.tool('Grep');
  const re = compile(pattern);
  const start = guard.path(typeof path === 'string' && path ? path : '/skill', 'read');
  return bounded('grep', async (d) => {
    const hits: Array<{ path: string; line: number; text: string }> = [];
    let files = 0;
    let bytes = 0;
    let entries = 0;
    const full = () =>
      hits.length >= MAX_GREP_HITS || files >= MAX_GREP_FILES || bytes >= MAX_GREP_BYTES || entries >= MAX_GREP_ENTRIES;
    const walk = async (v: VisiblePath, depth: number): Promise<void> => {
      d.check();
      if (full()) return;
      const fh = await openVisible(guard, view, v, O_RDONLY);
      if (!fh) return;
      let names: string[] | undefined;
      let text: string | undefined;
      try {
        const s = await fh.stat();
        if (s.isDirectory() && depth < MAX_GREP_DEPTH) {
          names = [];
          for await (const e of await opendir(`/proc/self/fd/${fh.fd}`, { bufferSize: 128 })) {
            if (++entries > MAX_GREP_ENTRIES) break;
            names.push(e.name);
          }
          names.sort();
        } else if (s.isFile() && s.size <= MAX_READ) {
          const buf = await readCapped(fh, Math.min(MAX_READ, MAX_GREP_BYTES - bytes), d);
          if (buf) (bytes += buf.length), (text = buf.toString('utf8'));
          else bytes = MAX_GREP_BYTES; // the budget is spent on a file that grew past it
        }
      } finally {
        await fh.close();
      }
      for (const name of names ?? []) {
        const child = toVisible(`${v.path}/${name}`);
        // Every file is checked on its own: a blocked file inside an allowed folder stays unread.
        // One that cannot be opened (gone, a symlink in /scratch, a socket) is passed over.
        if (child && guard.resources.check(child).allowed)
          await walk(child, depth + 1).catch((e) =>
            e instanceof AsporaError && e.code === 'TIMEOUT' ? Promise.reject(e) : undefined,
          );
      }
      if (text !== undefined) {
        files++;
        const lines = text.split('\n');
        for (let i = 0; i < lines.length && hits.length < MAX_GREP_HITS; i++)
          if (re.matcher(lines[i]!).find()) hits.push({ path: v.path, line: i + 1, text: lines[i]!.slice(0, 500) });
      }
    };
    try {
      await walk(start, 0);
    } catch (e) {
      throw fsError(e, 'grep', start, guard);
    }
    return hits;
  });
}
