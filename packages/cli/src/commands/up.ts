import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { AsporaError } from '@aspora/sdk';
import { common, type CommandContext } from '../main.ts';
import { bold, dim, green, printJson, yellow } from '../output.ts';

const bundledExamples = fileURLToPath(new URL('../../../../examples/skills', import.meta.url));

export function registerUp(program: Command, ctx: CommandContext): void {
  common(
    program
      .command('up')
      .description('Start a whole platform locally (embedded PostgreSQL and bundle store) with the example skills deployed')
      .option('--port <port>', 'port to listen on (env ASPORA_PORT)', process.env.ASPORA_PORT ?? '4000')
      .option('--host <host>', 'address to bind (env ASPORA_HOST)', process.env.ASPORA_HOST ?? '127.0.0.1')
      .option('--data-dir <dir>', 'where data lives (env ASPORA_DATA_DIR)', process.env.ASPORA_DATA_DIR ?? '.aspora')
      .option('--examples <dir>', 'skills to deploy at start', existsSync('examples/skills') ? 'examples/skills' : bundledExamples)
      .option('--no-examples', 'start empty'),
    false,
  ).action(async (opts: { port: string; host: string; dataDir: string; examples: string | false }, cmd: Command) => {
    const json = ctx.globals(cmd).json;
    const port = Number(opts.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new AsporaError('BAD_REQUEST', `--port must be a port number (0-65535), got "${opts.port}"`, { hint: 'use --port 0 for any free port' });
    // The server's dependencies (PGlite, Hono, pg …) load only for `up`: other commands start fast.
    const [{ platformConfigFromEnv }, { startPlatform }, { deployFolders, findSkillFolders }] = await Promise.all([
      import('@aspora/platform/config/platform-config'),
      import('@aspora/platform/platform'),
      import('@aspora/platform/deploy/folders'),
    ]);
    const config = platformConfigFromEnv(process.env, { port, host: opts.host, dataDir: resolve(opts.dataDir) });
    const platform = await startPlatform(config);

    // First start: deploy the examples before reporting ready, so the first `aspora list` shows them.
    // Later starts serve at once from the existing data and re-sync the examples in the background
    // (only edited ones register a new version).
    let syncing: Promise<unknown> = Promise.resolve();
    let examples: { folders: number; mode: 'deployed' | 'syncing' | 'none'; created?: number } = { folders: 0, mode: 'none' };
    if (opts.examples) {
      const folders = await findSkillFolders(opts.examples);
      const sync = async () => {
        const res = await deployFolders(platform.publisher, folders, ['staging', 'production'], 'aspora-up');
        for (const r of res.filter((x) => x.error)) process.stderr.write(`${yellow('warning')} ${r.folder}: ${r.error}\n`);
        return res.filter((r) => r.created).length;
      };
      const empty = (await platform.registry.listSkills({ limit: 1 })).length === 0;
      if (empty) {
        if (!json) process.stderr.write(`${dim('…')} deploying ${folders.length} example skills from ${opts.examples}\n`);
        examples = { folders: folders.length, mode: 'deployed', created: await sync() };
      } else {
        examples = { folders: folders.length, mode: 'syncing' };
        syncing = sync().then(
          (created) => platform.log.info({ folders: folders.length, created }, 'example skills synced'),
          (e: unknown) => platform.log.error({ err: e }, 'example skills sync failed'),
        );
      }
    }
    // Since the process started: what the user waits for, imports included.
    const seconds = process.uptime().toFixed(2);
    if (json) {
      printJson({ url: platform.url, dataDir: config.dataDir, database: platform.db.dialect, store: platform.store.kind, examples, readyInSeconds: Number(seconds) });
    } else {
      process.stderr.write(
        [
          `${green('✓')} Aspora is up at ${bold(platform.url)}  ${dim(`(${seconds} s, data in ${config.dataDir}, database ${platform.db.dialect})`)}`,
          examples.mode === 'deployed'
            ? `  ${examples.folders} example skills deployed`
            : examples.mode === 'syncing'
              ? `  ${examples.folders} example skills: checking for edits in the background`
              : '  no example skills (--no-examples)',
          '',
          'Try, from another shell:',
          '  npx aspora list --domain ecm --role field',
          '  npx aspora search "block a suspicious payment"',
          '  npx aspora show fraud/block-transaction',
          '  npx aspora create skill fraud/my-skill --lang typescript && npx aspora deploy skills/fraud/my-skill --env staging',
          `  curl ${platform.url}/openapi.json`,
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
        done();
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    });
  });
}
