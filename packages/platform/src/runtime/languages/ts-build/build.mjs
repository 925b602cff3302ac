// Bundles a skill's TypeScript with esbuild. Runs inside the build sandbox (sandbox/build.ts), which
// shows it only the bundle, the modules a handler may import, esbuild and node; this script is the
// layer that gives clear errors: it resolves only inside those folders and reads every file itself
// (no links, regular files only, sizes capped), so /dev/zero, a FIFO or a huge file is an error.
//
// argv: <bundle dir> <output dir> <request JSON>. The request: { sdk, modules, nodePaths, maxFileBytes,
// maxTotalBytes, jobs: [{ entry, out, format: 'cjs' | 'esm' }] }. A 'cjs' job with top-level await
// falls back to an ES module. Writes { jobs: [{ ok, file } | { ok: false, errors }] } to fd 3.
// Plain JavaScript: node runs it as it is, with nothing but esbuild beside it.
import { build } from 'esbuild';
import fs from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [bundleArg, outArg, requestJson] = process.argv.slice(2);
if (!bundleArg || !outArg || !requestJson) throw new Error('usage: build.mjs <bundle dir> <output dir> <request JSON>');
/** @typedef {{ entry: string, out: string, format: 'cjs' | 'esm' }} Job */
/** @type {{ sdk: string, modules: Array<{ dir: string, name: string }>, nodePaths: string[], maxFileBytes: number, maxTotalBytes: number, jobs: Job[] }} */
const req = JSON.parse(requestJson);
const bundle = fs.realpathSync(bundleArg);
const outDir = fs.realpathSync(outArg);
const sdk = fs.realpathSync(req.sdk);
/** Package folders by the name a stack or an error shows them under (node_modules/<name>). */
const modules = req.modules.map((m) => ({ root: fs.realpathSync(m.dir), name: m.name }));
const INNER = Symbol.for('aspora.build.inner');
const MB = 1024 * 1024;

const inside = (/** @type {string} */ p, /** @type {string} */ root) => p === root || p.startsWith(`${root}/`);
/** 'bundle', the module's entry, or undefined: outside everything a build may read. */
const placeOf = (/** @type {string} */ p) => (inside(p, bundle) ? 'bundle' : modules.find((m) => inside(p, m.root)));
/** A path as the skill's author knows it: bundle-relative, node_modules/<name>/…, or nothing of the host. */
/** @param {string} p */
function shown(p) {
  if (inside(p, bundle)) return path.relative(bundle, p) || '.';
  const m = modules.find((x) => inside(p, x.root));
  return m ? path.join('node_modules', m.name, path.relative(m.root, p)) : '(a file outside the bundle)';
}
const quoted = (/** @type {string} */ s) => JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}…` : s);
const OUTSIDE = "outside the skill's bundle";

/** Where a path-like import points, as written (before anything is opened); undefined for a package name. */
/** @param {string} spec @param {string} resolveDir */
function written(spec, resolveDir) {
  if (spec.startsWith('file:')) {
    try {
      return fileURLToPath(spec);
    } catch {
      return '/';
    }
  }
  if (path.isAbsolute(spec)) return path.resolve(spec);
  if (spec === '.' || spec === '..' || spec.startsWith('./') || spec.startsWith('../'))
    return path.resolve(resolveDir, spec);
  return undefined;
}

/** @typedef {{ left: number }} Budget Bytes of imported files the build may still read. */

/** @param {Budget} budget @returns {import('esbuild').Plugin} */
function confine(budget) {
  return {
    name: 'aspora-confine',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (a) => {
        if (a.pluginData?.[INNER] || a.namespace !== 'file') return undefined;
        const spec = a.path;
        if (spec.startsWith('data:')) return undefined; // inline: nothing is read
        if (a.kind !== 'entry-point' && isBuiltin(spec)) return { path: spec, external: true };
        const refuse = (/** @type {string} */ why) => ({ errors: [{ text: `imports ${quoted(spec)}: ${why}` }] });
        const target = written(spec, a.resolveDir);
        if (target !== undefined && !placeOf(target.replace(/[?#].*$/, ''))) return refuse(OUTSIDE);
        const r = await b.resolve(spec, {
          kind: a.kind,
          resolveDir: a.resolveDir,
          importer: a.importer,
          with: a.with,
          pluginData: { [INNER]: true },
        });
        if (r.errors.length > 0) return { errors: r.errors.map((e) => ({ text: clean(e.text) })) };
        if (r.external || r.namespace !== 'file') return refuse('not a file of the bundle');
        const place = placeOf(r.path);
        if (!place) return refuse(OUTSIDE);
        // From the bundle, the platform's modules are reachable only through @aspora/sdk.
        if (place !== 'bundle' && placeOf(a.importer) === 'bundle' && !inside(r.path, sdk)) {
          return refuse("not importable: only @aspora/sdk of the platform's modules is");
        }
        return { path: r.path, sideEffects: r.sideEffects, suffix: r.suffix, pluginData: r.pluginData };
      });
      // Every file esbuild bundles comes through here, glob imports (`import(\`./x/${y}\`)`) included,
      // which esbuild expands without asking onResolve.
      b.onLoad({ filter: /.*/, namespace: 'file' }, (a) => {
        if (!placeOf(a.path)) return { errors: [{ text: `${quoted(path.relative(bundle, a.path))} is ${OUTSIDE}` }] };
        const read = readBounded(a.path, budget);
        if (typeof read === 'string') return { errors: [{ text: `${shown(a.path)} ${read}` }] };
        const type = a.with?.type;
        return {
          contents: read,
          loader: type === 'text' ? 'text' : type === 'json' ? 'json' : type === 'bytes' ? 'binary' : 'default',
        };
      });
    },
  };
}

/** The file's bytes, or why not: opened without following a link or blocking, a regular file, within the caps. */
/** @param {string} file @param {Budget} budget @returns {Buffer | string} */
function readBounded(file, budget) {
  let fd;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = /** @type {NodeJS.ErrnoException} */ (e).code;
    return code === 'ELOOP' ? 'is a symbolic link' : `cannot be read (${code})`;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return 'is not a regular file';
    if (st.size > req.maxFileBytes)
      return `is ${(st.size / MB).toFixed(1)} MB: an imported file may be at most ${req.maxFileBytes / MB} MB`;
    if (budget.left < st.size) return `takes the build past ${req.maxTotalBytes / MB} MB of imported files in all`;
    budget.left -= st.size;
    // One byte more than fstat said: a file that grows while read is refused, not read forever.
    const buf = Buffer.alloc(st.size + 1);
    let n = 0;
    for (let got; n < buf.length && (got = fs.readSync(fd, buf, n, buf.length - n, null)) > 0; ) n += got;
    if (n > st.size) return 'changed while it was read';
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/** Absolute paths in esbuild's own messages, as the author knows them. */
/** @param {string} text */
function clean(text) {
  let t = text.split(`${bundle}/`).join('');
  for (const m of modules) t = t.split(m.root).join(path.join('node_modules', m.name));
  return t;
}

/** Issues reported in all (the report must stay small: an import may be a megabyte long). */
let issueBudget = 50;
/** @param {Array<Partial<import('esbuild').Message> & { text: string }>} messages */
function issues(messages) {
  const out = messages.slice(0, Math.max(issueBudget, 1)).map((m) => {
    const loc = m.location;
    const file = loc?.file ? shown(path.resolve(bundle, loc.file)) : undefined;
    const text = clean(m.text);
    return {
      ...(file && loc ? { file, line: loc.line, column: loc.column + 1 } : {}),
      message: text.length > 1000 ? `${text.slice(0, 1000)}…` : text,
    };
  });
  issueBudget -= out.length;
  return out;
}

/** Source map paths: bundle-relative for the host's stack mapper (CommonJS), /skill/… for node's own (ES module). */
/** @param {string} mapFile @param {'cjs' | 'esm'} format */
function rewriteMap(mapFile, format) {
  const map = JSON.parse(fs.readFileSync(mapFile, 'utf8'));
  map.sources = map.sources.map((/** @type {string} */ s) => {
    const abs = path.resolve(path.dirname(mapFile), s);
    const rel = shown(abs);
    return format === 'esm' && inside(abs, bundle) ? `/skill/${rel}` : rel;
  });
  fs.writeFileSync(mapFile, JSON.stringify(map));
}

/** @param {Job} job @param {'cjs' | 'esm'} format */
async function bundleOne(job, format) {
  const file = `${job.out}.${format === 'cjs' ? 'cjs' : 'mjs'}`;
  const outfile = path.join(outDir, file);
  fs.mkdirSync(path.dirname(outfile), { recursive: true });
  await build({
    entryPoints: [path.join(bundle, job.entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format,
    target: 'node20',
    logLevel: 'silent',
    absWorkingDir: bundle,
    nodePaths: req.nodePaths,
    write: true,
    plugins: [confine({ left: req.maxTotalBytes })],
    // CommonJS: a map file beside it, read by the host when a handler fails (nothing to parse at
    // start). ES module: linked, for node --enable-source-maps.
    sourcemap: format === 'cjs' ? 'external' : 'linked',
    // Bundled CommonJS dependencies may call require(): give the ES module one.
    ...(format === 'esm'
      ? {
          banner: {
            js: "import { createRequire as __asporaRequire } from 'node:module'; const require = __asporaRequire(import.meta.url);",
          },
        }
      : {}),
  });
  rewriteMap(`${outfile}.map`, format);
  return { ok: true, file };
}

const results = [];
for (const job of req.jobs) {
  try {
    results.push(await bundleOne(job, job.format));
  } catch (/** @type {any} esbuild's BuildFailure, or anything thrown */ e) {
    const errors = e.errors ?? [{ text: String(e.message ?? e) }];
    // A handler with top-level await cannot be CommonJS: it stays an ES module.
    if (job.format === 'cjs' && errors.some((/** @type {{ text: string }} */ m) => /top-level await/i.test(m.text))) {
      try {
        results.push(await bundleOne(job, 'esm'));
        continue;
      } catch (/** @type {any} */ e2) {
        results.push({ ok: false, errors: issues(e2.errors ?? [{ text: String(e2.message ?? e2) }]) });
        continue;
      }
    }
    results.push({ ok: false, errors: issues(errors) });
  }
}
fs.writeSync(3, `${JSON.stringify({ jobs: results })}\n`);
process.exit(0);
