/**
 * What every command shares: the global options, the API client built from them, and `common`,
 * which adds the options each subcommand accepts. Commands import this, never main.ts (which
 * imports them).
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { createClient, type AsporaClient } from '@aspora/api/client';

export interface GlobalOptions {
  json: boolean;
  url: string;
  token?: string;
}

export interface CommandContext {
  /** Global options merged with the subcommand's own (--json works before or after the subcommand). */
  globals(cmd: Command): GlobalOptions;
  client(cmd: Command): AsporaClient;
}

/** Adds the options every subcommand accepts. */
export function common(cmd: Command, api = true): Command {
  cmd.option('--json', 'machine-readable output on stdout: exactly one JSON document');
  if (api) {
    cmd.option('--url <url>', 'platform API URL (env ASPORA_URL)').option('--token <token>', 'API token (env ASPORA_TOKEN)');
  }
  return cmd;
}

export function commandContext(program: Command): CommandContext {
  const ctx: CommandContext = {
    globals: (cmd) => {
      const merged = cmd.optsWithGlobals<Partial<GlobalOptions>>();
      const root = program.opts<GlobalOptions>();
      const token = merged.token ?? root.token;
      return { json: Boolean(merged.json ?? root.json), url: merged.url ?? root.url, ...(token ? { token } : {}) };
    },
    client: (cmd) => {
      const g = ctx.globals(cmd);
      return createClient({ url: g.url, token: g.token, actor: actor() });
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
