/** Argument checks for the stand-ins: a missing or mistyped argument is a 400 naming it. */
import { badRequest } from './http.ts';
import type { Args } from './types.ts';

export function requireString(args: Args, key: string): string {
  const v = optionalString(args, key);
  if (v === undefined || v === '') throw badRequest(`argument ${key} (a non-empty string) is required`);
  return v;
}

export function optionalString(args: Args, key: string): string | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  // A query value such as "42" arrives decoded as a number (see decodeQuery): it is still an id.
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v !== 'string') throw badRequest(`argument ${key} must be a string`);
  return v;
}

export function requireNumber(
  args: Args,
  key: string,
  opts: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const v = optionalNumber(args, key, opts);
  if (v === undefined) throw badRequest(`argument ${key} (a number) is required`);
  return v;
}

export function optionalNumber(
  args: Args,
  key: string,
  opts: { min?: number; max?: number; integer?: boolean } = {},
): number | undefined {
  const raw = args[key];
  if (raw === undefined || raw === null || raw === '') return undefined;
  const v = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw badRequest(`argument ${key} must be a number`);
  if (opts.integer && !Number.isInteger(v)) throw badRequest(`argument ${key} must be a whole number`);
  if (opts.min !== undefined && v < opts.min) throw badRequest(`argument ${key} must be at least ${opts.min}`);
  if (opts.max !== undefined && v > opts.max) throw badRequest(`argument ${key} must be at most ${opts.max}`);
  return v;
}

export function requireOneOf<T extends string>(args: Args, key: string, values: readonly T[]): T {
  const v = requireString(args, key);
  if (!(values as readonly string[]).includes(v))
    throw badRequest(`argument ${key} must be one of ${values.join(', ')}; got "${v}"`);
  return v as T;
}

export function optionalObject(args: Args, key: string): Record<string, unknown> | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw badRequest(`argument ${key} must be an object`);
  return v as Record<string, unknown>;
}

export function optionalArray(args: Args, key: string): unknown[] | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw badRequest(`argument ${key} must be an array`);
  return v;
}
