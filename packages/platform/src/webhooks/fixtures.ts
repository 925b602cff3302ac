/** Providers' webhook payloads as their documentation shows them, for tests. */
// A PagerDuty V3 webhook as its documentation shows one (trimmed).
export const PAGERDUTY = {
  event: {
    id: '01DEN2VZXG4S4D5VMZ87QJ5JE5',
    event_type: 'incident.triggered',
    resource_type: 'incident',
    occurred_at: '2026-12-05T10:00:00.000Z',
    agent: { html_url: 'https://acme.pagerduty.com/users/PLH1HKV', id: 'PLH1HKV', type: 'user_reference' },
    data: {
      id: 'PGR0VU2',
      type: 'incident',
      html_url: 'https://acme.pagerduty.com/incidents/PGR0VU2',
      number: 2,
      status: 'triggered',
      incident_key: 'd3640fbd41094207a1c11e58e46b1662',
      title: 'Fraud score spike on payments',
      service: { id: 'PF9KMXH', summary: 'payments-api', type: 'service_reference' },
      urgency: 'high',
      priority: { id: 'PSO75BM', summary: 'P1', type: 'priority_reference' },
    },
  },
};
export const DATADOG = {
  id: '7112463421234567890',
  title: '[Triggered] High fraud rate on checkout',
  alert_type: 'error',
  alert_transition: 'Triggered',
  priority: 'P2',
  tags: 'env:prod,service:checkout,fraud,high_risk',
  link: 'https://app.datadoghq.com/monitors/123',
  org: { id: '1', name: 'Acme' },
};
