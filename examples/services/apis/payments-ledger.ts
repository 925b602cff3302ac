/** payments_ledger: the captured card payment behind an order (3-D Secure result, device, IP). */
import { DEMO_CREDENTIALS } from '../fixtures/credentials.ts';
import { PAYMENTS } from '../fixtures/disputes.ts';
import { notFound } from '../http.ts';
import { DAY_MS, type ApiService, type Clock } from '../types.ts';

export function createPaymentsLedger(clock: Clock): ApiService {
  return {
    api: 'payments_ledger',
    credential: { type: 'bearer', token: DEMO_CREDENTIALS.paymentsLedger },
    routes: [
      {
        name: 'get_payment',
        method: 'GET',
        path: '/payments/{payment_id}',
        handle: ({ payment_id }) => {
          const p = PAYMENTS.find((x) => x.payment_id === payment_id);
          if (!p) throw notFound(`payment ${String(payment_id)}`);
          const { captured_days_ago, ...rest } = p;
          return {
            ...rest,
            status: 'CAPTURED',
            captured_at: new Date(clock.anchor - captured_days_ago * DAY_MS).toISOString(),
          };
        },
      },
    ],
  };
}
