/** How span kinds and statuses are spelled in the spans table (and the CLI). */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';

export type SpanKindName = 'internal' | 'server' | 'client' | 'producer' | 'consumer';
export type SpanStatusName = 'unset' | 'ok' | 'error';

const KINDS: Record<SpanKind, SpanKindName> = {
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
};

export const kindName = (k: SpanKind): SpanKindName => KINDS[k] ?? 'internal';

export const statusName = (c: SpanStatusCode): SpanStatusName =>
  c === SpanStatusCode.ERROR ? 'error' : c === SpanStatusCode.OK ? 'ok' : 'unset';
