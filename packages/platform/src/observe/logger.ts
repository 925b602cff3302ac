/** Structured logs (pino) on stderr, so stdout stays free for machine-readable CLI output. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level = process.env.ASPORA_LOG_LEVEL ?? 'info', name = 'aspora'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination(2));
}
