import { Option, type Command } from 'commander';
import { common, type CommandContext } from '../program.ts';
import { bold, dim, printJson, table, yellow } from '../output.ts';
import { parseSkillRef as parseRef, type SkillSummary as Summary } from '@aspora/api';

const envChoice = () =>
  new Option('--env <environment>', 'only skills deployed there').choices(['staging', 'production']);
const oneLine = (s: string, n = 70) => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
};
const envs = (e: Summary['environments']) =>
  [e.staging ? `staging ${e.staging}` : '', e.production ? `prod ${e.production}` : ''].filter(Boolean).join(', ') ||
  dim('not deployed');

export function registerDiscovery(program: Command, ctx: CommandContext): void {
  common(
    program
      .command('list')
      .description('List skills, optionally by domain and role')
      .option('--domain <domain>', 'e.g. ecm')
      .option('--role <role>', 'e.g. field')
      .addOption(envChoice())
      .option('--limit <n>', 'at most n skills', '100'),
  ).action(async (opts: { domain?: string; role?: string; env?: string; limit: string }, cmd: Command) => {
    const res = await ctx.client(cmd).listSkills({
      query: {
        domain: opts.domain,
        role: opts.role,
        environment: opts.env as 'staging' | 'production' | undefined,
        limit: opts.limit,
      },
    });
    if (ctx.globals(cmd).json) return printJson(res);
    if (!res.skills.length) return void process.stderr.write('no skills match\n');
    const rows = [['SKILL', 'ROLE', 'LATEST', 'DEPLOYED', 'DESCRIPTION'].map(bold)];
    for (const s of res.skills)
      rows.push([s.ref, s.role ?? '-', s.latestVersion ?? '-', envs(s.environments), oneLine(s.description, 60)]);
    process.stdout.write(`${table(rows)}\n`);
  });

  common(
    program
      .command('search')
      .description('Search skills by meaning; each result says why it matched')
      .argument('<query...>', 'what you want done, e.g. "block a suspicious payment"')
      .option('--domain <domain>', 'only this domain')
      .option('--role <role>', 'only this role')
      .addOption(envChoice())
      .option('--limit <n>', 'at most n results', '5'),
  ).action(
    async (words: string[], opts: { domain?: string; role?: string; env?: string; limit: string }, cmd: Command) => {
      const q = words.join(' ');
      const res = await ctx.client(cmd).searchSkills({
        query: {
          q,
          domain: opts.domain,
          role: opts.role,
          environment: opts.env as 'staging' | 'production' | undefined,
          limit: opts.limit,
        },
      });
      if (ctx.globals(cmd).json) return printJson(res);
      if (!res.hits.length) return void process.stderr.write(`no skill matches "${q}"\n`);
      res.hits.forEach((h, i) => {
        process.stdout.write(
          `${i + 1}. ${bold(h.skill.ref)}${h.skill.role ? dim(` (${h.skill.role})`) : ''}  score ${h.score.toFixed(2)}\n`,
        );
        process.stdout.write(`   ${oneLine(h.skill.description, 100)}\n`);
        const why = h.why
          .map((w) =>
            w.terms.length ? `${w.field}: ${w.terms.join(', ')}` : `${w.field}${w.detail ? ` ${w.detail}` : ''}`,
          )
          .join('; ');
        if (why) process.stdout.write(`   ${dim(`why: ${why}`)}\n`);
      });
    },
  );

  common(
    program
      .command('show')
      .description('Show a skill: versions, environments, deployment history, triggers and permissions')
      .argument('<skill>', 'domain/name or domain/role/name'),
  ).action(async (skill: string, _opts: unknown, cmd: Command) => {
    const ref = parseRef(skill);
    const api = ctx.client(cmd);
    const d = await api.getSkill({ params: ref });
    // Releases in flight: the environment's pointer names stable while a canary takes a share.
    const inFlight = (await api.listReleases({ params: ref, query: { limit: 4 } })).releases.filter(
      (r) => r.status === 'active' || r.status === 'proposed',
    );
    if (ctx.globals(cmd).json) return printJson({ ...d, releases: inFlight });
    const s = d;
    const out: string[] = [];
    out.push(`${bold(s.ref)}${s.role ? `  role ${s.role}` : ''}  owner ${s.ownerTeam ?? '-'}  ${s.visibility}`);
    out.push(oneLine(s.description, 200), '');
    out.push(bold('Environments'));
    const release = (env: string) => {
      const r = inFlight.find((x) => x.environment === env);
      if (!r) return '';
      const what = r.mode === 'shadow' ? 'in shadow' : `at ${r.percentage}%`;
      return yellow(`  + canary ${r.canaryVersion} ${what} (release #${r.id}, ${r.status}; aspora releases ${s.ref})`);
    };
    out.push(
      `  staging     ${s.environments.staging ?? dim('-')}${release('staging')}`,
      `  production  ${s.environments.production ?? dim('-')}${release('production')}`,
      '',
    );
    out.push(bold('Versions'));
    for (const v of d.versions)
      out.push(
        `  ${v.version.padEnd(12)} ${dim(`${v.digest.slice(0, 19)}…  ${v.createdAt}${v.createdBy ? `  by ${v.createdBy}` : ''}`)}`,
      );
    if (d.deployments.length) {
      out.push('', bold('History'));
      for (const h of d.deployments.slice(0, 10))
        out.push(
          `  ${h.createdAt}  ${h.environment.padEnd(10)} ${h.action.padEnd(8)} ${h.previousVersion ?? '-'} → ${h.version}${h.actor ? dim(`  by ${h.actor}`) : ''}`,
        );
    }
    out.push('', bold('Triggers'));
    if (!d.triggers.length) out.push(dim('  none'));
    for (const t of d.triggers) {
      const what = t.patterns.length
        ? t.patterns.map((p) => `"${p}"`).join(', ')
        : t.schedule
          ? `${t.schedule}${t.timezone ? ` (${t.timezone})` : ''}`
          : '';
      out.push(
        `  ${t.type.padEnd(8)} ${what || t.sources.join(', ')}${t.channels.length ? dim(`  on ${t.channels.join(', ')}`) : ''}`,
      );
    }
    out.push('', bold('Permissions'));
    const byKind = new Map<string, string[]>();
    for (const p of d.permissions) byKind.set(p.kind, [...(byKind.get(p.kind) ?? []), p.value]);
    if (!byKind.size) out.push(dim('  none'));
    for (const [k, vals] of byKind) out.push(`  ${k.padEnd(17)} ${vals.join(', ')}`);
    process.stdout.write(`${out.join('\n')}\n`);
  });
}
