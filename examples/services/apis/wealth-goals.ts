/**
 * wealth_goals_db: a customer's savings goals. getGoal serves wealth/suggest-allocation;
 * upsertGoal (wealth/create-goal) creates or updates a goal — matched by goalId, else by name —
 * and keeps it in memory for the process lifetime.
 */
import { optionalArray, optionalNumber, optionalString, requireNumber, requireString } from '../args.ts';
import { DEMO_CREDENTIALS } from '../fixtures/credentials.ts';
import { CURRENCIES, isCurrency, midRate, type Currency } from '../fixtures/fx.ts';
import { GOALS, PROFILES } from '../fixtures/wealth.ts';
import { badRequest, created, notFound } from '../http.ts';
import { DAY_MS, type ApiService, type Args, type Clock } from '../types.ts';

interface Goal {
  goalId: string;
  userId: string;
  name: string;
  targetAmount: number;
  targetCurrency: Currency;
  /** YYYY-MM */
  targetDate: string;
  alreadySaved: number;
  saveCurrency: Currency;
  targetInSaveCcy: number;
  monthly: number | null;
  milestones: number[];
  status: 'ACTIVE';
  createdAt: string;
  updatedAt: string;
}

export function createWealthGoalsDb(clock: Clock): ApiService {
  const goals = new Map<string, Map<string, Goal>>(PROFILES.map((p) => [p.userId, new Map()]));
  for (const g of GOALS) {
    const profile = PROFILES.find((p) => p.userId === g.userId)!;
    const targetInSaveCcy = inSaveCurrency(g.targetAmount, g.targetCurrency, profile.homeCurrency);
    const createdAt = new Date(clock.anchor - g.createdDaysAgo * DAY_MS).toISOString();
    goals.get(g.userId)!.set(g.goalId, {
      goalId: g.goalId,
      userId: g.userId,
      name: g.name,
      targetAmount: g.targetAmount,
      targetCurrency: g.targetCurrency,
      targetDate: addMonths(clock.anchor, g.monthsFromNow),
      alreadySaved: g.alreadySaved,
      saveCurrency: profile.homeCurrency,
      targetInSaveCcy,
      monthly: g.monthly,
      milestones: milestonesOf(targetInSaveCcy),
      status: 'ACTIVE',
      createdAt,
      updatedAt: createdAt,
    });
  }
  const userGoals = (userId: unknown) => {
    const mine = goals.get(String(userId));
    if (!mine) throw notFound(`user ${String(userId)}`);
    return mine;
  };
  const view = (g: Goal) => ({ ...g, horizonMonths: monthsBetween(clock.now(), g.targetDate) });

  return {
    api: 'wealth_goals_db',
    credential: { type: 'bearer', token: DEMO_CREDENTIALS.wealthGoals },
    routes: [
      {
        name: 'getGoal',
        method: 'GET',
        path: '/users/{userId}/goals/{goalId}',
        handle: ({ userId, goalId }) => {
          const g = userGoals(userId).get(String(goalId));
          if (!g) throw notFound(`goal ${String(goalId)} of user ${String(userId)}`);
          return view(g);
        },
      },
      {
        name: 'upsertGoal',
        method: 'POST',
        path: '/users/{userId}/goals',
        handle: (args) => {
          const mine = userGoals(args.userId);
          const input = goalInput(args, clock.now());
          const byId = optionalString(args, 'goalId');
          if (byId !== undefined && !mine.has(byId)) throw notFound(`goal ${byId} of user ${String(args.userId)}`);
          const prev =
            byId !== undefined
              ? mine.get(byId)
              : [...mine.values()].find((g) => g.name.toLowerCase() === input.name.toLowerCase());
          const saveCurrency =
            input.saveCurrency ?? prev?.saveCurrency ?? PROFILES.find((p) => p.userId === args.userId)!.homeCurrency;
          const targetInSaveCcy =
            input.targetInSaveCcy ?? inSaveCurrency(input.targetAmount, input.targetCurrency, saveCurrency);
          const now = new Date(clock.now()).toISOString();
          const goal: Goal = {
            goalId: prev?.goalId ?? `g${mine.size + 1}`,
            userId: String(args.userId),
            name: input.name,
            targetAmount: input.targetAmount,
            targetCurrency: input.targetCurrency,
            targetDate: input.targetDate,
            alreadySaved: input.alreadySaved ?? prev?.alreadySaved ?? 0,
            saveCurrency,
            targetInSaveCcy,
            monthly: input.monthly ?? prev?.monthly ?? null,
            milestones: input.milestones ?? milestonesOf(targetInSaveCcy),
            status: 'ACTIVE',
            createdAt: prev?.createdAt ?? now,
            updatedAt: now,
          };
          mine.set(goal.goalId, goal);
          return prev ? { ...view(goal), created: false } : created({ ...view(goal), created: true });
        },
      },
    ],
  };
}

function goalInput(args: Args, now: number) {
  const currency = (key: string, value: string | undefined) => {
    if (value !== undefined && !isCurrency(value))
      throw badRequest(`argument ${key}: currency ${value} is not supported; supported: ${CURRENCIES.join(', ')}`);
    return value as Currency | undefined;
  };
  const targetDate = requireString(args, 'targetDate');
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(targetDate))
    throw badRequest(`argument targetDate must be a month, YYYY-MM; got "${targetDate}"`);
  if (monthsBetween(now, targetDate) < 1) throw badRequest(`argument targetDate ${targetDate} is not in the future`);
  const milestones = optionalArray(args, 'milestones');
  if (milestones && !milestones.every((m) => typeof m === 'number' && m >= 0))
    throw badRequest('argument milestones must be an array of amounts');
  return {
    name: requireString(args, 'name'),
    targetAmount: requireNumber(args, 'targetAmount', { min: 1 }),
    targetCurrency: currency('targetCurrency', requireString(args, 'targetCurrency'))!,
    targetDate,
    alreadySaved: optionalNumber(args, 'alreadySaved', { min: 0 }),
    saveCurrency: currency('saveCurrency', optionalString(args, 'saveCurrency')),
    targetInSaveCcy: optionalNumber(args, 'targetInSaveCcy', { min: 0 }),
    monthly: optionalNumber(args, 'monthly', { min: 0 }),
    milestones: milestones as number[] | undefined,
  };
}

/** Like create-goal: a foreign-currency target gets a 3% buffer for FX moves. */
function inSaveCurrency(amount: number, from: Currency, to: Currency): number {
  return from === to ? amount : Math.round(amount * midRate(from, to) * 1.03);
}

const milestonesOf = (target: number) => [0.25, 0.5, 0.75].map((p) => Math.round(target * p));

function addMonths(ms: number, months: number): string {
  const d = new Date(ms);
  const total = d.getUTCFullYear() * 12 + d.getUTCMonth() + months;
  return `${Math.floor(total / 12)}-${String((total % 12) + 1).padStart(2, '0')}`;
}

function monthsBetween(ms: number, yyyyMm: string): number {
  const d = new Date(ms);
  const [y, m] = yyyyMm.split('-').map(Number) as [number, number];
  return (y - d.getUTCFullYear()) * 12 + (m - 1 - d.getUTCMonth());
}
