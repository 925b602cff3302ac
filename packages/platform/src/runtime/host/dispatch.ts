/**
 * Every host call a handler makes arrives here: checked by the guard, carried out, and counted.
 * Parts that later issues deliver (model gateway, platform APIs) answer UNAVAILABLE with a hint
 * until they exist — after the permission check, so denials are already exact.
 */
import { AsporaError, type SkillResult } from '@aspora/sdk';
import type { PermissionGuard } from '../policy/guard.ts';
import type { SkillView } from '../policy/view.ts';
import { grepTool, readTool, writeTool } from './files.ts';
import { bashTool } from './bash.ts';

export interface HostServices {
  /** A child execution (context.invoke), linked to its parent. */
  invoke(skill: string, input: Record<string, unknown>): Promise<SkillResult>;
  state: { get(key: string): Promise<unknown>; set(key: string, value: unknown): Promise<void> };
  bash(command: string, timeoutMs: number): Promise<{ stdout: string; stderr: string; exitCode: number }>;
}

export interface CallRecord {
  op: string;
  ok: boolean;
  code?: string;
  ms: number;
}

const str = (v: unknown, name: string): string => {
  if (typeof v !== 'string' || !v) throw new AsporaError('BAD_REQUEST', `${name} must be a non-empty string`);
  return v;
};

export function hostCalls(guard: PermissionGuard, view: SkillView, services: HostServices, calls: CallRecord[]) {
  const run = async (op: string, a: Record<string, unknown>): Promise<unknown> => {
    switch (op) {
      case 'tools.read':
        return readTool(guard, view, str(a.path, 'path'));
      case 'tools.write':
        return writeTool(guard, view, str(a.path, 'path'), a.content);
      case 'tools.grep':
        return grepTool(guard, view, a.pattern, a.path);
      case 'tools.bash':
        guard.tool('Bash');
        return bashTool(str(a.command, 'command'), typeof a.timeoutMs === 'number' ? a.timeoutMs : 10_000, services);
      case 'tools.webFetch':
        guard.tool('WebFetch');
        guard.url(str(a.url, 'url'));
        throw new AsporaError('UNAVAILABLE', 'WebFetch is not wired to an egress proxy yet', { hint: 'the gateway issue adds it' });
      case 'apis.call':
        guard.api(str(a.api, 'api'));
        throw new AsporaError('UNAVAILABLE', `api ${String(a.api)} is not configured on this platform (aspora.platform.yaml)`, { hint: 'declare the API in aspora.platform.yaml' });
      case 'model.chat':
        throw new AsporaError('UNAVAILABLE', 'the model gateway is not configured', { hint: 'set OPENROUTER_API_KEY or ASPORA_MODEL_BASE_URL' });
      case 'state.get':
        return (await services.state.get(str(a.key, 'key'))) ?? null;
      case 'state.set':
        await services.state.set(str(a.key, 'key'), a.value);
        return null;
      case 'invoke':
        return services.invoke(str(a.skill, 'skill'), (a.input ?? {}) as Record<string, unknown>);
      default:
        throw new AsporaError('BAD_REQUEST', `unknown host call ${op}`);
    }
  };
  return async (op: string, args: Record<string, unknown>): Promise<unknown> => {
    const t = performance.now();
    try {
      const v = await run(op, args);
      calls.push({ op, ok: true, ms: performance.now() - t });
      return v;
    } catch (e) {
      calls.push({ op, ok: false, code: e instanceof AsporaError ? e.code : 'INTERNAL', ms: performance.now() - t });
      throw e;
    }
  };
}
