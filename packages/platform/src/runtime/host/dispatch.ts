/**
 * Every host call a handler makes arrives here: checked by the guard, carried out by a host
 * service, and counted. The guard runs first for every op, so a denial is exact whatever the
 * service would have done.
 */
import { AsporaError, type SkillResult } from '@aspora/sdk';
import type { ChatAnswer } from '../../gateway/types.ts';
import type { PermissionGuard } from '../policy/guard.ts';
import type { SkillView } from '../policy/view.ts';
import { grepTool, readTool, writeTool } from './files.ts';
import { bashTool } from './bash.ts';
import type { StateTables } from '../../state/tables.ts';

export interface HostServices {
  /** A child execution (context.invoke), linked to its parent. */
  invoke(skill: string, input: Record<string, unknown>): Promise<SkillResult>;
  state: { get(key: string): Promise<unknown>; set(key: string, value: unknown): Promise<void> };
  /** Row tables of the owner team under the skill's sheets_access rules (context.state.table). */
  tables: StateTables;
  bash(command: string, timeoutMs: number): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  api(api: string, method: string, args: Record<string, unknown>): Promise<unknown>;
  webFetch(req: {
    url: URL;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
  }): Promise<{ status: number; headers: Record<string, string>; body: string }>;
  chat(args: Record<string, unknown>): Promise<ChatAnswer>;
}

export interface CallRecord {
  op: string;
  /** The tool or api.method it used, for traces. */
  name?: string;
  ok: boolean;
  code?: string;
  /** A denial's message (skill, resource, rule), for the audit log; cut to 500 characters. */
  denial?: string;
  ms: number;
}

const str = (v: unknown, name: string): string => {
  if (typeof v !== 'string' || !v) throw new AsporaError('BAD_REQUEST', `${name} must be a non-empty string`);
  return v;
};

const obj = (v: unknown, name: string): Record<string, unknown> => {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new AsporaError('BAD_REQUEST', `${name} must be an object`);
  return v as Record<string, unknown>;
};

function headersOf(v: unknown): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  const h = obj(v, 'headers');
  if (!Object.values(h).every((x) => typeof x === 'string'))
    throw new AsporaError('BAD_REQUEST', 'webFetch: header values must be strings');
  return h as Record<string, string>;
}

const OPS = new Set([
  'tools.read',
  'tools.write',
  'tools.grep',
  'tools.bash',
  'tools.webFetch',
  'apis.call',
  'model.chat',
  'state.get',
  'state.set',
  'state.select',
  'state.insert',
  'state.update',
  'state.delete',
  'invoke',
]);

/** The tool or API a call uses, for its trace span. */
function nameOf(op: string, a: Record<string, unknown>): string | undefined {
  // The handler chose these: strings only (String() of an object it made up can throw), and short.
  const s = (v: unknown) => (typeof v === 'string' ? v.slice(0, 100) : '?');
  if (op === 'apis.call') return `${s(a.api)}.${s(a.method)}`;
  if (op === 'invoke') return s(a.skill);
  if (op.startsWith('state.') && a.table !== undefined) return s(a.table);
  return op.startsWith('tools.') ? op.slice(6) : undefined;
}

export function hostCalls(
  guard: PermissionGuard,
  view: SkillView,
  services: HostServices,
  calls: CallRecord[],
  onCall?: (c: CallRecord) => void,
) {
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
      case 'tools.webFetch': {
        guard.tool('WebFetch');
        const url = guard.url(str(a.url, 'url'));
        const headers = headersOf(a.headers);
        return services.webFetch({
          url,
          ...(typeof a.method === 'string' ? { method: a.method } : {}),
          ...(headers ? { headers } : {}),
          ...(typeof a.body === 'string' ? { body: a.body } : {}),
        });
      }
      case 'apis.call': {
        const api = str(a.api, 'api');
        guard.api(api);
        return services.api(api, str(a.method, 'method'), obj(a.args, 'args'));
      }
      case 'model.chat':
        return services.chat(a);
      case 'state.get':
        return (await services.state.get(str(a.key, 'key'))) ?? null;
      case 'state.set':
        await services.state.set(str(a.key, 'key'), a.value);
        return null;
      case 'state.select':
        return services.tables.select(a);
      case 'state.insert':
        return services.tables.insert(a);
      case 'state.update':
        return services.tables.update(a);
      case 'state.delete':
        return services.tables.delete(a);
      case 'invoke':
        return services.invoke(str(a.skill, 'skill'), obj(a.input, 'input'));
      default:
        throw new AsporaError('BAD_REQUEST', `unknown host call ${op.slice(0, 100)}`);
    }
  };
  return async (op: string, args: Record<string, unknown>): Promise<unknown> => {
    const t = performance.now();
    const name = nameOf(op, args)?.slice(0, 200);
    // An op the handler made up is counted as `unknown` (it is a metrics label: its values must stay few).
    const known = OPS.has(op) ? op : 'unknown';
    const done = (c: CallRecord) => {
      calls.push(c);
      // Model calls have spans of their own (per provider call, from the gateway).
      if (onCall && op !== 'model.chat') onCall(c);
    };
    try {
      const v = await run(op, args);
      done({ op: known, ...(name ? { name } : {}), ok: true, ms: performance.now() - t });
      return v;
    } catch (e) {
      done({
        op: known,
        ...(name ? { name } : {}),
        ok: false,
        code: e instanceof AsporaError ? e.code : 'INTERNAL',
        ...(e instanceof AsporaError && e.code === 'PERMISSION_DENIED' ? { denial: e.message.slice(0, 500) } : {}),
        ms: performance.now() - t,
      });
      throw e;
    }
  };
}
