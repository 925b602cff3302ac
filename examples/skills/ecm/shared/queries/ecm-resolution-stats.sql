-- ecm-resolution-stats.sql
-- Resolution throughput and quality per agent and per stuck reason over a window, from the
-- Resolutions mirror: counts, median/p90 time-to-resolve, SLA-met rate, escalation rate.
-- Params: :from_date, :to_date (DATE, inclusive)
-- Used by: manager/run-ecm, manager/pattern-intelligence, manager/ecm-daily-flow (EOD handover)
SELECT
    r.agent,
    r.stuck_reason,
    COUNT(*)                                                            AS outcomes,
    SUM(CASE WHEN r.outcome = 'RESOLVED'  THEN 1 ELSE 0 END)            AS resolved,
    SUM(CASE WHEN r.outcome = 'ESCALATED' THEN 1 ELSE 0 END)            AS escalated,
    ROUND(SUM(CASE WHEN r.outcome = 'ESCALATED' THEN 1 ELSE 0 END)::float / COUNT(*), 3) AS escalation_rate,
    MEDIAN(r.time_to_resolve_min)                                       AS median_ttr_min,
    PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY r.time_to_resolve_min)  AS p90_ttr_min,
    ROUND(AVG(CASE WHEN r.sla_met = 'Y' THEN 1.0 ELSE 0.0 END), 3)      AS sla_met_rate,
    ROUND(AVG(r.hours_stuck_at_resolution), 1)                          AS avg_hours_stuck_at_resolution
FROM ecm.resolutions_mirror r
WHERE TRUNC(r.resolved_at) BETWEEN :from_date AND :to_date
GROUP BY ROLLUP (r.agent, r.stuck_reason)
ORDER BY r.agent NULLS LAST, outcomes DESC;
