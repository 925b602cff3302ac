/** payout_partners (LuLu, Falcon): where an order's payout is — delivered (with UTR), failed or pending. */
import { DEMO_CREDENTIALS } from '../fixtures/credentials.ts';
import { PAYOUTS } from '../fixtures/disputes.ts';
import { notFound } from '../http.ts';
import { DAY_MS, type ApiService, type Clock } from '../types.ts';

export function createPayoutPartners(clock: Clock): ApiService {
  const at = (daysAgo: number | null) =>
    daysAgo === null ? null : new Date(clock.anchor - daysAgo * DAY_MS).toISOString();
  return {
    api: 'payout_partners',
    credential: { type: 'basic', ...DEMO_CREDENTIALS.payoutPartners },
    routes: [
      {
        name: 'get_payout_status',
        method: 'GET',
        path: '/payouts/{order_id}',
        handle: ({ order_id }) => {
          const p = PAYOUTS.find((x) => x.order_id === order_id);
          if (!p) throw notFound(`a payout for order ${String(order_id)}`);
          const { sent_days_ago, delivered_days_ago, ...rest } = p;
          return { ...rest, sent_at: at(sent_days_ago), delivered_at: at(delivered_days_ago) };
        },
      },
    ],
  };
}
