/**
 * Messages: text sent to the platform, routed to the skill that should answer it (issue 16 part 3).
 * Shared by the server (POST /v1/messages), the CLI (`aspora send`) and the typed client.
 */
import { z } from 'zod';
import { EmailSchema } from './access.ts';
import { EnvironmentName, ExecutionSchema } from './schemas.ts';

export const ROUTE_STAGES = ['explicit', 'command', 'pattern', 'search', 'model'] as const;

export const MessageRequest = z
  .object({
    text: z.string().trim().min(1).max(4000),
    /** The user the message is from: honoured only for a token with act-as (a channel); otherwise the caller. */
    user: EmailSchema.optional(),
    /**
     * Where it came from, e.g. slack:C0123 or web; kept on the execution (input.metadata.channel).
     * Its kind (before the colon; none: api) is matched against a trigger's `channels`.
     */
    channel: z.string().min(1).max(100).optional(),
    thread: z.string().min(1).max(200).optional(),
    environment: EnvironmentName.default('production'),
    /** Route to this skill (domain/name) instead: a user's re-routing of a message, recorded as a correction. */
    skill: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*\/[a-z0-9][a-z0-9-]*$/)
      .optional(),
  })
  .meta({ id: 'MessageRequest' });

export const RoutedSchema = z
  .object({
    skill: z.string().meta({ description: 'domain/name' }),
    stage: z.enum(ROUTE_STAGES),
    /** Why, in words: the pattern that matched, the search score and its margin, or the model's reason. */
    reason: z.string(),
    pattern: z.string().optional(),
    /** A command's arguments: the text after its words (stage command). */
    args: z.string().optional(),
    score: z.number().optional(),
  })
  .meta({ id: 'Routed' });

export const CandidateSchema = z
  .object({ skill: z.string(), description: z.string(), score: z.number() })
  .meta({ id: 'Candidate' });

export const MessageAnswerSchema = z
  .object({
    routed: RoutedSchema.nullable(),
    /** The closest skills the user may see, best first (the suggestions when nothing was routed). */
    candidates: z.array(CandidateSchema),
    execution: ExecutionSchema.nullable(),
    /** For a person: the answer, or why there is none. */
    text: z.string(),
  })
  .meta({ id: 'MessageAnswer' });
export type MessageAnswer = z.infer<typeof MessageAnswerSchema>;

/** What an alert webhook queued: one execution per matching skill (a redelivery answers the same ones). */
export const WebhookAnswerSchema = z
  .object({
    source: z.string(),
    alert: z.string().meta({ description: "the provider's delivery id (Alertmanager, Grafana: the group's groupKey)" }),
    alerts: z
      .array(z.string())
      .optional()
      .meta({ description: 'a group (Alertmanager, Grafana): each alert’s id, its fingerprint and startsAt' }),
    executions: z.array(
      z.object({
        skill: z.string(),
        execution: z.string(),
        existing: z.boolean().meta({ description: 'queued by an earlier delivery of the same alert' }),
      }),
    ),
  })
  .meta({ id: 'WebhookAnswer' });
