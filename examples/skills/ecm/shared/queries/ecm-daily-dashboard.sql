-- ecm-daily-dashboard.sql
-- One-row-per-metric snapshot of ECM health "right now" plus today's flow (Asia/Dubai day).
-- Params: none
-- Used by: manager/run-ecm, manager/ecm-daily-flow
WITH today AS (
    SELECT TRUNC(CONVERT_TIMEZONE('Asia/Dubai', GETDATE())) AS d
)
SELECT 'open_stuck_orders'      AS metric, COUNT(*)::float AS value FROM ecm.stuck_orders_current
UNION ALL
SELECT 'open_stuck_amount_aed', COALESCE(SUM(amount_aed), 0) FROM ecm.stuck_orders_current
UNION ALL
SELECT 'open_p1', COUNT(*) FROM ecm.assignments_mirror WHERE priority = 'P1' AND status IN ('ASSIGNED', 'IN_PROGRESS')
UNION ALL
SELECT 'unassigned', COUNT(*) FROM ecm.stuck_orders_current s
 WHERE NOT EXISTS (SELECT 1 FROM ecm.assignments_mirror a WHERE a.order_id = s.order_id AND a.status IN ('ASSIGNED', 'IN_PROGRESS', 'ESCALATED'))
UNION ALL
SELECT 'escalated_open', COUNT(*) FROM ecm.assignments_mirror WHERE status = 'ESCALATED'
UNION ALL
SELECT 'new_stuck_today', COUNT(*) FROM ecm.stuck_orders_history, today
 WHERE TRUNC(CONVERT_TIMEZONE('Asia/Dubai', stuck_since)) = today.d
UNION ALL
SELECT 'resolved_today', COUNT(*) FROM ecm.resolutions_mirror, today
 WHERE outcome = 'RESOLVED' AND TRUNC(CONVERT_TIMEZONE('Asia/Dubai', resolved_at)) = today.d
UNION ALL
SELECT 'sla_met_rate_today', ROUND(AVG(CASE WHEN sla_met = 'Y' THEN 1.0 ELSE 0.0 END), 3) FROM ecm.resolutions_mirror, today
 WHERE TRUNC(CONVERT_TIMEZONE('Asia/Dubai', resolved_at)) = today.d
UNION ALL
SELECT 'oldest_stuck_hours', COALESCE(MAX(DATEDIFF(minute, stuck_since, GETDATE()) / 60.0), 0) FROM ecm.stuck_orders_current;
