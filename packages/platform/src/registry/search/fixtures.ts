/** Search fixtures shared by the search tests (and handy for demos). */
import { skillInput } from '../test-support.ts';
import type { RegisterVersionInput } from '../types.ts';

export const SEARCH_FIXTURES: RegisterVersionInput[] = [
  skillInput('fraud', 'block-transaction', {
    description:
      'Blocks suspicious transactions and syncs with TRM. Use when fraud score > 0.8 or user flags transaction.',
    negative: 'Do NOT use for chargebacks or refund disputes.',
    patterns: ['fraud', 'suspicious transaction', 'block this payment'],
    examples: ['block the card payment from this merchant'],
  }),
  skillInput('fraud', 'dispute-chargeback', {
    description:
      'Handles chargebacks and refund disputes: gathers evidence, files the dispute with the card network and tracks the outcome.',
    negative: 'Do NOT use for blocking live transactions.',
    patterns: ['chargeback', 'refund dispute', 'dispute this charge'],
    examples: ['customer wants a refund for a charge they do not recognise'],
  }),
  skillInput('fraud', 'score-risk', {
    description: 'Computes a fraud risk score for a customer or transaction from device, velocity and history signals.',
    patterns: ['risk score', 'how risky is'],
  }),
  skillInput('ecm', 'my-tickets', {
    role: 'field',
    description:
      "Shows agent's personal ticket queue from Google Sheets with live Redshift enrichment and actionable instructions per ticket.",
    negative: 'Do NOT use for: triage/assignment (use manager/triage-and-assign).',
    patterns: ['my tickets', 'my queue', 'show my work'],
    examples: ['what should I work on next'],
  }),
  skillInput('ecm', 'triage-and-assign', {
    role: 'manager',
    description:
      'Analyzes all stuck orders, scores by priority (P1-P5), and assigns to agents via Google Sheets. Runs 3x daily.',
    negative: 'Do NOT use for: individual ticket work (use field/my-tickets instead).',
    patterns: ['triage', 'analyze and assign', 'daily briefing'],
    examples: ['run triage on the stuck orders'],
  }),
  skillInput('ecm', 'resolve-ticket', {
    role: 'field',
    description: 'Resolves a stuck order ticket following the runbook and records the resolution in Google Sheets.',
    patterns: ['resolve ticket', 'mark resolved'],
  }),
  skillInput('support', 'refund-order', {
    role: 'field',
    description: 'Issues a refund for a delivered order after checking the refund policy.',
    negative: 'Do NOT use for chargebacks or fraud.',
    patterns: ['refund my order', 'issue refund'],
  }),
];
