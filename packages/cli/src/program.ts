/**
 * What every command shares: the global options, the API client built from them, and `common`,
 * which adds the options each subcommand accepts. Commands import this, never main.ts (which
 * imports them).
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { createClient, type AsporaClient } from '@aspora/api/client';
import { credentialsPath, savedToken } from './credentials.ts';

export interface GlobalOptions {
  json: boolean;
  url: string;
  token?: string;
}

export interface CommandContext {
  /** Global options merged with the subcommand's own (--json works before or after the subcommand). */
  globals(cmd: Command): GlobalOptions;
  /** The token the command sends, and where it came from (resolveToken). */
  token(cmd: Command): ResolvedToken;
  client(cmd: Command): AsporaClient;
}

export interface ResolvedToken {
  token?: string;
  /** `option`: --token; `env`: ASPORA_TOKEN; `file`: the credentials file's entry for the URL. */
  from: 'option' | 'env' | 'file' | 'none';
  /** The credentials file, when the token came from it. */
  file?: string;
}

/** Adds the options every subcommand accepts. */
export function common(cmd: Command, api = true): Command {
  cmd.option('--json', 'machine-readable output on stdout: exactly one JSON document');
  if (api) {
    cmd
      .option('--url <url>', 'platform API URL (env ASPORA_URL)')
      .option('--token <token>', 'API token (env ASPORA_TOKEN; else the one aspora login kept for --url)');
  }
  return cmd;
}

/**
 * --json, --url and --token as the command sees them: given after the subcommand (its own) or
 * before it (the program's); the nearest given wins, then the program's defaults (env, 4000).
 */
export function globalOptions(cmd: Command): GlobalOptions {
  const chain: Command[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) chain.push(c);
  const pick = <T>(key: keyof GlobalOptions): T | undefined => {
    for (const c of chain)
      if (c.getOptionValue(key) !== undefined && c.getOptionValueSource(key) !== 'default')
        return c.getOptionValue(key) as T;
    return chain.at(-1)!.getOptionValue(key) as T | undefined;
  };
  const token = pick<string>('token');
  return { json: Boolean(pick<boolean>('json')), url: pick<string>('url')!, ...(token ? { token } : {}) };
}

/** True when --token was given on the command line (before or after the subcommand), not taken from ASPORA_TOKEN. */
export function tokenOptionGiven(cmd: Command): boolean {
  for (let c: Command | null = cmd; c; c = c.parent) if (c.getOptionValueSource('token') === 'cli') return true;
  return false;
}

/**
 * --token, then ASPORA_TOKEN, then the token `aspora login` saved for --url: the file is read only
 * when neither is given, so a broken file does not stop a command that was handed its token.
 */
export function resolveToken(cmd: Command): ResolvedToken {
  const g = globalOptions(cmd);
  if (g.token) return { token: g.token, from: tokenOptionGiven(cmd) ? 'option' : 'env' };
  const saved = savedToken(g.url);
  return saved ? { token: saved, from: 'file', file: credentialsPath() } : { from: 'none' };
}

export function commandContext(): CommandContext {
  const ctx: CommandContext = {
    globals: globalOptions,
    token: resolveToken,
    client: (cmd) => {
      const g = ctx.globals(cmd);
      return createClient({ url: g.url, token: ctx.token(cmd).token, actor: actor() });
    },
  };
  return ctx;
}

function actor(): string {
  try {
    return process.env.ASPORA_ACTOR ?? userInfo().username;
  } catch {
    return 'unknown';
  }
}
