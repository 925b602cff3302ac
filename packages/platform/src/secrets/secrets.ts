/**
 * The secrets vault: values a skill's handler or an API's auth may use, resolved on the host only.
 * A skill receives just the secrets it declares (permissions.secrets) that the vault has; API
 * credentials never reach a handler at all — the host adds them to the outgoing request; the
 * vault refuses them to handlers (`reserved`) even when a skill declares one.
 * Sources, for a skill's handler: its owner team's own secret (the encrypted vault, team-secrets.ts)
 * first, then the platform's: values fixed by the embedder, aspora.platform.yaml `secrets:`
 * (env / file / value), then ASPORA_SECRET_<NAME>. Another team's secret never reaches it.
 */
import { readFileSync } from 'node:fs';
import type { PlatformFile, SecretSource } from '../config/platform-file.ts';
import type { SecretValue } from './redactor.ts';
import type { TeamSecrets } from './team-secrets.ts';
import type { PlatformSealed } from './platform-sealed.ts';

/** The secrets the platform itself uses (API auth, model provider keys, notifiers): never a handler's. */
export function platformCredentialNames(f: PlatformFile): Set<string> {
  // The Slack channel's credentials (docs/slack.md): the platform's, never a handler's.
  const names = new Set<string>(['SLACK_SIGNING_SECRET', 'SLACK_BOT_TOKEN']);
  for (const a of Object.values(f.apis)) if ('secret' in a.auth) names.add(a.auth.secret);
  for (const p of Object.values(f.providers)) if (p.api_key_secret) names.add(p.api_key_secret);
  if (f.notifiers.pagerduty) names.add(f.notifiers.pagerduty.routing_key_secret);
  if (f.notifiers.email?.password_secret) names.add(f.notifiers.email.password_secret);
  for (const t of Object.values(f.teams)) if (t.pagerduty_routing_key_secret) names.add(t.pagerduty_routing_key_secret);
  return names;
}

export class SecretVault {
  constructor(
    private readonly sources: Record<string, SecretSource> = {},
    private readonly env: NodeJS.ProcessEnv = process.env,
    /** Fixed values (tests, embedded use); win over the platform's other sources. */
    private readonly fixed: Record<string, string> = {},
    /** The platform's own credentials (platformCredentialNames): pick() never hands them out. */
    readonly reserved: ReadonlySet<string> = new Set(),
    /** Teams' own secrets (the encrypted vault); without it, handlers get the platform's only. */
    readonly teams?: TeamSecrets,
    /** The platform's credentials sealed in the vault (`{ sealed: true }` sources). */
    readonly sealed?: PlatformSealed,
  ) {}

  /** The same vault with some values fixed on top (tests, embedded use). */
  withFixed(values: Record<string, string>): SecretVault {
    return new SecretVault(
      this.sources,
      this.env,
      { ...this.fixed, ...values },
      this.reserved,
      this.teams,
      this.sealed,
    );
  }

  get(name: string): string | undefined {
    if (name in this.fixed) return this.fixed[name];
    const s = this.sources[name];
    if (s) {
      if ('value' in s) return s.value;
      if ('sealed' in s) return this.sealed?.get(name);
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

  /**
   * The names of the secrets a handler can be given (never a value): declared sources, fixed ones
   * and ASPORA_SECRET_<NAME> variables, less the platform's own credentials.
   */
  names(): string[] {
    const env = Object.keys(this.env)
      .filter((k) => k.startsWith('ASPORA_SECRET_') && this.env[k] !== undefined)
      .map((k) => k.slice('ASPORA_SECRET_'.length));
    const all = new Set([...Object.keys(this.sources), ...Object.keys(this.fixed), ...env]);
    return [...all].filter((n) => n && !this.reserved.has(n)).sort();
  }

  /** name → value for the names the vault has, for a handler; absent and reserved ones are left out. */
  pick(names: readonly string[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (const n of names) {
      if (this.reserved.has(n)) continue;
      const v = this.get(n);
      if (v !== undefined) out[n] = v;
    }
    return out;
  }

  /**
   * name → value for a handler of a skill owned by `team`: the team's own secret where it has one,
   * else the platform's (pick). Reserved names never; no team (an unowned skill), the platform's only.
   * A declared secret of the team that does not open fails the run rather than fall back silently.
   */
  async forSkill(team: string | null, names: readonly string[]): Promise<Record<string, string>> {
    const wanted = names.filter((n) => !this.reserved.has(n));
    const own = team && this.teams && wanted.length ? await this.teams.values(team) : undefined;
    const out: Record<string, string> = {};
    for (const n of wanted) {
      const v = own?.get(n) ?? this.pick([n])[n];
      if (typeof v === 'object') throw v;
      if (v !== undefined) out[n] = v;
    }
    return out;
  }

  /** The values of the reserved secrets the vault has (to scrub them from what is recorded). */
  reservedValues(): SecretValue[] {
    const values: SecretValue[] = [];
    for (const name of this.reserved) {
      const value = this.get(name);
      if (value) values.push({ name, value });
    }
    return values;
  }
}
