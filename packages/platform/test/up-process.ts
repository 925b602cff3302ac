/**
 * A real `aspora up` process for tests that kill, restart or multiply the platform: started with
 * `--json` on a free port and the admin's token given (ASPORA_ADMIN_TOKEN); resolves with its URL
 * once the process has printed its one JSON document, rejects with its stderr if it exits first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../cli/bin/aspora.js', import.meta.url));

export async function upProcess(
  dataDir: string,
  token: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [CLI, 'up', '--port', '0', '--data-dir', dataDir, '--no-examples', '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ASPORA_LOG_LEVEL: 'silent',
      ASPORA_ADMIN_TOKEN: token,
      ASPORA_CONFIG_DIR: join(dataDir, 'config'),
      ...env,
    },
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      try {
        resolve((JSON.parse(out) as { url: string }).url);
      } catch {
        /* not the whole document yet */
      }
    });
    child.once('exit', (code) => reject(new Error(`aspora up exited ${code}: ${err}`)));
  });
  return { url, child };
}
