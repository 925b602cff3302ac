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
// Prometheus Alertmanager's webhook (payload version 4), as its documentation shows it.
export const ALERTMANAGER = {
  version: '4',
  groupKey: '{}/{severity="critical"}:{alertname="FraudScoreHigh"}',
  truncatedAlerts: 0,
  status: 'firing',
  receiver: 'aspora',
  groupLabels: { alertname: 'FraudScoreHigh' },
  commonLabels: { alertname: 'FraudScoreHigh', severity: 'critical', job: 'payments-api' },
  commonAnnotations: { summary: 'Fraud score above 0.9 on payments' },
  externalURL: 'http://alertmanager.example.com:9093',
  alerts: [
    {
      status: 'firing',
      labels: {
        alertname: 'FraudScoreHigh',
        severity: 'critical',
        job: 'payments-api',
        instance: 'payments-1:9100',
        team: 'fraud',
      },
      annotations: {
        summary: 'Fraud score above 0.9 on payments-1',
        runbook_url: 'https://runbooks.example.com/fraud',
      },
      startsAt: '2026-12-05T10:00:00.000Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example.com:9090/graph?g0.expr=fraud_score+%3E+0.9',
      fingerprint: 'b6e1a5f4d3c2b1a0',
    },
    {
      status: 'resolved',
      labels: { alertname: 'FraudScoreHigh', severity: 'critical', job: 'payments-api', instance: 'payments-2:9100' },
      annotations: { summary: 'Fraud score above 0.9 on payments-2' },
      startsAt: '2026-12-05T09:00:00.000Z',
      endsAt: '2026-12-05T09:30:00.000Z',
      generatorURL: 'http://prometheus.example.com:9090/graph?g0.expr=fraud_score+%3E+0.9',
      fingerprint: 'c7f2b6a5e4d3c2b1',
    },
  ],
};
// Grafana unified alerting's webhook contact point, as its documentation shows it (trimmed).
export const GRAFANA = {
  receiver: 'aspora',
  status: 'firing',
  orgId: 1,
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'CheckoutErrors', grafana_folder: 'Payments', service: 'checkout', severity: 'warning' },
      annotations: { summary: 'Checkout 5xx above 2 %', description: 'Errors on checkout for 5 minutes' },
      startsAt: '2026-12-05T11:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'https://grafana.example.com/alerting/grafana/cdx1/view?orgId=1',
      fingerprint: '57c6d9296de2ad39',
      silenceURL: 'https://grafana.example.com/alerting/silence/new?alertmanager=grafana',
      dashboardURL: 'https://grafana.example.com/d/checkout?orgId=1',
      panelURL: 'https://grafana.example.com/d/checkout?orgId=1&viewPanel=2',
      values: { A: 2.4, C: 1 },
      valueString: "[ var='A' labels={service=checkout} value=2.4 ]",
    },
  ],
  groupLabels: { alertname: 'CheckoutErrors' },
  commonLabels: { alertname: 'CheckoutErrors', grafana_folder: 'Payments', service: 'checkout', severity: 'warning' },
  commonAnnotations: { summary: 'Checkout 5xx above 2 %' },
  externalURL: 'https://grafana.example.com/',
  version: '1',
  groupKey: '{}:{alertname="CheckoutErrors"}',
  truncatedAlerts: 0,
  title: '[FIRING:1] CheckoutErrors Payments (checkout warning)',
  state: 'alerting',
  message: '**Firing**\n\nValue: A=2.4\nLabels:\n - alertname = CheckoutErrors\n',
};
