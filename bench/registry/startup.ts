/**
 * The platform and CLI from the outside, as a user times them: `aspora up` cold (empty data folder:
 * migrations + deploying the example skills) and warm (same folder again), and `aspora deploy` of a
 * freshly created skill end to end (CLI start, validate, pack, upload, register, deploy).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile, round } from './stats.ts';

const BIN = fileURLToPath(new URL('../../packages/cli/bin/aspora.js', import.meta.url));

interface Running {
  url: string;
  examples: number;
  seconds: number;
  stop(): Promise<void>;
}

async function up(dataDir: string, cwd: string): Promise<Running> {
  const t = performance.now();
  const child = spawn(process.execPath, [BIN, 'up', '--port', '0', '--data-dir', dataDir, '--json'], {
    cwd,
    env: { ...process.env, ASPORA_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const info = await new Promise<{ url: string; examples: { folders: number } }>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      try {
        resolve(JSON.parse(out));
      } catch {
        /* partial */
      }
    });
    child.once('exit', (code) => reject(new Error(`aspora up exited ${code}: ${err}`)));
  });
  const seconds = (performance.now() - t) / 1000;
  return {
    url: info.url,
    examples: info.examples.folders,
    seconds,
    stop: () =>
      new Promise((r) => {
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}

function cli(args: string[], cwd: string, url: string): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, ASPORA_URL: url, NO_COLOR: '1' },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`aspora ${args.join(' ')} failed: ${r.stderr}`);
  return (performance.now() - t) / 1000;
}

export interface StartupResult {
  examples: number;
  upColdSeconds: number;
  upWarmSeconds: number;
  deployP50Seconds: number;
  deployMaxSeconds: number;
  cliNoopSeconds: number;
}

export async function benchStartup(deploys = 5): Promise<StartupResult> {
  const work = mkdtempSync(join(tmpdir(), 'aspora-startup-'));
  const dataDir = join(work, '.aspora');
  try {
    // Before any platform runs: nothing else competes for the two cores.
    const noop = cli(['--version'], work, 'http://127.0.0.1:9');
    const cold = await up(dataDir, work);
    await cold.stop();
    const warm = await up(dataDir, work);
    try {
      const times: number[] = [];
      for (let i = 0; i < deploys; i++) {
        cli(['create', 'skill', `bench/skill-${i}`, '--lang', 'typescript'], work, warm.url);
        times.push(cli(['deploy', `skills/bench/skill-${i}`, '--env', 'staging'], work, warm.url));
      }
      return {
        examples: cold.examples,
        upColdSeconds: round(cold.seconds),
        upWarmSeconds: round(warm.seconds),
        deployP50Seconds: round(percentile(times, 50)),
        deployMaxSeconds: round(Math.max(...times)),
        cliNoopSeconds: round(noop),
      };
    } finally {
      await warm.stop();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
