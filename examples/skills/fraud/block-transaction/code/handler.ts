// code/handler.ts
import type { AsporaSkillHandler, SkillContext, SkillResult, SkillTools } from '@aspora/sdk';

export const handler: AsporaSkillHandler = async (context: SkillContext): Promise<SkillResult> => {
  // 1. Access skill inputs, and the end user the platform authenticated (null: a service or schedule)
  // biome-ignore lint/correctness/noUnusedVariables: the reference handler shows what the input carries
  const { userMessage, domain } = context.input;
  // biome-ignore lint/correctness/noUnusedVariables: the reference handler shows who it runs for
  const user = context.user;

  // 2. Access tools (Read, Write, Bash, etc.)
  // biome-ignore lint/correctness/noUnusedVariables: the reference handler shows how a skill reads its own files
  const decisions = await context.tools.read({
    path: 'DECISIONS.md',
  });

  // 3. Call external APIs (with automatic rate limiting)
  const fraudScore = (await context.apis.trm_api.checkTransaction({
    transactionId: context.input.metadata.transactionId,
  })) as number;

  // 4. Execute deterministic logic
  if (Number(fraudScore) > 0.8) {
    await context.apis.internal_fraud_db.blockTransaction({
      transactionId: context.input.metadata.transactionId,
      reason: 'High fraud score',
    });

    return {
      success: true,
      message: '🚫 Transaction blocked due to high fraud score',
      data: {
        fraudScore,
        action: 'blocked',
      },
      confidence: 0.95,
    };
  }

  return {
    success: true,
    message: '✅ Transaction approved',
    data: { fraudScore, action: 'approved' },
    confidence: 0.85,
  };
};

// Custom tools: offered to the model when a handler calls context.model.chat({ messages, tools: true }),
// and run here, in the sandbox, with this skill's permissions.
export const tools: SkillTools = {
  fraudScore: {
    description: 'The TRM fraud score (0 = clean, 1 = certain fraud) of a transaction',
    parameters: { type: 'object', properties: { transactionId: { type: 'string' } }, required: ['transactionId'] },
    run: ({ transactionId }, context) => context.apis.trm_api!.checkTransaction!({ transactionId }),
  },
};
