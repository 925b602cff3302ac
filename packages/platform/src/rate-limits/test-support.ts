/** For tests that use the Redis server on this machine (.ci/run starts it). */
import { connectRedis } from '../redis/connect.ts';

export const REDIS_URL = process.env.ASPORA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Why Redis cannot be used (to skip with), or false when it answers. */
export async function redisDown(): Promise<string | false> {
  try {
    (await connectRedis(REDIS_URL)).disconnect();
    return false;
  } catch (err) {
    return (
      `${(err as Error).message}: start it with \`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 ` +
      '--save "" --appendonly no` or set ASPORA_TEST_REDIS_URL'
    );
  }
}
