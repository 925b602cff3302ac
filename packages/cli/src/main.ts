/** The `aspora` command. Every subcommand has --help and --json and exits non-zero with a clear message on failure. */
import { Command, CommanderError } from 'commander';
import { ApiClient } from './client.ts';
import { printError } from './output.ts';
import { registerCreate } from './commands/create.ts';
import { registerValidate } from './commands/validate.ts';
import { registerDeploy } from './commands/deploy.ts';
import { registerDiscovery } from './commands/discovery.ts';
import { registerRollback } from './commands/rollback.ts';
import { registerUp } from './commands/up.ts';
import { registerRun } from './commands/run.ts';
import { registerTest } from './commands/test.ts';
import { registerBudget } from './commands/budget.ts';
import { registerObserve } from './commands/observe.ts';
import { registerTrace } from './commands/trace.ts';

export interface GlobalOptions {
  json: boolean;
  url: string;
  token?: string;
}

export interface CommandContext {
  /** Global options merged with the subcommand's own (--json works before or after the subcommand). */
  globals(cmd: Command): GlobalOptions;
  client(cmd: Command): ApiClient;
}

/** Adds the options every subcommand accepts. */
export function common(cmd: Command, api = true): Command {
  cmd.option('--json', 'machine-readable output on stdout');
  if (api) {
    cmd.option('--url <url>', 'platform API URL (env ASPORA_URL)').option('--token <token>', 'API token (env ASPORA_TOKEN)');
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
  const pick = <T,>(key: keyof GlobalOptions): T | undefined => {
    for (const c of chain) if (c.getOptionValue(key) !== undefined && c.getOptionValueSource(key) !== 'default') return c.getOptionValue(key) as T;
    return chain.at(-1)!.getOptionValue(key) as T | undefined;
  };
  const token = pick<string>('token');
  return { json: Boolean(pick<boolean>('json')), url: pick<string>('url')!, ...(token ? { token } : {}) };
}

export function buildProgram(): Command {
  const program = new Command('aspora')
    .description('Build, test, deploy, run and monitor LLM skills on an Aspora platform.')
    .version('0.1.0')
    // Program options count only before the subcommand: `run … --version 1.2.0` is run's own
    // --version, not the CLI's (which printed 0.1.0 and exited 0 doing nothing). The options every
    // subcommand shares (--json, --url, --token) are declared on each by common().
    .enablePositionalOptions()
    .option('--json', 'machine-readable output on stdout', false)
    .option('--url <url>', 'platform API URL (env ASPORA_URL)', process.env.ASPORA_URL ?? 'http://127.0.0.1:4000')
    .option('--token <token>', 'API token, sent as Authorization: Bearer (env ASPORA_TOKEN)', process.env.ASPORA_TOKEN)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  const ctx: CommandContext = {
    globals: globalOptions,
    client: (cmd) => {
      const g = ctx.globals(cmd);
      return new ApiClient({ url: g.url, token: g.token });
    },
  };
  registerCreate(program, ctx);
  registerValidate(program, ctx);
  registerDeploy(program, ctx);
  registerDiscovery(program, ctx);
  registerRollback(program, ctx);
  registerRun(program, ctx);
  registerTest(program, ctx);
  registerBudget(program, ctx);
  registerObserve(program, ctx);
  registerTrace(program, ctx);
  registerUp(program, ctx);
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const cmd of all(program).slice(1)) cmd.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are successes; usage errors were already printed by commander.
      process.exitCode = e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
      return;
    }
    printError(e, { json: program.opts<GlobalOptions>().json || argv.includes('--json') });
    process.exitCode = 1;
  }
}
