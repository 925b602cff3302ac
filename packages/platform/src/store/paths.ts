import { AsporaError } from './errors.ts';

export type FileMode = 0o644 | 0o755;

/** Only the executable bit survives: owner/umask differences must not change the bundle bytes. */
export function normaliseMode(mode: number | undefined): FileMode {
  return mode !== undefined && (mode & 0o111) !== 0 ? 0o755 : 0o644;
}

/** Byte order of the UTF-8 encoding (JS `<` compares UTF-16 code units, which differs for astral chars). */
export function comparePathBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Linux's NAME_MAX; and a whole path short enough to sit below the bundle folder within PATH_MAX. */
export const MAX_NAME_BYTES = 255;
export const MAX_PATH_BYTES = 1024;

/**
 * An entry name as an error quotes it: the uploader chose it, so it is cut short (a pax path may be
 * megabytes) and escaped, C1 controls too (JSON.stringify leaves those), before it reaches a log or a terminal.
 */
export function quoteEntry(path: string): string {
  const cut = path.length > 160 ? `${path.slice(0, 120)}…(${path.length} characters)` : path;
  return JSON.stringify(cut).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function invalid(path: string, why: string): AsporaError {
  return new AsporaError('BUNDLE_INVALID', `bundle entry ${quoteEntry(path)} ${why}`, {
    hint: `bundle paths must be relative POSIX paths inside the skill folder (no "/" prefix, "..", "\\" or NUL; names up to ${MAX_NAME_BYTES} bytes, paths up to ${MAX_PATH_BYTES}); rebuild the bundle with \`aspora pack\``,
    details: { entry: quoteEntry(path) },
  });
}

/**
 * Validates a canonical bundle path: relative, POSIX separators, no empty/"."/".." segments.
 * Anything that could resolve outside the extraction root is refused rather than normalised.
 */
export function checkBundlePath(path: string): string {
  if (path.length === 0) throw invalid(path, 'has an empty path');
  if (path.includes('\0')) throw invalid(path, 'contains a NUL byte');
  if (path.includes('\\')) throw invalid(path, 'contains a backslash');
  if (path.startsWith('/')) throw invalid(path, 'is an absolute path');
  if (/^[A-Za-z]:/.test(path)) throw invalid(path, 'starts with a drive letter');
  for (const seg of path.split('/')) {
    if (seg === '..') throw invalid(path, 'contains a ".." segment');
    if (seg === '' || seg === '.') throw invalid(path, 'is not a normalised path (empty or "." segment)');
  }
  // Accepted names must be writable where the runtime unpacks them (ENAMETOOLONG there failed every run).
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_PATH_BYTES) throw invalid(path, `is longer than ${MAX_PATH_BYTES} bytes (${bytes})`);
  if (path.split('/').some((seg) => Buffer.byteLength(seg) > MAX_NAME_BYTES))
    throw invalid(path, `has a name longer than ${MAX_NAME_BYTES} bytes`);
  return path;
}

/** Tar entry names from common tools look like "./a/b" and dirs end in "/"; strip those, then check strictly. */
export function normaliseEntryName(raw: string, isDir: boolean): string {
  let p = raw;
  while (p.startsWith('./')) p = p.slice(2);
  if (isDir) while (p.endsWith('/')) p = p.slice(0, -1);
  if (isDir && p === '' && !raw.startsWith('/')) return ''; // the "./" root entry itself
  return checkBundlePath(p);
}

export { invalid as invalidEntry };

/**
 * Rejects layouts that cannot be extracted faithfully: a file that is also a directory,
 * or a file nested under another file ("a" and "a/b").
 */
export function checkNoConflicts(
  files: ReadonlySet<string> | ReadonlyMap<string, unknown>,
  dirs: ReadonlySet<string> = new Set(),
): void {
  const has = (p: string) => files.has(p);
  const check = (p: string) => {
    for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) {
      const parent = p.slice(0, i);
      if (has(parent)) throw invalid(p, `is inside ${JSON.stringify(parent)}, which is a file`);
    }
  };
  for (const d of dirs) {
    if (has(d)) throw invalid(d, 'is both a file and a directory');
    check(d);
  }
  for (const f of files.keys()) check(f);
}
