/** Read, Write and Grep carried out by the host on the skill's view, after the guard allowed each path. */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { AsporaError } from '@aspora/sdk';
import type { PermissionGuard } from '../policy/guard.ts';
import { toHost, toVisible, type SkillView, type VisiblePath } from '../policy/view.ts';

const MAX_READ = 8 * 1024 * 1024;
const MAX_GREP_FILES = 2_000;
const MAX_GREP_HITS = 1_000;

async function hostPath(guard: PermissionGuard, view: SkillView, v: VisiblePath, mustExist = true): Promise<string> {
  const p = await toHost(view, v, mustExist);
  // A symlink that leads out of the area is refused exactly like the path it points to.
  if (!p) throw guard.deny(v.path, 'resolves outside the skill\'s view (symlink or missing area)');
  return p;
}

export async function readTool(guard: PermissionGuard, view: SkillView, path: string): Promise<string> {
  guard.tool('Read');
  const v = guard.path(path, 'read');
  const p = await hostPath(guard, view, v);
  const s = await stat(p).catch(() => undefined);
  if (!s?.isFile()) throw new AsporaError('NOT_FOUND', `no file ${v.path}`);
  if (s.size > MAX_READ) throw new AsporaError('PAYLOAD_TOO_LARGE', `${v.path} is larger than ${MAX_READ} bytes`);
  return readFile(p, 'utf8');
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
  const p = await hostPath(guard, view, v, false);
  await writeFile(p, content);
  return null;
}

export async function grepTool(guard: PermissionGuard, view: SkillView, pattern: unknown, path?: unknown): Promise<Array<{ path: string; line: number; text: string }>> {
  guard.tool('Grep');
  if (typeof pattern !== 'string' || pattern.length > 1000) throw new AsporaError('BAD_REQUEST', 'grep: pattern must be a string of at most 1000 characters');
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (e) {
    throw new AsporaError('BAD_REQUEST', `grep: ${(e as Error).message}`);
  }
  const start = guard.path(typeof path === 'string' && path ? path : '/skill', 'read');
  const hits: Array<{ path: string; line: number; text: string }> = [];
  let files = 0;
  const walk = async (v: VisiblePath): Promise<void> => {
    if (hits.length >= MAX_GREP_HITS || files >= MAX_GREP_FILES) return;
    const p = await toHost(view, v);
    if (!p) return;
    const s = await stat(p).catch(() => undefined);
    if (!s) return;
    if (s.isDirectory()) {
      for (const name of (await readdir(p)).sort()) {
        const child = toVisible(`${v.path}/${name}`);
        // Every file is checked on its own: a blocked file inside an allowed folder stays unread.
        if (child && guard.resources.check(child).allowed) await walk(child);
      }
    } else if (s.isFile() && s.size <= MAX_READ) {
      files++;
      const lines = (await readFile(p, 'utf8')).split('\n');
      for (let i = 0; i < lines.length && hits.length < MAX_GREP_HITS; i++) if (re.test(lines[i]!)) hits.push({ path: v.path, line: i + 1, text: lines[i]!.slice(0, 500) });
    }
  };
  await walk(start);
  return hits;
}
