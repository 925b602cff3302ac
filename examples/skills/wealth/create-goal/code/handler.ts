import type { SkillHandler } from '@aspora/sdk';

type GoalDraft = {
  name: string;
  targetAmount: number;
  targetCurrency: string;
  targetDate: string;
  alreadySaved?: number;
  confirmed?: boolean;
};

export function annualReturn(months: number): number {
  return months < 24 ? 0.03 : months <= 60 ? 0.05 : 0.07;
}

/** Monthly payment so that alreadySaved grown + payments reach target (future-value annuity). */
export function monthlyNeeded(target: number, alreadySaved: number, months: number): number {
  const r = annualReturn(months) / 12;
  const grownSavings = alreadySaved * (1 + r) ** months;
  const remaining = Math.max(0, target - grownSavings);
  return Math.ceil((remaining * r) / ((1 + r) ** months - 1));
}

export function monthsUntil(date: string, now = new Date()): number {
  const d = new Date(date);
  return Math.max(3, (d.getUTCFullYear() - now.getUTCFullYear()) * 12 + d.getUTCMonth() - now.getUTCMonth());
}

export const handler: SkillHandler = async (context) => {
  const { userMessage } = context.input;
  // The customer is whom the platform authenticated (or a channel acted for), never an id in the input.
  const userId = context.user?.email;
  if (!userId)
    return {
      success: false,
      message: 'Planning a goal needs a signed-in customer: ask through the app, which acts for you.',
      confidence: 1,
    };
  const profile = (await context.apis.user_profile_api.getProfile({ userId })) as {
    homeCurrency: string;
    medianMonthlySurplus: number;
  };

  const extracted = await context.model.chat({
    messages: [
      {
        role: 'system',
        content:
          'Extract a savings goal as JSON {"name","targetAmount","targetCurrency","targetDate":"YYYY-MM","alreadySaved","confirmed"} ' +
          'or {"ask":"<one question for at most two missing fields>"}. Lakh = 100,000. confirmed=true only if the user explicitly agreed to save.',
      },
      {
        role: 'user',
        content: JSON.stringify({ message: userMessage, pending: context.input.metadata?.pendingGoal ?? null }),
      },
    ],
  });
  const goal = parseJson<GoalDraft & { ask?: string }>(extracted.content);
  // A model answer that is not the JSON asked for: ask again rather than guess numbers.
  if (!goal)
    return {
      success: false,
      message: 'I could not read that goal. What are you saving for, how much, in which currency, and by when?',
      data: { needsInput: true },
      confidence: 0,
    };
  if (goal.ask) return { success: true, message: goal.ask, data: { needsInput: true }, confidence: 0.7 };

  const saveCcy = profile.homeCurrency;
  let targetInSaveCcy = goal.targetAmount;
  if (goal.targetCurrency !== saveCcy) {
    const { rate } = (await context.apis.fx_rates_api.getMidRate({ from: goal.targetCurrency, to: saveCcy })) as {
      rate: number;
    };
    targetInSaveCcy = Math.round(goal.targetAmount * rate * 1.03);
  }
  const months = monthsUntil(goal.targetDate);
  const monthly = monthlyNeeded(targetInSaveCcy, goal.alreadySaved ?? 0, months);
  const share = monthly / Math.max(1, profile.medianMonthlySurplus);
  const fits = share <= 0.5;

  if (goal.confirmed) {
    await context.apis.wealth_goals_db.upsertGoal({
      userId,
      ...goal,
      targetInSaveCcy,
      saveCurrency: saveCcy,
      monthly,
      milestones: [0.25, 0.5, 0.75].map((p) => Math.round(targetInSaveCcy * p)),
    });
  }
  const message = [
    `🎯 Goal: ${goal.name}`,
    `Target ${goal.targetAmount.toLocaleString('en-IN')} ${goal.targetCurrency} by ${goal.targetDate} (≈ ${targetInSaveCcy.toLocaleString('en-US')} ${saveCcy})`,
    `Monthly: ${monthly.toLocaleString('en-US')} ${saveCcy} for ${months} months (assumes ~${annualReturn(months) * 100}%/yr; not guaranteed)`,
    fits
      ? `Fits your budget: yes — about ${Math.round(share * 100)}% of your usual monthly surplus`
      : `That's ${Math.round(share * 100)}% of your usual surplus — want a later date or a smaller target?`,
    goal.confirmed ? '✅ Saved.' : 'Shall I save this goal?',
  ].join('\n');
  context.log.info('goal planned', { userId, months, fits, saved: !!goal.confirmed });
  return {
    success: true,
    message,
    data: { monthly, months, targetInSaveCcy, fits, saved: !!goal.confirmed },
    confidence: 0.88,
  };
};

/** The model's JSON answer (a ```json fence allowed), or undefined when it is not JSON. */
function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text.trim().replace(/^```(?:json)?\s*|\s*```$/g, '')) as T;
  } catch {
    return undefined;
  }
}
