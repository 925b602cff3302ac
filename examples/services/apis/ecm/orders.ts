/** The stuck orders as Redshift sees them: timestamps from the clock, AED amounts, derived stuck reason. */
import { ORDERS, PARTNER_HEALTH, TERMINAL_STATUSES, type OrderFixture, type StuckReason } from '../../fixtures/ecm.ts';
import { customerRate, toAed, TRANSFER_FEE } from '../../fixtures/fx.ts';
import { HOUR_MS, type Clock } from '../../types.ts';

export interface Order {
  fixture: OrderFixture;
  orderId: string;
  status: string;
  subStatus: string | null;
  createdAt: number;
  /** The last status event: when the order last moved (updated_at, and stuck_since while stuck). */
  stuckSince: number;
  amountAed: number;
  receiveAmount: number;
  reason: StuckReason;
  terminal: boolean;
}

export function buildOrders(clock: Clock, fixtures: OrderFixture[] = ORDERS): Order[] {
  const at = (hoursAgo: number) => clock.anchor - hoursAgo * HOUR_MS;
  return fixtures.map((f) => {
    const first = f.timeline[0]!;
    const last = f.timeline[f.timeline.length - 1]!;
    return {
      fixture: f,
      orderId: f.orderId,
      status: last[0],
      subStatus: last[1],
      createdAt: at(first[2]),
      stuckSince: at(last[2]),
      amountAed: toAed(f.sendAmount, f.sendCurrency),
      receiveAmount:
        Math.round(
          (f.sendAmount - TRANSFER_FEE[f.sendCurrency]) * customerRate(f.sendCurrency, f.receiveCurrency) * 100,
        ) / 100,
      reason: stuckReason(f),
      terminal: TERMINAL_STATUSES.includes(last[0]),
    };
  });
}

/** ecm-pending-list.sql's CASE, rule for rule and in the same order. */
export function stuckReason(o: OrderFixture): StuckReason {
  const latest = <T extends { hoursAgo: number }>(events: T[] | undefined) =>
    events?.reduce((a, b) => (b.hoursAgo < a.hoursAgo ? b : a));
  const status = o.timeline[o.timeline.length - 1]![0];
  const checkout = latest(o.checkout);
  const column = latest(o.column);
  const p = o.payout;
  const captured = new Set((o.checkout ?? []).filter((c) => c.status === 'CAPTURED').map((c) => c.paymentId));
  if (o.compliance && ['OPEN', 'UNDER_REVIEW'].includes(o.compliance.status)) return 'COMPLIANCE_HOLD';
  if (['PENDING', 'IN_REVIEW', 'DOCS_REQUESTED'].includes(o.kyc.status)) return 'KYC_PENDING';
  if (captured.size > 1) return 'DUPLICATE_PAYMENT';
  if (o.refund && ['INITIATED', 'PENDING_PROVIDER'].includes(o.refund.status)) return 'REFUND_STUCK';
  if (checkout && ['TIMEOUT', 'PENDING'].includes(checkout.status) && status === 'PAYMENT_PENDING')
    return 'CHECKOUT_TIMEOUT';
  if (column && (column.httpStatus >= 500 || column.status === 'FAILED')) return 'COLUMN_API_FAILURE';
  if (p?.status === 'REJECTED' && ['NAME_MISMATCH', 'BENEFICIARY_NAME_INVALID'].includes(p.rejectionCode ?? ''))
    return 'BENEFICIARY_NAME_MISMATCH';
  if (p?.partner === 'FALCON' && p.status === 'REJECTED') return 'FALCON_REJECTED';
  if (p?.partner === 'LULU' && ['SENT', 'ACKNOWLEDGED'].includes(p.status)) return 'LULU_NOT_CONFIRMED';
  if (p && PARTNER_HEALTH[p.partner] === 'DOWN') return 'PAYOUT_PARTNER_DOWN';
  return 'UNKNOWN';
}
