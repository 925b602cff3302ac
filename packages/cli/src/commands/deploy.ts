import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { AsporaError } from '@aspora/sdk';
import { common, type CommandContext } from '../program.ts';
import { loadLocalSkill } from '../local-skill.ts';
import { checkSkillAgainstPlatform, fetchOffers, withTeamSecrets } from '../platform-check.ts';
import { formatBytes, printIssues, printJson, Progress } from '../output.ts';
import { parseSkillRef as parseRef, type PublishResult } from '@aspora/api';
import { releaseLine } from './releases.ts';

interface DeployOptions {
  env: 'staging' | 'production';
  version?: string;
  canary?: number | 'shadow' | 'off';
  steps?: number[];
  monitor?: string;
  compareTab?: string;
}

function parseCanary(v: string): number | 'shadow' | 'off' {
  if (v === 'shadow' || v === 'off') return v;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 1 || n > 99)
    throw new AsporaError('BAD_REQUEST', `--canary ${v}: a share of 1–99, shadow or off`, {
      hint: 'e.g. --canary 10',
    });
  return n;
}

function parseSteps(v: string): number[] {
  const steps = v.split(',').map((x) => Number(x.trim()));
  if (!steps.length || steps.some((n) => !Number.isFinite(n) || n < 1 || n > 100))
    throw new AsporaError('BAD_REQUEST', `--steps ${v}: shares of 1–100 separated by commas`, {
      hint: 'e.g. --steps 10,25,50,100',
    });
  return steps;
}

export function registerDeploy(program: Command, ctx: CommandContext): void {
  common(
    program
      .command('deploy')
      .description(
        'Validate, upload and deploy a skill folder to an environment; or promote a registered version (`deploy <domain/name> --env production`)',
      )
      .argument('<target>', 'skill folder, or domain/name[@version] of a registered skill')
      .addOption(
        new Option('--env <environment>', 'target environment').choices(['staging', 'production']).default('staging'),
      )
      .option('--version <version>', 'with domain/name: the registered version to deploy (default: the one in staging)')
      .option(
        '--canary <share>',
        'over a live version: 1–99 starts a traffic split at that share, shadow runs it beside stable, off replaces at once (default: versioning in aspora.config.yaml)',
        parseCanary,
      )
      .option('--steps <list>', "the split's shares, ascending, e.g. 10,25,50,100", parseSteps)
      .option('--monitor <duration>', 'bound on the whole release, e.g. 48h: not promoted by then, it is rolled back')
      .option('--compare-tab <table>', 'shadow: the _canary table the report compares, e.g. Assignments_canary')
      .addHelpText(
        'after',
        '\nExamples:\n  aspora deploy skills/fraud/block-transaction --env staging\n  aspora deploy skills/fraud/block-transaction --env production\n  aspora deploy fraud/block-transaction --env production   # promote what staging runs\n  aspora deploy fraud/block-transaction@1.2.0 --env production\n  aspora deploy ecm/field/my-tickets --env production --canary 10 --monitor 48h\n  aspora deploy ecm/manager/triage-and-assign --env production --canary shadow --compare-tab Assignments_canary',
      ),
  ).action(async (target: string, opts: DeployOptions, cmd: Command) => {
    const { json } = ctx.globals(cmd);
    const api = ctx.client(cmd);
    const progress = new Progress();
    try {
      let ref: string;
      let version: string;
      let published: PublishResult | undefined;
      if (existsSync(target)) {
        progress.step(`validating ${target}`);
        const local = await loadLocalSkill(target, json ? {} : { log: (m) => progress.step(m) });
        if (!local.validation.issues.length) {
          const offers = await fetchOffers(api);
          // Unreachable: the upload below says so, with what to do.
          if ('skipped' in offers && !offers.unreachable)
            printIssues([{ file: local.display, message: offers.skipped }], 'warning');
          local.validation.issues.push(...checkSkillAgainstPlatform(local, await withTeamSecrets(api, local, offers)));
        }
        if (local.validation.issues.length) {
          progress.fail();
          printIssues(local.validation.issues, 'error');
          throw new AsporaError('BUNDLE_INVALID', `${local.display} is not valid; nothing was deployed`, {
            hint: 'fix the errors above (aspora validate shows them too)',
          });
        }
        printIssues(local.validation.warnings, 'warning');
        const m = local.validation.manifest!;
        progress.done(
          `validated ${m.ref}@${m.config.skill.version} (${local.bundle.files.length} files, ${formatBytes(local.bundle.size)}${local.compiled ? `; handler ${local.compiled}` : ''})`,
        );
        progress.step(`uploading ${local.bundle.digest.slice(0, 19)}… to ${api.base}`);
        published = await api.publishBundle({ body: local.bundle.bytes });
        progress.done(
          `uploaded ${published.digest.slice(0, 19)}… ${published.created ? '(new version registered)' : '(this version was already registered)'}`,
        );
        ref = published.ref;
        version = published.version;
      } else {
        const r = parseRef(target);
        ref = r.id;
        if (r.version && opts.version && r.version !== opts.version) {
          throw new AsporaError('BAD_REQUEST', `two versions given: ${target} and --version ${opts.version}`, {
            hint: 'give the version once',
          });
        }
        if (r.version ?? opts.version) version = (r.version ?? opts.version)!;
        else {
          const detail = await api.getSkill({ params: r });
          const staged = detail.environments.staging;
          if (!staged)
            throw new AsporaError('ENVIRONMENT_EMPTY', `${ref} has nothing in staging to promote`, {
              hint: 'pass --version, or deploy a folder to staging first',
            });
          version = staged;
        }
      }
      progress.step(`deploying ${ref}@${version} to ${opts.env}`);
      const [domain, name] = ref.split('/') as [string, string];
      const dep = await api.deploy({
        params: { domain, name },
        body: {
          environment: opts.env,
          version,
          ...(opts.canary !== undefined ? { canary: opts.canary } : {}),
          ...(opts.steps ? { steps: opts.steps } : {}),
          ...(opts.monitor ? { monitor: opts.monitor } : {}),
          ...(opts.compareTab ? { compareTab: opts.compareTab } : {}),
        },
      });
      progress.done(
        dep.release
          ? releaseLine(dep.release)
          : dep.changed
            ? `${opts.env}: ${ref} ${dep.previousVersion ? `${dep.previousVersion} → ` : ''}${dep.version} (${progress.elapsed()})`
            : `${opts.env}: ${ref} already runs ${dep.version}`,
      );
      if (json) printJson({ ...(published ? { bundle: published } : {}), deployment: dep });
    } catch (e) {
      progress.fail();
      throw e;
    }
  });
}
