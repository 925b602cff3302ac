/** The `aspora` command. Every subcommand has --help and --json and exits non-zero with a clear message on failure. */
import { Command, CommanderError } from 'commander';
import { commandContext, type GlobalOptions } from './program.ts';
import { printError, printJson } from './output.ts';
import { registerCreate } from './commands/create.ts';
import { registerValidate } from './commands/validate.ts';
import { registerDeploy } from './commands/deploy.ts';
import { registerDiscovery } from './commands/discovery.ts';
import { registerRollback } from './commands/rollback.ts';
import { registerReleases } from './commands/releases.ts';
import { registerDiff } from './commands/diff.ts';
import { registerUp } from './commands/up.ts';
import { registerRun } from './commands/run.ts';
import { registerRuns } from './commands/runs.ts';
import { registerTriggers } from './commands/triggers.ts';
import { registerTest } from './commands/test.ts';
import { registerBudget } from './commands/budget.ts';
import { registerObserve } from './commands/observe.ts';
import { registerTrace } from './commands/trace.ts';
import { registerAudit } from './commands/audit.ts';
import { registerLogin } from './commands/login.ts';
import { registerTeams, registerUsers } from './commands/teams.ts';
import { registerTokens } from './commands/tokens.ts';
import { registerPlatformSecrets, registerSecrets } from './commands/secrets.ts';
import { registerSend } from './commands/send.ts';
import { registerSharedResources } from './commands/shared-resources.ts';
import { registerState } from './commands/state.ts';

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
    .option(
      '--token <token>',
      'API token, sent as Authorization: Bearer (env ASPORA_TOKEN; else the one aspora login kept for --url)',
      process.env.ASPORA_TOKEN,
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  const ctx = commandContext();
  registerCreate(program, ctx);
  registerValidate(program, ctx);
  registerDeploy(program, ctx);
  registerDiscovery(program, ctx);
  registerRollback(program, ctx);
  registerReleases(program, ctx);
  registerDiff(program, ctx);
  registerRun(program, ctx);
  registerRuns(program, ctx);
  registerTriggers(program, ctx);
  registerTest(program, ctx);
  registerBudget(program, ctx);
  registerObserve(program, ctx);
  registerTrace(program, ctx);
  registerAudit(program, ctx);
  registerSecrets(program, ctx);
  registerPlatformSecrets(program, ctx);
  registerSend(program, ctx);
  registerSharedResources(program, ctx);
  registerState(program, ctx);
  registerUp(program, ctx);
  registerLogin(program, ctx);
  registerTeams(program, ctx);
  registerUsers(program, ctx);
  registerTokens(program, ctx);
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
      process.exitCode =
        e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
      // With --json a usage error is a document too, so a script parsing stdout always gets one.
      if (process.exitCode === 2 && argv.includes('--json'))
        printJson({
          error: { code: 'BAD_REQUEST', message: e.message.replace(/^error: /, ''), hint: 'run with --help for usage' },
        });
      return;
    }
    printError(e, { json: program.opts<GlobalOptions>().json || argv.includes('--json') });
    process.exitCode = 1;
  }
}
