/** The model gateway's request and answer, as a handler's context.model.chat sees them (camelCase, provider-neutral). */
import type { ChatMessage, ToolCall, ToolDefinition } from '@aspora/sdk';

export type { ChatMessage, ToolCall, ToolDefinition };
export type TaskType = 'classification' | 'routing' | 'skill_execution' | 'complex_reasoning';

export interface ChatRequest {
  messages: ChatMessage[];
  model?: string;
  temperature?: number;
  maxTokens?: number;
  taskType?: TaskType;
  tools?: ToolDefinition[];
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** USD. */
  cost: number;
  /** True when the provider reported no token counts and they were estimated from the text. */
  estimated?: boolean;
}

export interface ChatAnswer {
  content: string;
  model: string;
  usage: Usage;
  toolCalls?: ToolCall[];
  finishReason?: string;
}

/** One provider call as recorded with the execution. */
export interface ModelCallRecord {
  provider: string;
  /** What was asked for (alias or id) and what the provider served. */
  requestedModel: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  cost: number;
  estimated: boolean;
  isFallback: boolean;
  latencyMs: number;
  ok: boolean;
  /** Served from the response cache (cost 0). */
  cached?: boolean;
  errorCode?: string;
}

/** Who is calling: what the gateway attributes, meters and limits a call to. */
export interface Attribution {
  ref: string;
  executionId: string;
  /** The skill's model preferences from aspora.config.yaml. */
  prefs: {
    primary?: string | undefined;
    fallback?: string | undefined;
    temperature?: number | undefined;
    maxTokens?: number | undefined;
  };
}
