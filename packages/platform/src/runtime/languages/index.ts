/** The adapter of each handler language. */
import { AsporaError } from '@aspora/sdk';
import type { Language, LanguageAdapter } from './types.ts';
import { typescriptAdapter } from './typescript.ts';

// Python and Go adapters register here as their SDKs land (sdks/python, sdks/go).
const adapters = new Map<Language, () => Promise<LanguageAdapter>>([['typescript', async () => typescriptAdapter]]);

export function adapterFor(language: string): LanguageAdapter {
  const load = adapters.get(language as Language);
  if (!load) throw new AsporaError('UNAVAILABLE', `this platform cannot run ${language} handlers yet`, { hint: 'TypeScript handlers run today; the Python and Go runtimes are in progress' });
  // Adapters load lazily (the Go one spawns the toolchain only when used); wrap the promise.
  return {
    language: language as Language,
    prepare: async (o) => (await load()).prepare(o),
    prepareTests: async (o) => (await load()).prepareTests(o),
  };
}
