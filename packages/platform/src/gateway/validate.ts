/** context.model.chat arguments, checked at the host boundary (a handler can send anything). */
import { z } from 'zod';
import { AsporaError } from '@aspora/sdk';
import type { ChatRequest } from './types.ts';

const ToolCallSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.record(z.string(), z.unknown()),
});

const MessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.string().nullable().default(''),
  toolCalls: z.array(ToolCallSchema).optional(),
  toolCallId: z.string().optional(),
});

export const ChatRequestSchema = z.object({
  messages: z.array(MessageSchema).min(1, 'at least one message'),
  model: z.string().min(1).optional(),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().min(1).max(1_000_000).optional(),
  taskType: z.enum(['classification', 'routing', 'skill_execution', 'complex_reasoning']).optional(),
  /** Hints the platform's auto-downgrade rules may test (task.complexity, task.requires_reasoning). */
  complexity: z.enum(['low', 'medium', 'high']).optional(),
  requiresReasoning: z.boolean().optional(),
  tools: z
    .array(
      z.object({
        name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
        description: z.string().optional(),
        parameters: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .max(128)
    .optional(),
});

export function validateChatRequest(
  v: unknown,
): ChatRequest & { complexity?: 'low' | 'medium' | 'high'; requiresReasoning?: boolean } {
  const r = ChatRequestSchema.safeParse(v);
  if (!r.success) {
    throw new AsporaError(
      'BAD_REQUEST',
      `model.chat: ${r.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ')}`,
      {
        hint: 'messages: [{role: "user", content: "…"}], optional model, temperature, maxTokens, taskType, tools',
      },
    );
  }
  return r.data as ChatRequest & { complexity?: 'low' | 'medium' | 'high'; requiresReasoning?: boolean };
}
