#!/usr/bin/env node
// `aspora up` and `aspora test` load the platform's own modules, which run as TypeScript through
// tsx's loader (no build step between a clone and a working CLI). Every other command runs the
// CLI's bundle (bin/bundle.mjs), which starts about twice as fast. ASPORA_CLI_TSX=1 forces tsx.
import { pathToFileURL } from 'node:url';

// A reader that stops early (`aspora … | head`) closes the pipe: that is the end of the output,
// not a crash with a stack trace.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });

// Any argument spelled `up` or `test` counts (an option's value could stand before the command):
// a false match only costs start-up time.
const args = process.argv.slice(2);
const needsPlatform = args.includes('up') || args.includes('test');
const bundle =
  needsPlatform || process.env.ASPORA_CLI_TSX === '1' ? undefined : await (await import('./bundle.mjs')).bundledCli();

if (bundle) {
  const { main } = await import(pathToFileURL(bundle).href);
  await main(process.argv);
} else {
  // Plain-JS dependencies load first, outside the loader (see @aspora/sdk/preload): faster start-up.
  await import(args.includes('up') ? '@aspora/platform/preload' : '@aspora/sdk/preload');
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../src/main.ts');
  await main(process.argv);
}
