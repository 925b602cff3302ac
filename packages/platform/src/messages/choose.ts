/**
 * The model step of routing: when the best skills for a message score close together, a cheap
 * model (the gateway's `classification` task) reads their descriptions — with their "Do NOT use
 * for" text — and picks one, saying why. Its answer is only taken if it names a candidate.
 */
import type { ModelGateway } from '../gateway/gateway.ts';

export interface Choice {
  ref: string;
  description: string;
}

/** Characters of a description shown to the model (a description is short; this bounds the prompt). */
const MAX_DESCRIPTION = 600;

export async function modelChoice(
  gateway: ModelGateway,
  text: string,
  candidates: Choice[],
): Promise<{ ref: string | null; reason: string; model: string }> {
  const list = candidates.map((c, i) => `${i + 1}. ${c.ref} — ${c.description.slice(0, MAX_DESCRIPTION)}`).join('\n');
  const answer = await gateway.chat(
    {
      taskType: 'classification',
      temperature: 0,
      maxTokens: 200,
      messages: [
        {
          role: 'system',
          content:
            'You route a user\'s message to the one skill that should answer it. Respect each skill\'s "Do NOT use for" text. ' +
            'Answer with JSON only: {"skill": "<domain/name from the list>", "reason": "<one short sentence>"}, ' +
            'or {"skill": null, "reason": "…"} when no skill fits.',
        },
        { role: 'user', content: `Message: ${text}\n\nSkills:\n${list}` },
      ],
    },
    { prefs: {}, task: { type: 'classification' } },
  );
  const parsed = parseAnswer(answer.content);
  const ref = parsed?.skill && candidates.some((c) => c.ref === parsed.skill) ? parsed.skill : null;
  return {
    ref,
    reason: (parsed?.reason ?? '').slice(0, 300) || (ref ? 'chosen by the model' : 'the model chose none of them'),
    model: answer.model,
  };
}

/** The first JSON object in the model's text (models wrap JSON in prose or fences). */
function parseAnswer(content: string): { skill?: string | null; reason?: string } | null {
  const start = content.indexOf('{');
  const end = content.lastIndexOf('}');
  if (start < 0 || end <= start) return null;
  try {
    const v = JSON.parse(content.slice(start, end + 1)) as unknown;
    if (!v || typeof v !== 'object') return null;
    const o = v as Record<string, unknown>;
    return {
      ...(typeof o.skill === 'string' || o.skill === null ? { skill: o.skill as string | null } : {}),
      ...(typeof o.reason === 'string' ? { reason: o.reason } : {}),
    };
  } catch {
    return null;
  }
}
