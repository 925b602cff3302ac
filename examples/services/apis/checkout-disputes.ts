/**
 * checkout_disputes (Checkout.com disputes): one dispute with its reason code, amount and
 * evidence deadline. days_left is counted to the deadline, which is anchored at the server's start.
 */
import { DEMO_CREDENTIALS } from '../fixtures/credentials.ts';
import { DISPUTES } from '../fixtures/disputes.ts';
import { toAed } from '../fixtures/fx.ts';
import { notFound } from '../http.ts';
import { DAY_MS, HOUR_MS, type ApiService, type Clock } from '../types.ts';

export function createCheckoutDisputes(clock: Clock): ApiService {
  return {
    api: 'checkout_disputes',
    credential: { type: 'bearer', token: DEMO_CREDENTIALS.checkout },
    routes: [
      {
        name: 'get_dispute',
        method: 'GET',
        path: '/disputes/{dispute_id}',
        handle: ({ dispute_id }) => {
          const d = DISPUTES.find((x) => x.id === dispute_id);
          if (!d) throw notFound(`dispute ${String(dispute_id)}`);
          // Half a day of slack: days_left reads as documented for the first 12 h the server runs.
          const due = clock.anchor + d.days_left * DAY_MS + 12 * HOUR_MS;
          return {
            id: d.id,
            payment_id: d.payment_id,
            category: d.category,
            status: 'evidence_required',
            scheme: d.scheme,
            reason_code: d.reason_code,
            reason_description: d.reason_description,
            amount: d.amount,
            currency: d.currency,
            amount_aed: toAed(d.amount, d.currency),
            received_on: new Date(clock.anchor - d.received_days_ago * DAY_MS).toISOString(),
            evidence_required_by: new Date(due).toISOString(),
            days_left: Math.max(0, Math.floor((due - clock.now()) / DAY_MS)),
          };
        },
      },
    ],
  };
}
