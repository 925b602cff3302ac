-- ecm-sla-breaches.sql
-- Open assignments that have breached (or will breach within :warn_hours) the SLA of their stuck
-- reason. SLA hours mirror config/stuck-reasons.yaml — keep the two in sync.
-- Params: :warn_hours (default 2)
-- Used by: manager/ecm-daily-flow, manager/run-ecm, manager/triage-and-assign (P1 > 24h escalation)
WITH sla AS (
              SELECT 'LULU_NOT_CONFIRMED' AS reason, 12 AS sla_hours
    UNION ALL SELECT 'FALCON_REJECTED', 12
    UNION ALL SELECT 'CHECKOUT_TIMEOUT', 6
    UNION ALL SELECT 'KYC_PENDING', 48
    UNION ALL SELECT 'COLUMN_API_FAILURE', 8
    UNION ALL SELECT 'DUPLICATE_PAYMENT', 24
    UNION ALL SELECT 'BENEFICIARY_NAME_MISMATCH', 24
    UNION ALL SELECT 'REFUND_STUCK', 72
    UNION ALL SELECT 'COMPLIANCE_HOLD', 72
    UNION ALL SELECT 'PAYOUT_PARTNER_DOWN', 6
    UNION ALL SELECT 'UNKNOWN', 24
)
SELECT
    a.order_id,
    a.priority,
    a.stuck_reason,
    a.assigned_agent,
    a.status,
    a.amount_aed,
    ROUND(DATEDIFF(minute, o.stuck_since, GETDATE()) / 60.0, 1)           AS hours_stuck,
    s.sla_hours,
    ROUND(DATEDIFF(minute, o.stuck_since, GETDATE()) / 60.0 - s.sla_hours, 1) AS hours_over_sla,
    CASE
        WHEN DATEDIFF(minute, o.stuck_since, GETDATE()) >= s.sla_hours * 60 THEN 'BREACHED'
        ELSE 'AT_RISK'
    END                                                                     AS sla_state
FROM ecm.assignments_mirror a
JOIN ecm.stuck_orders_current o ON o.order_id = a.order_id
JOIN sla s                      ON s.reason = a.stuck_reason
WHERE a.status IN ('ASSIGNED', 'IN_PROGRESS', 'ESCALATED')
  AND DATEDIFF(minute, o.stuck_since, GETDATE()) >= (s.sla_hours - :warn_hours) * 60
ORDER BY sla_state, hours_over_sla DESC, a.amount_aed DESC;
