import { Option, type Command } from 'commander';
import { common, type CommandContext } from '../program.ts';
import { green, printJson } from '../output.ts';
import { parseSkillRef as parseRef } from '@aspora/api';

export function registerRollback(program: Command, ctx: CommandContext): void {
  common(
    program
      .command('rollback')
      .description('Move an environment back to the version it ran before (or to --to <version>)')
      .argument('<skill>', 'domain/name or domain/role/name')
      .addOption(
        new Option('--env <environment>', 'environment').choices(['staging', 'production']).default('production'),
      )
      .option('--to <version>', 'roll back to this registered version'),
  ).action(async (skill: string, opts: { env: 'staging' | 'production'; to?: string }, cmd: Command) => {
    const ref = parseRef(skill);
    const dep = await ctx
      .client(cmd)
      .rollback({ params: ref, body: { environment: opts.env, ...(opts.to ? { toVersion: opts.to } : {}) } });
    if (ctx.globals(cmd).json) printJson(dep);
    else process.stderr.write(`${green('✓')} ${opts.env}: ${ref.id} ${dep.previousVersion ?? '?'} → ${dep.version}\n`);
  });
}
