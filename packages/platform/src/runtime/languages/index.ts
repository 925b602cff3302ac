/** The adapter of each handler language. */
import { AsporaError } from '@aspora/sdk';
import type { Language, LanguageAdapter } from './types.ts';
import { typescriptAdapter } from './typescript.ts';

// Loaded on first use: the Go adapter, for one, is only needed when a Go skill runs.
const adapters = new Map<Language, () => Promise<LanguageAdapter>>([
  ['typescript', async () => typescriptAdapter],
  ['go', async () => (await import('./go.ts')).goAdapter],
  ['python', async () => (await import('./python.ts')).pythonAdapter],
]);

export function adapterFor(language: string): LanguageAdapter {
  const load = adapters.get(language as Language);
  if (!load)
    throw new AsporaError('UNAVAILABLE', `this platform cannot run ${language} handlers yet`, {
      hint: 'runtime.language is one of typescript, python, go',
    });
  // Adapters load lazily (the Go one spawns the toolchain only when used); wrap the promise.
  return {
    language: language as Language,
    prepare: async (o) => (await load()).prepare(o),
    prepareTests: async (o) => (await load()).prepareTests(o),
  };
}
