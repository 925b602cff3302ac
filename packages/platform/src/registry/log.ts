import pino from 'pino';

/** The slice of a pino logger the registry uses; callers may inject their own. */
export interface Logger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export function defaultLogger(): Logger {
  return pino({ name: 'registry', level: process.env.ASPORA_LOG_LEVEL ?? 'info' });
}
