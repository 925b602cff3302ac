import ignore from 'ignore';

/** Never shipped, whatever .asporaignore says: VCS data, dependency trees, caches, local platform state. */
export const ALWAYS_IGNORED: readonly string[] = [
  '.git',
  'node_modules/',
  '.DS_Store',
  '__pycache__/',
  '*.pyc',
  '.aspora/',
];

export type IgnoreTest = (relPath: string, isDir: boolean) => boolean;

/**
 * The test used while walking, with gitignore's semantics (the `ignore` package, as ESLint and
 * Prettier use it): `#` comments, `!` negation, a trailing `/` for directories only, a slash
 * elsewhere anchors to the root, `**`. Case-sensitive, as git is on Linux. Built-in rules are a
 * matcher of their own, so a user's `!` cannot bring them back; a file inside an ignored directory
 * cannot be re-included (the walker prunes the directory — gitignore's behaviour too).
 */
export function createIgnore(userPatterns: Iterable<string> = []): IgnoreTest {
  const builtIn = ignore({ ignorecase: false }).add([...ALWAYS_IGNORED]);
  const user = ignore({ ignorecase: false }).add([...userPatterns]);
  return (relPath, isDir) => {
    // gitignore tells a directory by its trailing slash.
    const p = isDir ? `${relPath}/` : relPath;
    return builtIn.ignores(p) || user.ignores(p);
  };
}
