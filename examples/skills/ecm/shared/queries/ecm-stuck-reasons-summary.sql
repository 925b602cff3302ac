-- ecm-stuck-reasons-summary.sql
-- Daily counts of newly stuck orders by stuck reason, corridor and payout partner for the last
-- :weeks weeks, plus week-over-week change. Input for anomaly and trend detection.
-- Params: :weeks (default 4)
-- Used by: manager/pattern-intelligence, manager/run-ecm
WITH daily AS (
    SELECT
        TRUNC(s.stuck_since)               AS stuck_date,
        s.stuck_reason,
        s.corridor,
        COALESCE(s.payout_partner, '-')    AS payout_partner,
        COUNT(*)                           AS orders_stuck,
        SUM(s.amount_aed)                  AS amount_aed_stuck,
        AVG(s.hours_to_clear)              AS avg_hours_to_clear
    FROM ecm.stuck_orders_history s
    WHERE s.stuck_since >= DATEADD(week, -:weeks, GETDATE())
    GROUP BY 1, 2, 3, 4
)
SELECT
    d.*,
    LAG(d.orders_stuck, 7) OVER (PARTITION BY d.stuck_reason, d.corridor, d.payout_partner
                                 ORDER BY d.stuck_date)                       AS orders_stuck_same_day_last_week,
    AVG(d.orders_stuck) OVER (PARTITION BY d.stuck_reason, d.corridor, d.payout_partner
                              ORDER BY d.stuck_date ROWS BETWEEN 27 PRECEDING AND 1 PRECEDING) AS trailing_28d_avg,
    STDDEV_SAMP(d.orders_stuck) OVER (PARTITION BY d.stuck_reason, d.corridor, d.payout_partner
                              ORDER BY d.stuck_date ROWS BETWEEN 27 PRECEDING AND 1 PRECEDING) AS trailing_28d_stddev
FROM daily d
ORDER BY d.stuck_date DESC, d.orders_stuck DESC;
