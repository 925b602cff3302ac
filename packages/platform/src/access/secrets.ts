/**
 * The secrets vault: values a skill's handler or an API's auth may use, resolved on the host only.
 * A skill receives just the secrets it declares (permissions.secrets) that the vault has; API
 * credentials never reach a handler at all — the host adds them to the outgoing request.
 * Sources: aspora.platform.yaml `secrets:` (env / file / value), then ASPORA_SECRET_<NAME>.
 */
import { readFileSync } from 'node:fs';
import type { SecretSource } from '../config/platform-file.ts';

export class SecretVault {
  constructor(
    private readonly sources: Record<string, SecretSource> = {},
    private readonly env: NodeJS.ProcessEnv = process.env,
    /** Fixed values (tests, embedded use); win over everything else. */
    private readonly fixed: Record<string, string> = {},
  ) {}

  /** The same vault with some values fixed on top (tests, embedded use). */
  withFixed(values: Record<string, string>): SecretVault {
    return new SecretVault(this.sources, this.env, { ...this.fixed, ...values });
  }

  get(name: string): string | undefined {
    if (name in this.fixed) return this.fixed[name];
    const s = this.sources[name];
    if (s) {
      if ('value' in s) return s.value;
      if ('env' in s) return this.env[s.env];
      try {
        // Read per use: a rotated file (Kubernetes secret volume) takes effect without a restart.
        return readFileSync(s.file, 'utf8').replace(/\r?\n$/, '');
      } catch {
        return undefined;
      }
    }
    return this.env[`ASPORA_SECRET_${name}`];
  }

  /** name → value for the names the vault has; absent ones are left out. */
  pick(names: readonly string[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (const n of names) {
      const v = this.get(n);
      if (v !== undefined) out[n] = v;
    }
    return out;
  }
}
