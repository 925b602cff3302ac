import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { platformConfigFromEnv } from '@aspora/platform/config/platform-config';
import { startPlatform } from '@aspora/platform/platform';
import { deployFolders, findSkillFolders } from '@aspora/platform/deploy/folders';
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
    const started = Date.now();
    const json = ctx.globals(cmd).json;
    const port = Number(opts.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, got "${opts.port}"`);
    const config = platformConfigFromEnv(process.env, { port, host: opts.host, dataDir: resolve(opts.dataDir) });
    const platform = await startPlatform(config);

    let deployed = { skills: 0, created: 0 };
    if (opts.examples) {
      const folders = await findSkillFolders(opts.examples);
      if (!json) process.stderr.write(`${dim('…')} deploying ${folders.length} example skills from ${opts.examples}\n`);
      const res = await deployFolders(platform.publisher, folders, ['staging', 'production'], 'aspora-up');
      deployed = { skills: res.length, created: res.filter((r) => r.created).length };
      for (const r of res.filter((x) => x.error)) process.stderr.write(`${yellow('warning')} ${r.folder}: ${r.error}\n`);
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(2);
    if (json) {
      printJson({ url: platform.url, dataDir: config.dataDir, database: platform.db.dialect, store: platform.store.kind, examples: deployed, readyInSeconds: Number(seconds) });
    } else {
      process.stderr.write(
        [
          `${green('✓')} Aspora is up at ${bold(platform.url)}  ${dim(`(${seconds} s, data in ${config.dataDir}, database ${platform.db.dialect})`)}`,
          `  ${deployed.skills} example skills deployed (${deployed.created} new)`,
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
        await platform.close();
        done();
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    });
  });
}
