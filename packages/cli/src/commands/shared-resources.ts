/**
 * `aspora shared-resources`: a domain's shared folder as versioned bundles. register packs the folder
 * exactly as a skill folder is packed (.asporaignore, regular files only, no links, the same limits:
 * it fails here before uploading what the platform would refuse); list shows the versions.
 */
import type { Command } from 'commander';
import { packFolder } from '@aspora/platform/bundle';
import { common, type CommandContext } from '../program.ts';
import { bold, dim, formatBytes, green, printJson, table } from '../output.ts';

export function registerSharedResources(program: Command, ctx: CommandContext): void {
  const shared = program
    .command('shared-resources')
    .description("A domain's shared folder (mounted read-only under /shared) as versioned bundles");

  common(
    shared
      .command('register')
      .description(
        'Upload a domain’s shared folder as a new version: skill versions registered from now on run with it (admins, or a team owning a skill of the domain)',
      )
      .argument('<domain>', 'the domain, e.g. ecm')
      .requiredOption('--path <folder>', 'the shared folder, e.g. examples/skills/ecm/shared')
      .option('--version <semver>', 'label this version with a semver (default: the next number)')
      .addHelpText('after', '\nExample:\n  aspora shared-resources register ecm --path examples/skills/ecm/shared'),
  ).action(async (domain: string, opts: { path: string; version?: string }, cmd: Command) => {
    const packed = await packFolder(opts.path);
    const r = await ctx.client(cmd).registerSharedResources({
      params: { domain },
      query: opts.version ? { version: opts.version } : {},
      body: packed.bytes,
    });
    if (ctx.globals(cmd).json) return printJson(r);
    process.stderr.write(
      r.created
        ? `${green('✓')} ${domain} shared resources version ${bold(r.version)} registered ${dim(`(${r.fileCount} files, ${formatBytes(r.size)}, ${r.digest.slice(0, 19)}…)`)}\n` +
            `${dim('  skill versions registered from now on run with it; deploy a new version of a skill to give it these files')}\n`
        : `${domain} shared resources: this content is already version ${bold(r.version)}; nothing changed\n`,
    );
  });

  common(
    shared
      .command('list')
      .description("A domain's shared-resource versions, newest (current) first")
      .argument('<domain>', 'the domain'),
  ).action(async (domain: string, _o: unknown, cmd: Command) => {
    const r = await ctx.client(cmd).listSharedResources({ params: { domain } });
    if (ctx.globals(cmd).json) return printJson(r);
    if (!r.versions.length)
      return void process.stderr.write(
        `${domain} has no registered shared resources (its skills see the host folder, if the platform has one)\n`,
      );
    process.stdout.write(
      `${table([
        [bold('VERSION'), bold('FILES'), bold('SIZE'), bold('REGISTERED'), bold('BY'), bold('DIGEST')],
        ...r.versions.map((v, i) => [
          i === 0 ? `${v.version} (current)` : v.version,
          String(v.fileCount),
          formatBytes(v.size),
          v.createdAt,
          v.createdBy ?? '–',
          `${v.digest.slice(0, 19)}…`,
        ]),
      ])}\n`,
    );
  });
}
