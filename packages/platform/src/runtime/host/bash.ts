/** Bash runs inside the same sandbox as the handler (a sibling process with the same view and limits). */
import { AsporaError } from '@aspora/sdk';
import type { HostServices } from './dispatch.ts';

const MAX_TIMEOUT_MS = 60_000;

export async function bashTool(command: string, timeoutMs: number, services: HostServices) {
  if (command.length > 100_000) throw new AsporaError('BAD_REQUEST', 'bash: command longer than 100,000 characters');
  return services.bash(command, Math.max(1, Math.min(timeoutMs, MAX_TIMEOUT_MS)));
}
