-- ecm-pending-list.sql
-- MANAGER ONLY (field skills are blocked from this file).
-- All orders stuck in a non-terminal state for >= :min_hours_stuck hours, with the derived
-- stuck reason, amount normalised to AED, and any existing assignment key for sticky routing.
-- Params: :min_hours_stuck (default 2), :lookback_days (default 30)
-- Used by: manager/triage-and-assign, manager/ecm-daily-flow
WITH latest_status AS (
    SELECT order_id, status, sub_status, event_at,
           ROW_NUMBER() OVER (PARTITION BY order_id ORDER BY event_at DESC) AS rn
    FROM remit.order_status_events
    WHERE event_at >= DATEADD(day, -:lookback_days, GETDATE())
),
checkout_last AS (
    SELECT order_id, status AS checkout_status, error_code AS checkout_error,
           ROW_NUMBER() OVER (PARTITION BY order_id ORDER BY event_at DESC) AS rn
    FROM payments.checkout_events
),
column_last AS (
    SELECT order_id, status AS column_status, http_status AS column_http_status,
           ROW_NUMBER() OVER (PARTITION BY order_id ORDER BY event_at DESC) AS rn
    FROM payments.column_events
),
partner_last AS (
    SELECT order_id, partner, status AS partner_status, rejection_code, last_callback_at,
           ROW_NUMBER() OVER (PARTITION BY order_id ORDER BY created_at DESC) AS rn
    FROM partners.payout_transfers
),
dup_payments AS (
    SELECT o2.order_id
    FROM remit.orders o2
    JOIN payments.checkout_events p ON p.order_id = o2.order_id AND p.status = 'CAPTURED'
    GROUP BY o2.order_id
    HAVING COUNT(DISTINCT p.payment_id) > 1
)
SELECT
    o.order_id,
    o.user_id,
    o.corridor,                                   -- e.g. AE-IN, GB-IN
    o.send_amount,
    o.send_currency,
    ROUND(o.send_amount * fx.rate_to_aed, 2)      AS amount_aed,
    ls.status                                      AS order_status,
    ls.sub_status,
    ROUND(DATEDIFF(minute, ls.event_at, GETDATE()) / 60.0, 1) AS hours_stuck,
    pl.partner                                     AS payout_partner,
    CASE
        WHEN cc.status IN ('OPEN', 'UNDER_REVIEW')                                 THEN 'COMPLIANCE_HOLD'
        WHEN kv.status IN ('PENDING', 'IN_REVIEW', 'DOCS_REQUESTED')               THEN 'KYC_PENDING'
        WHEN dp.order_id IS NOT NULL                                               THEN 'DUPLICATE_PAYMENT'
        WHEN rf.status IN ('INITIATED', 'PENDING_PROVIDER')                        THEN 'REFUND_STUCK'
        WHEN ck.checkout_status IN ('TIMEOUT', 'PENDING') AND ls.status = 'PAYMENT_PENDING' THEN 'CHECKOUT_TIMEOUT'
        WHEN cl.column_http_status >= 500 OR cl.column_status = 'FAILED'           THEN 'COLUMN_API_FAILURE'
        WHEN pl.partner_status = 'REJECTED' AND pl.rejection_code IN ('NAME_MISMATCH', 'BENEFICIARY_NAME_INVALID') THEN 'BENEFICIARY_NAME_MISMATCH'
        WHEN pl.partner = 'FALCON' AND pl.partner_status = 'REJECTED'              THEN 'FALCON_REJECTED'
        WHEN pl.partner = 'LULU' AND pl.partner_status IN ('SENT', 'ACKNOWLEDGED') THEN 'LULU_NOT_CONFIRMED'
        WHEN ph.health_status = 'DOWN'                                             THEN 'PAYOUT_PARTNER_DOWN'
        ELSE 'UNKNOWN'
    END                                            AS stuck_reason,
    a.assignment_key                               AS existing_assignment
FROM remit.orders o
JOIN latest_status ls            ON ls.order_id = o.order_id AND ls.rn = 1
LEFT JOIN ref.fx_rates_daily fx  ON fx.currency = o.send_currency AND fx.rate_date = TRUNC(GETDATE())
LEFT JOIN checkout_last ck       ON ck.order_id = o.order_id AND ck.rn = 1
LEFT JOIN column_last cl         ON cl.order_id = o.order_id AND cl.rn = 1
LEFT JOIN partner_last pl        ON pl.order_id = o.order_id AND pl.rn = 1
LEFT JOIN partners.health_current ph ON ph.partner = pl.partner
LEFT JOIN kyc.user_verification kv ON kv.user_id = o.user_id
LEFT JOIN compliance.cases cc    ON cc.order_id = o.order_id AND cc.status IN ('OPEN', 'UNDER_REVIEW')
LEFT JOIN payments.refunds rf    ON rf.order_id = o.order_id AND rf.status IN ('INITIATED', 'PENDING_PROVIDER')
LEFT JOIN dup_payments dp        ON dp.order_id = o.order_id
LEFT JOIN ecm.assignments_mirror a ON a.order_id = o.order_id AND a.status IN ('ASSIGNED', 'IN_PROGRESS')
WHERE ls.status NOT IN ('COMPLETED', 'CANCELLED', 'REFUNDED', 'FAILED_FINAL')
  AND DATEDIFF(minute, ls.event_at, GETDATE()) >= :min_hours_stuck * 60
ORDER BY hours_stuck DESC, amount_aed DESC;
