/**
 * internal_fraud_db: blocks (fraud/block-transaction), customer risk and dispute case drafts
 * (fraud/dispute-chargeback). Blocks and drafts live in memory for the process lifetime; both open
 * a fraud case from one FR-… sequence.
 */
import { requireOneOf, requireString } from '../args.ts';
import { DEMO_CREDENTIALS } from '../fixtures/credentials.ts';
import { DISPUTES } from '../fixtures/disputes.ts';
import { FIRST_CASE_NUMBER, USER_RISK } from '../fixtures/fraud.ts';
import { created, HttpError, notFound } from '../http.ts';
import type { ApiService, Clock } from '../types.ts';
import { findTransaction } from './trm.ts';

const DECISIONS = ['accept', 'challenge', 'analyst_review'] as const;

interface Block {
  blockId: string;
  transactionId: string;
  status: 'BLOCKED';
  reason: string;
  caseId: string;
  blockedAt: string;
}

interface DisputeCase {
  case_id: string;
  dispute_id: string;
  decision: (typeof DECISIONS)[number];
  draft: string;
  status: 'DRAFT';
  version: number;
  created_at: string;
  saved_at: string;
}

export function createFraudDb(clock: Clock): ApiService {
  let nextCase = FIRST_CASE_NUMBER;
  const blocks = new Map<string, Block>();
  const cases = new Map<string, DisputeCase>();
  const now = () => new Date(clock.now()).toISOString();

  return {
    api: 'internal_fraud_db',
    credential: { type: 'bearer', token: DEMO_CREDENTIALS.fraudDb },
    routes: [
      {
        name: 'blockTransaction',
        method: 'POST',
        path: '/transactions/{transactionId}/block',
        handle: (args) => {
          const tx = findTransaction(String(args.transactionId));
          const reason = requireString(args, 'reason');
          // Idempotent: a second block of the same transfer returns the first one.
          const existing = blocks.get(tx.transactionId);
          if (existing) return { ...existing, alreadyBlocked: true };
          if (tx.status === 'COMPLETED') {
            throw new HttpError(
              409,
              'already_paid_out',
              `transaction ${tx.transactionId} has already paid out and cannot be blocked; request a recall from the payout partner and open a fraud case`,
            );
          }
          const block: Block = {
            blockId: `BLK-${tx.transactionId}`,
            transactionId: tx.transactionId,
            status: 'BLOCKED',
            reason,
            caseId: `FR-${nextCase++}`,
            blockedAt: now(),
          };
          blocks.set(tx.transactionId, block);
          return created({ ...block, alreadyBlocked: false });
        },
      },
      {
        name: 'get_user_risk',
        method: 'GET',
        path: '/users/{user_id}/risk',
        handle: ({ user_id }) => {
          const risk = USER_RISK.find((u) => u.user_id === user_id);
          if (!risk) throw notFound(`user ${String(user_id)}`);
          return risk;
        },
      },
      {
        name: 'save_dispute_draft',
        method: 'POST',
        path: '/disputes/{dispute_id}/draft',
        handle: (args) => {
          const disputeId = String(args.dispute_id);
          if (!DISPUTES.some((d) => d.id === disputeId)) throw notFound(`dispute ${disputeId}`);
          const decision = requireOneOf(args, 'decision', DECISIONS);
          const draft = requireString(args, 'draft');
          // Skills only draft; an analyst submits from the fraud console.
          requireOneOf(args, 'status', ['DRAFT'] as const);
          const prev = cases.get(disputeId);
          const saved: DisputeCase = {
            case_id: prev?.case_id ?? `FR-${nextCase++}`,
            dispute_id: disputeId,
            decision,
            draft,
            status: 'DRAFT',
            version: (prev?.version ?? 0) + 1,
            created_at: prev?.created_at ?? now(),
            saved_at: now(),
          };
          cases.set(disputeId, saved);
          return prev ? saved : created(saved);
        },
      },
    ],
  };
}
