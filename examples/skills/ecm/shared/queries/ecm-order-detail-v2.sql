-- ecm-order-detail-v2.sql
-- Full context for ONE order: order row, status timeline, pay-in events (Checkout / Column),
-- payout partner transfer, KYC, compliance and refund state. Read-only.
-- Params: :order_id (e.g. 'AE136ABC00')
-- Used by: field/order-details, field/my-tickets (live hours_stuck), field/resolve-ticket (verification)
-- v2: adds partner callback timestamps and refund state; replaces ecm-order-detail.sql (v1).
SELECT
    'order'                 AS section,
    o.order_id, o.user_id, o.corridor, o.send_amount, o.send_currency,
    o.receive_amount, o.receive_currency, o.payment_method,
    o.status                AS detail_status,
    NULL::varchar           AS detail_code,
    o.created_at            AS event_at,
    ROUND(DATEDIFF(minute, o.updated_at, GETDATE()) / 60.0, 1) AS hours_since_update
FROM remit.orders o
WHERE o.order_id = :order_id

UNION ALL
SELECT 'status_timeline', e.order_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       e.status, e.sub_status, e.event_at, NULL
FROM remit.order_status_events e
WHERE e.order_id = :order_id

UNION ALL
SELECT 'checkout', c.order_id, NULL, NULL, c.amount, c.currency, NULL, NULL, c.payment_id,
       c.status, c.error_code, c.event_at, NULL
FROM payments.checkout_events c
WHERE c.order_id = :order_id

UNION ALL
SELECT 'column', k.order_id, NULL, NULL, k.amount, 'USD', NULL, NULL, k.request_id,
       k.status, CAST(k.http_status AS varchar), k.event_at, NULL
FROM payments.column_events k
WHERE k.order_id = :order_id

UNION ALL
SELECT 'payout_partner', p.order_id, NULL, NULL, NULL, NULL, p.payout_amount, p.payout_currency,
       p.partner || ':' || COALESCE(p.partner_ref, '-'),
       p.status, p.rejection_code, COALESCE(p.last_callback_at, p.created_at), NULL
FROM partners.payout_transfers p
WHERE p.order_id = :order_id

UNION ALL
SELECT 'kyc', o.order_id, v.user_id, NULL, NULL, NULL, NULL, NULL, v.tier,
       v.status, v.pending_reason, v.updated_at, NULL
FROM remit.orders o
JOIN kyc.user_verification v ON v.user_id = o.user_id
WHERE o.order_id = :order_id

UNION ALL
SELECT 'compliance', c.order_id, NULL, NULL, NULL, NULL, NULL, NULL, c.case_id,
       c.status, c.hold_reason, c.opened_at, NULL
FROM compliance.cases c
WHERE c.order_id = :order_id

UNION ALL
SELECT 'refund', r.order_id, NULL, NULL, r.amount, r.currency, NULL, NULL, r.refund_id,
       r.status, r.provider_error, r.initiated_at, NULL
FROM payments.refunds r
WHERE r.order_id = :order_id
ORDER BY section, event_at;
