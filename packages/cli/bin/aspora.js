#!/usr/bin/env node
// Runs the TypeScript sources through tsx's loader: no build step between a clone and a working CLI.
// Plain-JS dependencies load first, outside the loader (see @aspora/sdk/preload): faster start-up.
import { register } from 'tsx/esm/api';

await import(process.argv.includes('up') ? '@aspora/platform/preload' : '@aspora/sdk/preload');
register();
const { main } = await import('../src/main.ts');
await main(process.argv);
