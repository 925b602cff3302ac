/**
 * trm_api (transaction risk monitoring): the fraud score of a live transfer, as a bare number —
 * fraud/block-transaction compares the value it gets straight with 0.8.
 */
import { DEMO_CREDENTIALS } from '../fixtures/credentials.ts';
import { TRANSACTIONS, type TransactionFixture } from '../fixtures/fraud.ts';
import { round, unitHash } from '../hash.ts';
import { notFound } from '../http.ts';
import type { ApiService } from '../types.ts';

export function createTrmApi(): ApiService {
  return {
    api: 'trm_api',
    credential: { type: 'header', name: 'x-api-key', value: DEMO_CREDENTIALS.trm },
    routes: [
      {
        name: 'checkTransaction',
        method: 'GET',
        path: '/transactions/{transactionId}/score',
        handle: ({ transactionId }) => findTransaction(String(transactionId)).score,
      },
    ],
  };
}

/**
 * A fixture transfer, or for any other `tx_…` id a synthetic one whose score is a stable hash of
 * the id (so ad-hoc ids work and always score the same). Anything else is unknown: 404.
 */
export function findTransaction(id: string): TransactionFixture {
  const known = TRANSACTIONS.find((t) => t.transactionId === id);
  if (known) return known;
  if (!/^tx_[A-Za-z0-9]+$/.test(id)) throw notFound(`transaction ${id}`);
  const h = unitHash(id);
  return {
    transactionId: id,
    userId: `u_${9000 + Math.floor(h * 1000)}`,
    amount: round(50 + h * 4950, 2),
    currency: 'AED',
    corridor: 'AE-IN',
    status: 'PENDING_PAYOUT',
    score: round(0.01 + h * 0.98, 2),
  };
}
