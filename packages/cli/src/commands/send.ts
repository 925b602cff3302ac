/**
 * `aspora send "text"`: a message to the platform, routed to the skill that should answer it
 * (its patterns, search, or a cheap model when the best are close), run, and answered — with
 * which skill and why, or the closest skills when none is sure.
 */
import { Option, type Command } from 'commander';
import { common, type CommandContext } from '../program.ts';
import { bold, dim, printJson, yellow } from '../output.ts';
import { printExecution } from './run.ts';

interface SendOptions {
  as?: string;
  channel: string;
  thread?: string;
  skill?: string;
  env: 'staging' | 'production';
  logs: boolean;
}

export function registerSend(program: Command, ctx: CommandContext): void {
  common(
    program
      .command('send')
      .description(
        'Send a message: the platform routes it to the skill that should answer, runs it and says which skill and why',
      )
      .argument('<text>', 'the message, as a user would type it')
      .option('--as <email>', 'send for this user (a token with the act-as scope, as a channel has)')
      .option(
        '--channel <name>',
        "where it comes from, kept on the execution and matched against triggers' channels (e.g. slack:C0123, api)",
        'web',
      )
      .option('--thread <id>', 'the thread it belongs to')
      .option('--skill <domain/name>', 'route to this skill instead (a re-routing)')
      .addOption(
        new Option('--env <environment>', 'the environment whose skills answer')
          .choices(['staging', 'production'])
          .default('production'),
      )
      .option('--logs', "print the execution's logs too", false)
      .addHelpText(
        'after',
        '\nExit code: 0 when a skill answered successfully, 1 when it failed, 2 when nothing was routed.\n\nExamples:\n  aspora send "my tickets"\n  aspora send "my tickets" --as sarah@example.com --channel slack:C0123\n  aspora send "refund dispute for order 5" --json',
      ),
  ).action(async (text: string, o: SendOptions, cmd: Command) => {
    const a = await ctx.client(cmd).sendMessage({
      body: {
        text,
        environment: o.env,
        ...(o.as ? { user: o.as } : {}),
        // A person typing at a terminal is a chat like the web's: triggers listening on `web` hear
        // it by default (`--channel api` for a program's view, which names no channel).
        ...(o.channel && o.channel !== 'api' ? { channel: o.channel } : {}),
        ...(o.thread ? { thread: o.thread } : {}),
        ...(o.skill ? { skill: o.skill } : {}),
      },
    });
    if (ctx.globals(cmd).json) printJson(a);
    if (!a.routed) {
      if (!ctx.globals(cmd).json) {
        process.stderr.write(`${yellow('!')} ${a.text}\n`);
        for (const c of a.candidates)
          process.stderr.write(`  ${bold(c.skill)} ${dim(`${c.score.toFixed(3)}  ${c.description.slice(0, 100)}`)}\n`);
      }
      process.exitCode = 2;
      return;
    }
    if (!ctx.globals(cmd).json) {
      process.stderr.write(`${dim('→')} ${bold(a.routed.skill)} ${dim(`(${a.routed.stage}: ${a.routed.reason})`)}\n`);
      if (a.execution) printExecution(a.execution, o.logs);
    }
    const res = a.execution?.result as { success?: boolean } | null | undefined;
    if (a.execution?.error || res?.success === false) process.exitCode = 1;
  });
}
