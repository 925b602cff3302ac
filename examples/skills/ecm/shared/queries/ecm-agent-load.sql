-- ecm-agent-load.sql
-- Open ticket load per agent from the Assignments mirror (synced from Google Sheets every 15 min),
-- weighted by priority (P1=3, P2=2, P3-P5=1), for load balancing and rebalancing.
-- Params: none
-- Used by: manager/triage-and-assign, manager/assign-tickets, manager/ecm-daily-flow
SELECT
    ag.agent_email,
    ag.display_name,
    ag.team,                                   -- ops | kyc | vda | payments | compliance
    ag.status                                   AS agent_status,      -- ACTIVE | OOO
    ag.max_open_tickets,
    COUNT(a.order_id)                           AS open_tickets,
    SUM(CASE WHEN a.priority = 'P1' THEN 1 ELSE 0 END) AS open_p1,
    SUM(CASE a.priority WHEN 'P1' THEN 3 WHEN 'P2' THEN 2 ELSE 1 END) AS weighted_load,
    ROUND(SUM(CASE a.priority WHEN 'P1' THEN 3 WHEN 'P2' THEN 2 ELSE 1 END)::float
          / NULLIF(ag.max_open_tickets, 0), 2)  AS utilisation,
    MIN(a.assigned_at)                          AS oldest_assignment_at
FROM ecm.agents_mirror ag
LEFT JOIN ecm.assignments_mirror a
       ON a.assigned_agent = ag.agent_email
      AND a.status IN ('ASSIGNED', 'IN_PROGRESS')
GROUP BY ag.agent_email, ag.display_name, ag.team, ag.status, ag.max_open_tickets
ORDER BY utilisation NULLS FIRST, open_p1;
