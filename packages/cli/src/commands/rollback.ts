import { Option, type Command } from 'commander';
import { common, type CommandContext } from '../program.ts';
import { green, printJson } from '../output.ts';
import { parseSkillRef as parseRef } from '@aspora/api';
import { releaseLine } from './releases.ts';

export function registerRollback(program: Command, ctx: CommandContext): void {
  common(
    program
      .command('rollback')
      .description(
        'With a release in flight: end it (all traffic back to stable). Otherwise move an environment back to the version it ran before (or to --to <version>)',
      )
      .argument('<skill>', 'domain/name or domain/role/name')
      .addOption(
        new Option('--env <environment>', 'environment').choices(['staging', 'production']).default('production'),
      )
      .option('--to <version>', 'roll back to this registered version')
      .addHelpText(
        'after',
        '\nExamples:\n  aspora rollback ecm/field/my-tickets --env production   # ends a canary in flight, else moves back\n  aspora rollback fraud/block-transaction --to 1.1.0',
      ),
  ).action(async (skill: string, opts: { env: 'staging' | 'production'; to?: string }, cmd: Command) => {
    const ref = parseRef(skill);
    const dep = await ctx
      .client(cmd)
      .rollback({ params: ref, body: { environment: opts.env, ...(opts.to ? { toVersion: opts.to } : {}) } });
    if (ctx.globals(cmd).json) printJson(dep);
    else if (dep.release) process.stderr.write(`${green('✓')} ${releaseLine(dep.release)}\n`);
    else process.stderr.write(`${green('✓')} ${opts.env}: ${ref.id} ${dep.previousVersion ?? '?'} → ${dep.version}\n`);
  });
}
