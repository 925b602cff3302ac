import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Command, Option } from 'commander';
import { AsporaError } from '@aspora/sdk';
import { common, type CommandContext } from '../program.ts';
import { parseSkillRef as parseRef } from '@aspora/api';
import { green, printJson } from '../output.ts';
import { skillFiles, type Lang } from '../templates/skill.ts';

export function registerCreate(program: Command, ctx: CommandContext): void {
  const create = program.command('create').description('Create things: `aspora create skill <domain>/<name>`');
  common(
    create
      .command('skill')
      .description(
        'Scaffold a skill folder: SKILL.md, DECISIONS.md, GUARDRAILS.md, code/, tests/, assets/, aspora.config.yaml',
      )
      .argument('<ref>', 'domain/name or domain/role/name, e.g. fraud/block-transaction or ecm/field/my-tickets')
      .addOption(
        new Option('--lang <language>', 'handler language')
          .choices(['typescript', 'python', 'go'])
          .default('typescript'),
      )
      .option('--dir <folder>', 'where skills live', 'skills')
      .option('--team <team>', 'owner_team', undefined)
      .option('--force', 'write into an existing folder', false)
      .addHelpText(
        'after',
        '\nExamples:\n  aspora create skill fraud/block-transaction --lang typescript\n  aspora create skill ecm/field/my-tickets --lang python',
      ),
    false,
  ).action((refArg: string, opts: { lang: Lang; dir: string; team?: string; force: boolean }, cmd: Command) => {
    const ref = parseRef(refArg);
    const folder = resolve(opts.dir, ref.domain, ...(ref.role ? [ref.role] : []), ref.name);
    if (existsSync(folder) && !opts.force) {
      throw new AsporaError('BAD_REQUEST', `${relative(process.cwd(), folder) || folder} already exists`, {
        hint: 'choose another name, or pass --force to write into it',
      });
    }
    const files = skillFiles({
      domain: ref.domain,
      ...(ref.role ? { role: ref.role } : {}),
      name: ref.name,
      lang: opts.lang,
      team: opts.team ?? `${ref.domain}-team`,
      schemaRef: schemaRefFrom(folder),
    });
    for (const [path, content] of Object.entries(files)) {
      const full = join(folder, path);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
    }
    const shown = relative(process.cwd(), folder) || '.';
    if (ctx.globals(cmd).json) {
      printJson({ created: shown, ref: ref.id, language: opts.lang, files: Object.keys(files).sort() });
      return;
    }
    process.stderr.write(`${green('✓')} Created ${shown}/\n`);
    for (const f of Object.keys(files).sort()) process.stderr.write(`  ${f}\n`);
    process.stderr.write(`\nNext:\n  aspora validate ${shown}\n  aspora deploy ${shown} --env staging\n`);
  });
}

/** The yaml-language-server line points at the SDK's published schema file, relative to the new folder. */
function schemaRefFrom(folder: string): string {
  try {
    const schema = fileURLToPath(import.meta.resolve('@aspora/sdk/schema.json'));
    return relative(folder, schema).split('\\').join('/');
  } catch {
    return 'https://aspora.dev/schema/aspora.config.schema.json';
  }
}
