/** The providers' payloads as alert events, their signatures, and trigger filters. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { alertGroupEvents } from './alertmanager.ts';
import { filtersAccept } from './event.ts';
import { ALERTMANAGER, DATADOG, GRAFANA, PAGERDUTY } from './fixtures.ts';
import { datadogEvent, genericEvent, pagerDutyEvent } from './providers.ts';
import { bearerMatches, genericSigned, grafanaSigned, pagerDutySigned, sharedSecretMatches } from './signature.ts';

test('PagerDuty V3: priority P1 is critical, the service is the event’s, resolved is resolved', () => {
  const e = pagerDutyEvent(PAGERDUTY);
  assert.deepEqual(
    { id: e.id, title: e.title, severity: e.severity, status: e.status, service: e.service, url: e.url },
    {
      id: '01DEN2VZXG4S4D5VMZ87QJ5JE5',
      title: 'Fraud score spike on payments',
      severity: 'critical',
      status: 'triggered',
      service: 'payments-api',
      url: 'https://acme.pagerduty.com/incidents/PGR0VU2',
    },
  );
  assert.equal(e.fields.urgency, 'high');
  const resolved = pagerDutyEvent({ event: { ...PAGERDUTY.event, id: 'x', event_type: 'incident.resolved' } });
  assert.equal(resolved.status, 'resolved');
  assert.throws(() => pagerDutyEvent({ messages: [] }), /no `event` object/);
  assert.throws(() => pagerDutyEvent({ event: { event_type: 'incident.triggered' } }), /event\.id is missing/);
});

test('Datadog: $PRIORITY, $ALERT_TYPE, $TAGS (service: from its tag), a recovery is resolved', () => {
  const e = datadogEvent(DATADOG);
  assert.equal(e.severity, 'high');
  assert.equal(e.status, 'triggered');
  assert.equal(e.service, 'checkout');
  assert.deepEqual(e.tags, ['env:prod', 'service:checkout', 'fraud', 'high_risk']);
  assert.equal(
    datadogEvent({ ...DATADOG, priority: undefined }).severity,
    'critical',
    'a triggered error without a priority',
  );
  assert.equal(datadogEvent({ ...DATADOG, alert_type: 'success', alert_transition: 'Recovered' }).status, 'resolved');
  assert.throws(() => datadogEvent({ title: 'x' }), /no id: put "id": "\$ID"/);
  assert.throws(() => datadogEvent([1]), /not a JSON object/);
});

test('generic: the delivery header is the id; title is required; fields are kept for filters', () => {
  const e = genericEvent(
    { title: 'Dispute received', severity: 'HIGH', tags: ['dispute_received'], amount: 120 },
    'd-1',
  );
  assert.deepEqual([e.id, e.severity, e.tags, e.fields.amount], ['d-1', 'high', ['dispute_received'], '120']);
  assert.throws(() => genericEvent({ title: 'x' }, undefined), /no id/);
  assert.throws(() => genericEvent({ id: 'x' }, undefined), /"title" is missing/);
});

test('filters: every field accepts, tags by any tag or a key:value tag’s value, resolved only when asked', () => {
  const e = datadogEvent(DATADOG);
  assert.equal(filtersAccept({ severity: ['critical', 'high'], tags: ['fraud', 'high_risk'] }, e), true);
  assert.equal(filtersAccept({ severity: ['critical'] }, e), false);
  assert.equal(filtersAccept({ tags: ['checkout'] }, e), true, 'service:checkout carries checkout');
  assert.equal(filtersAccept({ service: 'CHECKOUT', priority: ['p2'] }, e), true);
  assert.equal(filtersAccept({ team: ['fraud'] }, e), false, 'a field the event lacks');
  assert.equal(filtersAccept(null, e), true);
  const resolved = { ...e, status: 'resolved' as const };
  assert.equal(filtersAccept({ severity: ['high'] }, resolved), false);
  assert.equal(filtersAccept({ status: ['resolved'] }, resolved), true);
});

test('signatures: PagerDuty v1 (any of several while rotating), generic sha256, Datadog’s shared header', () => {
  const body = Buffer.from(JSON.stringify(PAGERDUTY));
  const sig = createHmac('sha256', 'pd-secret').update(body).digest('hex');
  assert.equal(pagerDutySigned(`v1=${sig}`, 'pd-secret', body), true);
  assert.equal(pagerDutySigned(`v1=${'0'.repeat(64)}, v1=${sig}`, 'pd-secret', body), true);
  assert.equal(pagerDutySigned(`v1=${sig}`, 'other', body), false);
  assert.equal(pagerDutySigned(`v1=${sig}`, 'pd-secret', Buffer.concat([body, Buffer.from(' ')])), false);
  assert.equal(pagerDutySigned(undefined, 'pd-secret', body), false);
  assert.equal(pagerDutySigned(`v1=${sig.slice(2)}`, 'pd-secret', body), false);
  const g = createHmac('sha256', 'hook-secret').update(body).digest('hex');
  assert.equal(genericSigned(`sha256=${g}`, 'hook-secret', body), true);
  assert.equal(genericSigned(`sha1=${g}`, 'hook-secret', body), false);
  assert.equal(sharedSecretMatches('dd-secret', 'dd-secret'), true);
  assert.equal(sharedSecretMatches('dd-secre', 'dd-secret'), false);
  assert.equal(sharedSecretMatches(undefined, 'dd-secret'), false);
});

test('Alertmanager v4: an event per alert, keyed by fingerprint and startsAt; labels are tags, severity and service from them', () => {
  const { groupKey, events } = alertGroupEvents('prometheus', ALERTMANAGER);
  assert.equal(groupKey, ALERTMANAGER.groupKey);
  const [firing, resolved] = events;
  assert.deepEqual(
    {
      id: firing!.id,
      title: firing!.title,
      severity: firing!.severity,
      status: firing!.status,
      service: firing!.service,
      url: firing!.url,
    },
    {
      id: 'b6e1a5f4d3c2b1a0:2026-12-05T10:00:00.000Z',
      title: 'Fraud score above 0.9 on payments-1',
      severity: 'critical',
      status: 'triggered',
      service: 'payments-api',
      url: 'http://prometheus.example.com:9090/graph?g0.expr=fraud_score+%3E+0.9',
    },
  );
  assert.ok(firing!.tags.includes('team:fraud') && firing!.tags.includes('job:payments-api'));
  assert.equal(firing!.fields.alertname, 'fraudscorehigh');
  assert.equal(filtersAccept({ severity: ['critical'], tags: ['fraud'] }, firing!), true, 'team:fraud carries fraud');
  assert.equal(resolved!.status, 'resolved');
  assert.equal(resolved!.id, 'c7f2b6a5e4d3c2b1:2026-12-05T09:00:00.000Z:resolved', 'its resolution is another event');
  const mapSeverity = (severity: string) =>
    alertGroupEvents('prometheus', {
      alerts: [{ ...ALERTMANAGER.alerts[0], labels: { severity } }],
    }).events[0]!.severity;
  assert.deepEqual(['warning', 'page', 'info', 'odd'].map(mapSeverity), ['medium', 'critical', 'info', 'medium']);
});

test('Alertmanager and Grafana: a malformed payload names the field', () => {
  const alert = ALERTMANAGER.alerts[0]!;
  assert.throws(() => alertGroupEvents('prometheus', { version: '4' }), /no `alerts` array/);
  assert.throws(() => alertGroupEvents('prometheus', { ...ALERTMANAGER, version: '3' }), /version 3 is not/);
  assert.throws(
    () => alertGroupEvents('prometheus', { alerts: [{ ...alert, fingerprint: undefined }] }),
    /alerts\[0\]\.fingerprint is missing/,
  );
  assert.throws(
    () => alertGroupEvents('grafana', { alerts: [alert, { ...alert, startsAt: 'yesterday' }] }),
    /Grafana webhook: alerts\[1\]\.startsAt is not a time/,
  );
  assert.throws(
    () => alertGroupEvents('grafana', { alerts: [{ ...alert, status: 'pending' }] }),
    /alerts\[0\]\.status is not firing or resolved/,
  );
  assert.throws(() => alertGroupEvents('grafana', { alerts: Array(101).fill(alert) }), /at most 100/);
});

test('Grafana: service from labels, the panel as the link, the org kept for filters', () => {
  const [e] = alertGroupEvents('grafana', GRAFANA).events;
  assert.deepEqual(
    [e!.source, e!.title, e!.severity, e!.service, e!.url, e!.fields.org_id],
    ['grafana', 'Checkout 5xx above 2 %', 'medium', 'checkout', GRAFANA.alerts[0]!.panelURL, '1'],
  );
});

test('signatures: Grafana’s HMAC of the body, or of timestamp:body inside five minutes; a bearer token', () => {
  const body = Buffer.from(JSON.stringify(GRAFANA));
  const plain = createHmac('sha256', 'gf-secret').update(body).digest('hex');
  assert.equal(grafanaSigned(plain, undefined, 'gf-secret', body), true);
  assert.equal(grafanaSigned(plain, undefined, 'other', body), false);
  assert.equal(grafanaSigned(plain.slice(1), undefined, 'gf-secret', body), false);
  const now = 1_800_000_000;
  const stamped = createHmac('sha256', 'gf-secret').update(`${now}:`).update(body).digest('hex');
  assert.equal(grafanaSigned(stamped, String(now), 'gf-secret', body, now + 10), true);
  assert.equal(grafanaSigned(stamped, String(now), 'gf-secret', body, now + 301), false, 'stale');
  assert.equal(grafanaSigned(plain, String(now), 'gf-secret', body, now), false, 'the timestamp is signed too');
  assert.equal(bearerMatches('Bearer am-token', 'am-token'), true);
  assert.equal(bearerMatches('bearer   am-token', 'am-token'), true);
  assert.equal(bearerMatches('Basic am-token', 'am-token'), false);
  assert.equal(bearerMatches('Bearer am-toke', 'am-token'), false);
  assert.equal(bearerMatches(undefined, 'am-token'), false);
});
