/**
 * doc2query: when a model is configured, deploy asks it for requests a user would type to reach
 * the skill, and search indexes them as the skill's examples (learned.ts, source 'doc2query').
 * A model's answer is untrusted text: at most MAX_LINES lines are read, each cut to 200 characters,
 * and only the first KEEP.doc2query.positive distinct ones are kept.
 */
import type { TaskType } from '../../gateway/types.ts';

export interface SkillForExamples {
  ref: string;
  domain: string;
  name: string;
  description: string;
  examples: string[];
}

export type ExampleWriter = (skill: SkillForExamples) => Promise<string[]>;

/** The part of the model gateway doc2query uses (gateway.ts's ModelGateway.chat). */
export interface ChatGateway {
  chat(
    raw: unknown,
    caller: { ref?: string; domain?: string; prefs: Record<string, never>; task?: { type?: TaskType } },
  ): Promise<{ content: string }>;
}

export const REQUESTS_ASKED = 12;
const MAX_LINES = 40;
const MAX_LINE_CHARS = 200;

export function doc2queryPrompt(s: SkillForExamples): string {
  return [
    `A workplace assistant routes each user request to one skill. Skill "${s.ref}":`,
    s.description.slice(0, 2_000),
    ...(s.examples.length
      ? ['Requests its author gave:', ...s.examples.slice(0, 10).map((e) => `- ${e.slice(0, 200)}`)]
      : []),
    '',
    `Write ${REQUESTS_ASKED} different requests a user would type that this skill, and no other, should answer:`,
    'varied wording, everyday words and synonyms rather than the description’s own words, some short, some with',
    'details. Nothing the description says it is NOT for. One request per line, no numbering, nothing else.',
  ].join('\n');
}

/** The requests in a model's answer: one per line, list markers, numbers and quotes removed. */
export function parseRequests(content: string): string[] {
  const out: string[] = [];
  for (const raw of String(content).split(/\r?\n/).slice(0, MAX_LINES)) {
    const line = raw
      .replace(/^\s*(?:[-*•]|\d{1,2}[.)])\s*/, '')
      .replace(/^["“'`](.*)["”'`]$/, '$1')
      .trim()
      .slice(0, MAX_LINE_CHARS);
    if (line.length >= 3 && !out.includes(line)) out.push(line);
  }
  return out;
}

/** Asks the gateway (task type classification: the cheap model) for example requests. */
export function gatewayExampleWriter(gateway: ChatGateway): ExampleWriter {
  return async (s) => {
    const answer = await gateway.chat(
      {
        messages: [{ role: 'user', content: doc2queryPrompt(s) }],
        taskType: 'classification',
        temperature: 0.7,
        maxTokens: 800,
      },
      // The platform's own indexing, not the skill's work: it must not spend the skill's rate limits or budget.
      { prefs: {}, task: { type: 'classification' } },
    );
    return parseRequests(answer.content);
  };
}
