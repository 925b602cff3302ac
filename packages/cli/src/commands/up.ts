import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { STAND_IN_PROVIDER } from '@aspora/api';
import { AsporaError } from '@aspora/sdk';
import { common, type CommandContext } from '../program.ts';
import { bold, dim, green, printJson, yellow } from '../output.ts';

const bundledExamples = fileURLToPath(new URL('../../../../examples/skills', import.meta.url));

export function registerUp(program: Command, ctx: CommandContext): void {
  common(
    program
      .command('up')
      .description(
        'Start a whole platform locally (embedded PostgreSQL and bundle store) with the example skills deployed',
      )
      .option('--port <port>', 'port to listen on (env ASPORA_PORT)', process.env.ASPORA_PORT ?? '4000')
      .option('--host <host>', 'address to bind (env ASPORA_HOST)', process.env.ASPORA_HOST ?? '127.0.0.1')
      .option('--data-dir <dir>', 'where data lives (env ASPORA_DATA_DIR)', process.env.ASPORA_DATA_DIR ?? '.aspora')
      .option(
        '--examples <dir>',
        'skills to deploy at start',
        existsSync('examples/skills') ? 'examples/skills' : bundledExamples,
      )
      .option('--no-examples', 'start empty')
      .option(
        '--offline-models',
        'answer every model call from the local stand-in, even with a provider configured (without one, the stand-in answers anyway)',
        false,
      ),
    false,
  ).action(
    async (
      opts: { port: string; host: string; dataDir: string; examples: string | false; offlineModels: boolean },
      cmd: Command,
    ) => {
      const json = ctx.globals(cmd).json;
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new AsporaError('BAD_REQUEST', `--port must be a port number (0-65535), got "${opts.port}"`, {
          hint: 'use --port 0 for any free port',
        });
      // The server's dependencies (PGlite, Hono, pg …) load only for `up`: other commands start fast.
      const {
        platformConfigFromEnv,
        startPlatform,
        deployFolders,
        findSkillFolders,
        readAdminToken,
        registerSharedFolders,
        seedStateTables,
        seedPeople,
      } = await import('@aspora/platform');
      // With the examples and no platform configuration of the user's own: the examples' platform
      // file, their shared resources, and local stand-ins for the systems they call.
      const demo = opts.examples ? await exampleEnvironment(resolve(opts.examples)) : undefined;
      const env = { ...process.env, ...demo?.env };
      // Without a provider in the environment the stand-in is started; the platform uses it unless
      // its aspora.platform.yaml configures the default provider (then it is closed again).
      let models =
        opts.offlineModels || !modelProviderInEnv(env) ? await startModelStandIn(opts.offlineModels) : undefined;
      const config = platformConfigFromEnv(env, {
        port,
        host: opts.host,
        dataDir: resolve(opts.dataDir),
        modelStandIn: models && { url: models.url, only: opts.offlineModels },
      });
      let platform;
      try {
        platform = await startPlatform(config);
      } catch (e) {
        await demo?.close();
        await models?.close();
        throw e;
      }
      if (models && !platform.gateway.standIn) {
        await models.close();
        models = undefined;
      }

      // First start: deploy the examples before reporting ready, so the first `aspora list` shows them.
      // Later starts serve at once from the existing data and re-sync the examples in the background
      // (only edited ones register a new version).
      let syncing: Promise<unknown> = Promise.resolve();
      let examples: { folders: number; mode: 'deployed' | 'syncing' | 'none'; created?: number } = {
        folders: 0,
        mode: 'none',
      };
      if (opts.examples) {
        const folders = await findSkillFolders(opts.examples);
        const sync = async (announce: boolean) => {
          // Shared folders first: the example skill versions registered next run with them (under /shared).
          const shared = await registerSharedFolders(
            { db: platform.db, store: platform.store, limits: { maxCompressedBytes: config.limits.maxBundleBytes } },
            resolve(opts.examples as string),
            'aspora-up',
          );
          for (const r of shared.filter((x) => x.error))
            process.stderr.write(`${yellow('warning')} ${r.folder}: ${r.error}\n`);
          // The teams' state tables (the ECM ops sheet's tabs), each loaded from <examples>/../state
          // while it is empty: a restart keeps what skills wrote.
          const seeded = await seedStateTables(
            platform.runtime.state,
            join(dirname(resolve(opts.examples as string)), 'state'),
            'aspora-up',
          );
          for (const r of seeded.filter((x) => x.error))
            process.stderr.write(`${yellow('warning')} ${r.file}: ${r.error}\n`);
          const loaded = seeded.filter((r) => r.inserted > 0);
          if (loaded.length && announce && !json)
            process.stderr.write(
              `${dim('…')} loaded ${loaded.reduce((n, r) => n + r.inserted, 0)} rows into ${loaded.map((r) => `${r.team}/${r.table}`).join(', ')} (state tables)\n`,
            );
          // The people of the examples' teams (seed 003's agents and a manager), so channels can act for them.
          const people = await seedPeople(
            platform.access.directory,
            join(dirname(resolve(opts.examples as string)), 'people.json'),
          ).catch((e: Error) => (process.stderr.write(`${yellow('warning')} ${e.message}\n`), { added: [], kept: 0 }));
          if (people.added.length && announce && !json)
            process.stderr.write(
              `${dim('…')} added ${people.added.length} example people (${people.added[0]}, …; aspora users list): try aspora send "my tickets" --as ${people.added[0]}\n`,
            );
          const res = await deployFolders(platform.publisher, folders, ['staging', 'production'], 'aspora-up');
          for (const r of res.filter((x) => x.error))
            process.stderr.write(`${yellow('warning')} ${r.folder}: ${r.error}\n`);
          // One line for all: the fields themselves are listed by `aspora validate <folder>`.
          const idle = res.filter((r) => r.notActedOn);
          if (idle.length && announce && !json) {
            const n = idle.reduce((a, r) => a + r.notActedOn!, 0);
            process.stderr.write(
              `${dim('…')} ${idle.length} example skill${idle.length === 1 ? '' : 's'} set ${n} field${n === 1 ? '' : 's'} the platform accepts but does not act on yet: \`aspora validate ${idle[0]!.folder}\` lists them\n`,
            );
          }
          return res.filter((r) => r.created).length;
        };
        const empty = (await platform.registry.listSkills({ limit: 1 })).length === 0;
        if (empty) {
          if (!json)
            process.stderr.write(`${dim('…')} deploying ${folders.length} example skills from ${opts.examples}\n`);
          examples = { folders: folders.length, mode: 'deployed', created: await sync(true) };
        } else {
          examples = { folders: folders.length, mode: 'syncing' };
          syncing = sync(false).then(
            (created) => platform.log.info({ folders: folders.length, created }, 'example skills synced'),
            (e: unknown) => platform.log.error({ err: e }, 'example skills sync failed'),
          );
        }
      }
      const login = await logInLocalCli(platform, readAdminToken(config.dataDir) ?? config.adminToken);
      // Since the process started: what the user waits for, imports included.
      const seconds = process.uptime().toFixed(2);
      if (json) {
        const modelInfo = models
          ? { provider: STAND_IN_PROVIDER, url: models.url }
          : { provider: platform.gateway.configured ? 'configured' : 'none' };
        printJson({
          url: platform.url,
          dataDir: config.dataDir,
          database: platform.db.dialect,
          store: platform.store.kind,
          examples,
          models: modelInfo,
          login,
          readyInSeconds: Number(seconds),
        });
      } else {
        process.stderr.write(
          [
            `${green('✓')} Aspora is up at ${bold(platform.url)}  ${dim(`(${seconds} s, data in ${config.dataDir}, database ${platform.db.dialect})`)}`,
            examples.mode === 'deployed'
              ? `  ${examples.folders} example skills deployed`
              : examples.mode === 'syncing'
                ? `  ${examples.folders} example skills: checking for edits in the background`
                : '  no example skills (--no-examples)',
            ...(demo?.servicesUrl
              ? [
                  `  example APIs (TRM, fraud DB, FX, ECM gateway …) at ${demo.servicesUrl} ${dim('(local stand-ins, examples/services)')}`,
                ]
              : []),
            ...(models
              ? [
                  opts.offlineModels
                    ? `  ${yellow('--offline-models')}: model calls are answered by the local stand-in (${STAND_IN_PROVIDER} at ${models.url}: canned replies, no cost), not a real model`
                    : `  ${yellow('no model provider configured')}: model calls are answered by the local stand-in (${STAND_IN_PROVIDER} at ${models.url}: canned replies, no cost); set OPENROUTER_API_KEY (or ASPORA_MODEL_BASE_URL) for a real model`,
                ]
              : platform.gateway.configured
                ? []
                : [
                    `  ${yellow('no model provider')}: model calls fail; set OPENROUTER_API_KEY (or ASPORA_MODEL_BASE_URL)`,
                  ]),
            loginLine(login),
            ...(platform.runtime.mode === 'none'
              ? [`${yellow('warning')} skills cannot run here: install bubblewrap (apt-get install bubblewrap)`]
              : []),
            '',
            'Try, from another shell:',
            ...suggestedCommands(platform.url).map((l) => `  ${l}`),
            '',
            dim('Ctrl-C stops the platform.'),
            '',
          ].join('\n'),
        );
      }
      await new Promise<void>((done) => {
        const stop = async (signal: string) => {
          process.stderr.write(`${dim(`${signal}: stopping…`)}\n`);
          await syncing.catch(() => undefined);
          await platform.close();
          await demo?.close();
          await models?.close();
          done();
        };
        process.once('SIGINT', () => void stop('SIGINT'));
        process.once('SIGTERM', () => void stop('SIGTERM'));
      });
    },
  );
}

/**
 * What the example skills need to run: their aspora.platform.yaml (next to the skills folder)
 * and the example services it points at — unless the user configured a platform file of their own,
 * which then wins.
 */
async function exampleEnvironment(
  skillsDir: string,
): Promise<{ env: NodeJS.ProcessEnv; servicesUrl?: string; close(): Promise<void> }> {
  // Their shared folders are registered as versions at start (registerSharedFolders), not read from
  // the host: ASPORA_SHARED_DIR stays the user's development option.
  const env: NodeJS.ProcessEnv = {};
  const root = dirname(skillsDir);
  const platformFile = join(root, 'aspora.platform.yaml');
  const services = join(root, 'services', 'server.ts');
  if (process.env.ASPORA_PLATFORM_CONFIG || existsSync('aspora.platform.yaml') || !existsSync(platformFile))
    return { env, close: async () => undefined };
  env.ASPORA_PLATFORM_CONFIG = platformFile;
  if (!existsSync(services)) return { env, close: async () => undefined };
  const { startExampleServices } = (await import(pathToFileURL(services).href)) as {
    startExampleServices(o: { port?: number; host?: string }): Promise<{ url: string; close(): Promise<void> }>;
  };
  const s = await startExampleServices({
    port: Number(process.env.ASPORA_EXAMPLE_SERVICES_PORT ?? 0),
    host: '127.0.0.1',
  });
  env.ASPORA_EXAMPLE_SERVICES_URL = s.url;
  return { env, servicesUrl: s.url, close: () => s.close() };
}

export const DEFAULT_URL = 'http://127.0.0.1:4000';

/** The banner's "Try:" lines; against another URL than the CLI's default, they say which. */
export function suggestedCommands(url: string): string[] {
  const at = url.replace(/\/$/, '') === DEFAULT_URL ? '' : `ASPORA_URL=${url} `;
  return [
    `${at}npx aspora list --domain ecm --role field`,
    `${at}npx aspora search "block a suspicious payment"`,
    `${at}npx aspora show fraud/block-transaction`,
    `${at}npx aspora run fraud/block-transaction --input '{"userMessage":"block payment tx_123","metadata":{"transactionId":"tx_123"}}'`,
    `${at}npx aspora test examples/skills/fraud/block-transaction`,
    `npx aspora create skill fraud/my-skill --lang typescript && ${at}npx aspora deploy skills/fraud/my-skill --env staging`,
    `curl ${url}/openapi.json`,
  ];
}

/** A provider the environment names: it wins over the stand-in, unless --offline-models. */
export function modelProviderInEnv(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.OPENROUTER_API_KEY || env.ASPORA_MODEL_BASE_URL);
}

/** The repository's OpenAI-compatible stand-in (tools/openai-stub); undefined without the checkout, unless required. */
async function startModelStandIn(required: boolean): Promise<{ url: string; close(): Promise<void> } | undefined> {
  const stub = fileURLToPath(new URL('../../../../tools/openai-stub/src/server.ts', import.meta.url));
  if (!existsSync(stub)) {
    if (!required) return undefined;
    throw new AsporaError('UNAVAILABLE', '--offline-models needs the repository checkout (tools/openai-stub)', {
      hint: 'set OPENROUTER_API_KEY or ASPORA_MODEL_BASE_URL instead',
    });
  }
  const { startOpenAIStub } = (await import(pathToFileURL(stub).href)) as {
    startOpenAIStub(o: { host?: string; recordLimit?: number }): Promise<{ url: string; close(): Promise<void> }>;
  };
  // recordLimit 0: a long-running platform must not keep every prompt the stand-in received.
  const s = await startOpenAIStub({ host: '127.0.0.1', recordLimit: 0 });
  return { url: s.url, close: () => s.close() };
}

function loginLine(l: LoginResult): string {
  if (l.status === 'not-saved') return `  ${yellow('the local CLI is not logged in')}: ${l.reason}`;
  const where = l.tokenFile ? ` ${dim(`(the admin's token is in ${l.tokenFile})`)}` : '';
  return `  the local CLI is logged in as ${l.as}${where}`;
}

type LoginResult =
  | { status: 'saved' | 'kept'; as: string; tokenFile?: string; credentials: string }
  | { status: 'not-saved'; reason: string };

/**
 * Logs the local CLI in with the first admin's token, so `npm start` then `aspora list` works with
 * no setup. A token already saved for this URL that this platform accepts is kept (someone logged
 * in as another user); one it refuses (a data folder started afresh) is replaced.
 */
async function logInLocalCli(
  platform: { url: string; config: { dataDir: string }; access: { auth: { check(t: string): Promise<object> } } },
  token: string | undefined,
): Promise<LoginResult> {
  const { saveCredentials, savedToken, credentialsPath } = await import('../credentials.ts');
  if (!token) return { status: 'not-saved', reason: 'no admin token in the data folder: aspora login --token <token>' };
  try {
    const saved = savedToken(platform.url);
    if (saved) {
      const r = (await platform.access.auth.check(saved)) as { principal?: { user?: { email: string } | null } };
      if (r.principal)
        return { status: 'kept', as: r.principal.user?.email ?? 'a service account', credentials: credentialsPath() };
    }
    const r = (await platform.access.auth.check(token)) as { principal?: { user?: { email: string } | null } };
    const file = saveCredentials(platform.url, token);
    const tokenFile = join(platform.config.dataDir, 'admin.token');
    return {
      status: 'saved',
      as: r.principal?.user?.email ?? 'the admin',
      ...(existsSync(tokenFile) ? { tokenFile } : {}),
      credentials: file,
    };
  } catch (e) {
    return { status: 'not-saved', reason: (e as Error).message };
  }
}
