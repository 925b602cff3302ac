/** The providers' payloads as alert events, their signatures, and trigger filters. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { filtersAccept } from './event.ts';
import { datadogEvent, genericEvent, pagerDutyEvent } from './providers.ts';
import { genericSigned, pagerDutySigned, sharedSecretMatches } from './signature.ts';

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
