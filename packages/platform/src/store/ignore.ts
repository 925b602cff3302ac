import picomatch from 'picomatch';

/** Never shipped, whatever .asporaignore says: VCS data, dependency trees, caches, local platform state. */
export const ALWAYS_IGNORED: readonly string[] = ['.git', 'node_modules/', '.DS_Store', '__pycache__/', '*.pyc', '.aspora/'];

interface Rule {
  negate: boolean;
  dirOnly: boolean;
  anchored: boolean;
  match: (s: string) => boolean;
}

export type IgnoreTest = (relPath: string, isDir: boolean) => boolean;

/** Parses gitignore-like lines: `#` comments, `!` negation, trailing `/` = directories only, a slash elsewhere anchors to the root. */
export function parseIgnoreRules(lines: Iterable<string>): Rule[] {
  const rules: Rule[] = [];
  for (const rawLine of lines) {
    let line = rawLine.replace(/\r$/, '').replace(/(?<!\\)\s+$/, '');
    if (line === '' || line.startsWith('#')) continue;
    let negate = false;
    if (line.startsWith('!')) {
      negate = true;
      line = line.slice(1);
    } else if (line.startsWith('\\#') || line.startsWith('\\!')) {
      line = line.slice(1);
    }
    let dirOnly = false;
    while (line.endsWith('/')) {
      dirOnly = true;
      line = line.slice(0, -1);
    }
    if (line === '') continue;
    const anchored = line.includes('/');
    if (line.startsWith('/')) line = line.slice(1);
    rules.push({ negate, dirOnly, anchored, match: picomatch(line, { dot: true }) });
  }
  return rules;
}

function evaluate(rules: Rule[], relPath: string, isDir: boolean): boolean {
  const base = relPath.slice(relPath.lastIndexOf('/') + 1);
  let ignored = false;
  // Last matching rule wins, as in gitignore. Directories are pruned by the walker, so a file
  // inside an ignored directory cannot be re-included (also gitignore's behaviour).
  for (const r of rules) {
    if (r.dirOnly && !isDir) continue;
    if (r.negate === !ignored) continue; // cannot change the outcome
    if (r.match(r.anchored ? relPath : base)) ignored = !r.negate;
  }
  return ignored;
}

/** Builds the test used while walking: built-in rules cannot be negated by user patterns. */
export function createIgnore(userPatterns: Iterable<string> = []): IgnoreTest {
  const builtIn = parseIgnoreRules(ALWAYS_IGNORED);
  const user = parseIgnoreRules(userPatterns);
  return (relPath, isDir) => evaluate(builtIn, relPath, isDir) || evaluate(user, relPath, isDir);
}
