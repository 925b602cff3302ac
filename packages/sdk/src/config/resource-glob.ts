/**
 * The glob grammar of shared_resources / blocked_resources, and its translation to an RE2 regular
 * expression. The host matches these globs against paths a handler chooses, so the grammar is kept
 * to what an RE2 automaton matches in linear time: `*`, `**`, `?`, `[...]` and literals. Extglobs,
 * braces, groups and negation are refused — backtracking matchers (picomatch's JS regexes) are
 * exponential on `*(a*)*(a*)b` and polynomial on `*a*a*a*b`, and the handler picks the path.
 * Validation (the SDK) and matching (the platform, through re2js) use this one translation.
 */

/** Longer globs (as written in aspora.config.yaml) are refused: no resource path needs more, and match cost grows with the pattern. */
export const MAX_RESOURCE_GLOB_LENGTH = 512;

export class ResourceGlobError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/**
 * The RE2 source (anchored, `.` matching newlines) for a glob already joined to the source tree,
 * e.g. `ecm/shared/queries/**`. Throws ResourceGlobError for anything outside the grammar.
 * Paths it is matched against are normalised: no `.`/`..` segments, no empty or trailing segment.
 */
export function resourceGlobSource(glob: string): string {
  const segs = segments(glob).filter((s, i, all) => !(s === GLOBSTAR && all[i - 1] === GLOBSTAR));
  let out = '';
  segs.forEach((s, i) => {
    if (s === GLOBSTAR) {
      // `**` as a whole segment is zero or more segments: a/** matches a itself, a/**/b matches a/b.
      out += segs.length === 1 ? '.*' : i === segs.length - 1 ? '(?:/.*)?' : i === 0 ? '(?:.*/)?' : '/(?:.*/)?';
      return;
    }
    if (i > 0 && segs[i - 1] !== GLOBSTAR) out += '/';
    out += s;
  });
  return `(?s)^${out}$`;
}

const GLOBSTAR = Symbol('**');

/** The glob's segments, each translated to RE2 (or GLOBSTAR for a segment that is only `**`). */
function segments(text: string): Array<string | typeof GLOBSTAR> {
  const glob = [...text]; // code points: a class of one emoji is one member
  const out: Array<string | typeof GLOBSTAR> = [];
  let cur = '';
  let onlyStars = true;
  let stars = 0;
  const end = () => {
    out.push(onlyStars && stars >= 2 ? GLOBSTAR : cur);
    cur = '';
    onlyStars = true;
    stars = 0;
  };
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '/') {
      end();
      continue;
    }
    if (c === '*') {
      // `*` (and `**` inside a segment) is any run of characters but /.
      const from = i;
      while (glob[i + 1] === '*') i++;
      stars += i - from + 1;
      cur += '[^/]*';
      continue;
    }
    onlyStars = false;
    if (c === '(' && i > 0 && '?*+@!'.includes(glob[i - 1]!)) {
      throw new ResourceGlobError(
        'extglobs such as *(…), +(…), ?(…), @(…) and !(…) are not allowed',
        'list each path, or use *, ** and ? (see docs/skill-format.md)',
      );
    }
    if (c === '{' || c === '}')
      throw new ResourceGlobError('braces ({a,b}, {1..3}) are not allowed', 'write one entry per alternative');
    if (c === '(' || c === ')' || c === '|')
      throw new ResourceGlobError(
        'parentheses and | are not allowed',
        'write one entry per alternative; a literal ( or ) is written [(] or [)]',
      );
    if (c === '\\')
      throw new ResourceGlobError(
        'a backslash is not allowed',
        'separate folders with /; a special character is matched literally inside [ ], e.g. [*]',
      );
    if (c === '?') {
      cur += '[^/]';
    } else if (c === '[') {
      const close = classEnd(glob, i);
      cur += charClass(glob.slice(i + 1, close));
      i = close;
    } else {
      cur += literal(c);
    }
  }
  end();
  return out;
}

/** Index of the `]` closing the class opened at `open`; a `]` right after `[`, `[!` or `[^` is a member. */
function classEnd(s: string[], open: number): number {
  let j = open + 1;
  if (s[j] === '!' || s[j] === '^') j++;
  if (s[j] === ']') j++;
  const end = s.indexOf(']', j);
  if (end < 0) throw new ResourceGlobError('unclosed [ in pattern', 'close the character class with ]');
  return end;
}

function charClass(body: string[]): string {
  const negated = body[0] === '!' || body[0] === '^';
  const members = negated ? body.slice(1) : body;
  if (members.length === 0)
    throw new ResourceGlobError('empty character class []', 'put the characters to match between [ and ]');
  if (members.includes('/'))
    throw new ResourceGlobError(
      'a character class cannot match /',
      'a class matches one character of a name; separate folders with / outside it',
    );
  if (members.includes('\\'))
    throw new ResourceGlobError(
      'a backslash is not allowed in a character class',
      'list the characters themselves, e.g. [*?]',
    );
  if (members.some((c, i) => c === '[' && members[i + 1] === ':'))
    throw new ResourceGlobError(
      'POSIX classes such as [[:alpha:]] are not allowed',
      'list the characters or a range, e.g. [a-z0-9]',
    );
  let out = '';
  for (let i = 0; i < members.length; i++) {
    const c = members[i]!;
    // c-x is a range when both ends are there; a - first or last is literal.
    const to = members[i + 1] === '-' ? members[i + 2] : undefined;
    if (to !== undefined) {
      if (c.codePointAt(0)! > to.codePointAt(0)!)
        throw new ResourceGlobError(`range ${c}-${to} is backwards`, 'write the lower character first, e.g. [a-z]');
      out += `${literal(c)}-${literal(to)}`;
      i += 2;
    } else {
      out += literal(c);
    }
  }
  // A negated class never matches /, as * and ? do not.
  return negated ? `[^/${out}]` : `[${out}]`;
}

/** RE2 accepts a backslash before any ASCII punctuation; letters, digits and non-ASCII stand as they are. */
function literal(c: string): string {
  return /[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]/.test(c) ? `\\${c}` : c;
}
