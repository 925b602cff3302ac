/**
 * Read, Write and Grep carried out by the host on the skill's view, after the guard allowed each
 * path. The bundle and shared folders are immutable for the sandbox: their paths are resolved
 * (symlinks included) and proven to stay inside. /scratch is writable by the handler, so there
 * nothing is followed at all (open-beneath.ts). Grep's regular expressions run on RE2 (linear
 * time): a pattern cannot stall the platform's event loop.
 */
import { constants } from 'node:fs';
import { open, readdir, type FileHandle } from 'node:fs/promises';
import { RE2JS } from 're2js';
import { AsporaError } from '@aspora/sdk';
import type { PermissionGuard } from '../policy/guard.ts';
import { toHost, toVisible, type SkillView, type VisiblePath } from '../policy/view.ts';
import { Escape, openBeneath } from './open-beneath.ts';

const MAX_READ = 8 * 1024 * 1024;
const MAX_GREP_FILES = 2_000;
const MAX_GREP_HITS = 1_000;
const { O_RDONLY, O_WRONLY, O_CREAT, O_TRUNC } = constants;

/** An open file or folder of the view, or null when the path does not exist. */
async function openVisible(guard: PermissionGuard, view: SkillView, v: VisiblePath, flags: number): Promise<FileHandle | null> {
  try {
    if (v.area === 'scratch') return await openBeneath(view.scratchDir, v.rel, flags);
    const p = await toHost(view, v, (flags & O_CREAT) === 0);
    // A symlink that leads out of the area is refused exactly like the path it points to.
    if (!p) throw guard.deny(v.path, "resolves outside the skill's view (symlink or missing area)");
    return await open(p, flags);
  } catch (e) {
    if (e instanceof Escape) throw guard.deny(v.path, 'symlinks in /scratch are not followed');
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    if (code === 'EISDIR') throw new AsporaError('BAD_REQUEST', `${v.path} is a folder`);
    throw e;
  }
}

export async function readTool(guard: PermissionGuard, view: SkillView, path: string): Promise<string> {
  guard.tool('Read');
  const v = guard.path(path, 'read');
  const fh = await openVisible(guard, view, v, O_RDONLY);
  if (!fh) throw new AsporaError('NOT_FOUND', `no file ${v.path}`);
  try {
    const s = await fh.stat();
    if (!s.isFile()) throw new AsporaError('NOT_FOUND', `no file ${v.path}`);
    if (s.size > MAX_READ) throw new AsporaError('PAYLOAD_TOO_LARGE', `${v.path} is larger than ${MAX_READ} bytes`);
    return await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
}

export async function writeTool(guard: PermissionGuard, view: SkillView, path: string, content: unknown): Promise<null> {
  guard.tool('Write');
  const v = guard.path(path, 'write');
  if (typeof content !== 'string') throw new AsporaError('BAD_REQUEST', 'write: content must be a string');
  const size = Buffer.byteLength(content);
  if (view.writeBudget) {
    if (size > view.writeBudget.bytes) throw new AsporaError('PAYLOAD_TOO_LARGE', `write: this execution may write ${view.writeBudget.bytes} more bytes through the Write tool, not ${size}`);
    view.writeBudget.bytes -= size;
  }
  const fh = await openVisible(guard, view, v, O_WRONLY | O_CREAT | O_TRUNC);
  if (!fh) throw new AsporaError('NOT_FOUND', `no folder for ${v.path}`, { hint: 'create the folder first (Bash: mkdir -p), or write to /scratch/<file>' });
  try {
    await fh.writeFile(content);
  } finally {
    await fh.close();
  }
  return null;
}

function compile(pattern: unknown): RE2JS {
  if (typeof pattern !== 'string' || pattern.length > 1000) throw new AsporaError('BAD_REQUEST', 'grep: pattern must be a string of at most 1000 characters');
  try {
    return RE2JS.compile(pattern);
  } catch (e) {
    throw new AsporaError('BAD_REQUEST', `grep: ${(e as Error).message}`, { hint: 'RE2 syntax: no backreferences or lookaround' });
  }
}

export async function grepTool(guard: PermissionGuard, view: SkillView, pattern: unknown, path?: unknown): Promise<Array<{ path: string; line: number; text: string }>> {
  guard.tool('Grep');
  const re = compile(pattern);
  const start = guard.path(typeof path === 'string' && path ? path : '/skill', 'read');
  const hits: Array<{ path: string; line: number; text: string }> = [];
  let files = 0;
  const walk = async (v: VisiblePath): Promise<void> => {
    if (hits.length >= MAX_GREP_HITS || files >= MAX_GREP_FILES) return;
    const fh = await openVisible(guard, view, v, O_RDONLY).catch((e) => (e instanceof AsporaError && e.code === 'PERMISSION_DENIED' ? null : Promise.reject(e)));
    if (!fh) return;
    let names: string[] | undefined;
    let text: string | undefined;
    try {
      const s = await fh.stat();
      if (s.isDirectory()) names = (await readdir(`/proc/self/fd/${fh.fd}`)).sort();
      else if (s.isFile() && s.size <= MAX_READ) text = await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
    for (const name of names ?? []) {
      const child = toVisible(`${v.path}/${name}`);
      // Every file is checked on its own: a blocked file inside an allowed folder stays unread.
      if (child && guard.resources.check(child).allowed) await walk(child);
    }
    if (text !== undefined) {
      files++;
      const lines = text.split('\n');
      for (let i = 0; i < lines.length && hits.length < MAX_GREP_HITS; i++) if (re.matcher(lines[i]!).find()) hits.push({ path: v.path, line: i + 1, text: lines[i]!.slice(0, 500) });
    }
  };
  await walk(start);
  return hits;
}

