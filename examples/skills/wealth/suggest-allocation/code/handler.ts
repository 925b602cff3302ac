import type { SkillContext, SkillHandler } from '@aspora/sdk';

type Risk = 'conservative' | 'balanced' | 'growth';
type Mix = { equity: number; debt: number; gold: number; cash: number };
export const DISCLAIMER =
  "ℹ️ Educational suggestion, not personalised financial advice. Past returns don't guarantee future returns.";

const MODELS: Record<'short' | 'medium' | 'long', Record<Risk, Mix>> = {
  short: {
    conservative: { equity: 10, debt: 60, gold: 5, cash: 25 },
    balanced: { equity: 20, debt: 55, gold: 5, cash: 20 },
    growth: { equity: 30, debt: 50, gold: 5, cash: 15 },
  },
  medium: {
    conservative: { equity: 25, debt: 55, gold: 10, cash: 10 },
    balanced: { equity: 45, debt: 40, gold: 10, cash: 5 },
    growth: { equity: 60, debt: 28, gold: 7, cash: 5 },
  },
  long: {
    conservative: { equity: 40, debt: 45, gold: 10, cash: 5 },
    balanced: { equity: 60, debt: 28, gold: 7, cash: 5 },
    growth: { equity: 75, debt: 15, gold: 5, cash: 5 },
  },
};

/** Base model by horizon and risk, with the glide path inside the last 12 months. */
export function baseMix(horizonMonths: number, risk: Risk): Mix {
  const band = horizonMonths < 36 ? 'short' : horizonMonths <= 84 ? 'medium' : 'long';
  const mix = { ...MODELS[band][risk] };
  if (horizonMonths < 12) {
    const shift = Math.round((mix.equity * (12 - horizonMonths)) / 12);
    mix.equity -= shift;
    mix.cash += shift;
  }
  return mix;
}

export function drift(target: Mix, current: Mix): Partial<Mix> {
  const out: Partial<Mix> = {};
  for (const k of Object.keys(target) as (keyof Mix)[])
    if (Math.abs(current[k] - target[k]) > 5) out[k] = current[k] - target[k];
  return out;
}

type Profile = { riskProfile?: Risk; emergencyFundMonths: number; holdingsPct: Mix; shariah?: boolean };

/** The customer's profile, or null when there is no signed-in customer or the profile service has none. */
async function profileOf(context: SkillContext, userId: string | undefined): Promise<Profile | null> {
  if (!userId) return null;
  try {
    return (await context.apis.user_profile_api.getProfile({ userId })) as Profile;
  } catch (e) {
    if ((e as { code?: string }).code === 'NOT_FOUND') return null;
    throw e;
  }
}

export const handler: SkillHandler = async (context) => {
  const { userMessage, metadata } = context.input;
  // The customer is whom the platform authenticated (or the app acted for), never an id in the input.
  const userId = context.user?.email;
  const profile = await profileOf(context, userId);
  if (profile && !profile.riskProfile) {
    return {
      success: true,
      message:
        'Before I suggest a mix, three quick questions:\n1. If your investments fell 20% in a year, would you sell, wait, or buy more?\n' +
        '2. When will you need most of this money?\n3. Do you have other savings you could use in an emergency?',
      data: { needsRiskCheck: true },
      confidence: 0.8,
    };
  }
  // Without a profile: the general balanced mix, said to be general (no holdings, no goal).
  const risk: Risk = profile?.riskProfile ?? 'balanced';
  const goalId = metadata?.goalId as string | undefined;
  const goal =
    profile && goalId
      ? ((await context.apis.wealth_goals_db.getGoal({ userId, goalId })) as {
          name: string;
          horizonMonths: number;
          targetCurrency: string;
        })
      : null;
  const horizon = goal?.horizonMonths ?? 60;
  const target = baseMix(horizon, risk);
  const moves = profile ? drift(target, profile.holdingsPct) : {};

  const reply = await context.model.chat({
    messages: [
      {
        role: 'system',
        content:
          'Explain this allocation in the SKILL.md format: asset classes only, never product names, 3-5 "why" bullets, one main risk. ' +
          `${profile ? '' : 'There is no customer profile: say this is a general mix for a balanced investor, and that signing in through the app makes it theirs. '}` +
          `${profile && profile.emergencyFundMonths < 3 ? 'Emergency fund is under 3 months: recommend topping up cash first. ' : ''}${profile?.shariah ? 'Use Shariah-compliant asset classes. ' : ''}`,
      },
      {
        role: 'user',
        content: JSON.stringify({
          question: userMessage,
          goal,
          risk,
          horizon,
          target,
          current: profile?.holdingsPct ?? null,
          drift: moves,
        }),
      },
    ],
  });
  const message = reply.content.includes('not personalised financial advice')
    ? reply.content
    : `${reply.content}\n${DISCLAIMER}`;
  context.log.info('allocation suggested', {
    userId: userId ?? null,
    personalised: !!profile,
    horizon,
    risk,
    rebalance: Object.keys(moves).length,
  });
  return {
    success: true,
    message,
    data: { target, drift: moves, horizon, personalised: !!profile },
    confidence: profile ? 0.85 : 0.6,
  };
};
