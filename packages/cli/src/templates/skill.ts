/** Files of a new skill folder, per handler language. Kept as code so `aspora create` needs no template directory at run time. */
export type Lang = 'typescript' | 'python' | 'go';

export interface TemplateVars {
  domain: string;
  role?: string;
  name: string;
  lang: Lang;
  team: string;
  schemaRef: string;
}

/** Where a new skill's author reads how to write its handler (context, tools, model calls, state, tests). */
export const GUIDE = 'docs/writing-skills.md in the Aspora repository';

const title = (name: string) =>
  name
    .split('-')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' ');
const entry: Record<Lang, string> = { typescript: 'code/handler.ts', python: 'code/handler.py', go: 'code/handler.go' };

export function skillFiles(v: TemplateVars): Record<string, string> {
  const files: Record<string, string> = {
    'aspora.config.yaml': config(v),
    'SKILL.md': skillMd(v),
    'DECISIONS.md': `# Decisions — ${v.name}\n\nRecord every choice a successor would otherwise have to guess.\n\n## DEC-001: ${title(v.name)} starts as a deterministic handler\n- **Chose**: deterministic code in \`${entry[v.lang]}\`, the model only where judgement is needed\n- **Over**: a prompt-only skill\n- **Why**: predictable, testable, cheaper\n`,
    'GUARDRAILS.md': `# Guardrails — ${v.name}\n\nThis skill must NEVER:\n- act outside the request it was given\n- reveal secrets, tokens or personal data in its messages\n- take an irreversible action without stating it in its result\n`,
    'assets/.gitkeep': '',
    [entry[v.lang]]: handler(v),
  };
  Object.assign(files, tests(v));
  return files;
}

function config(v: TemplateVars): string {
  return `# yaml-language-server: $schema=${v.schemaRef}
skill:
  name: ${v.name}
  domain: ${v.domain}
${v.role ? `  role: ${v.role}\n` : ''}  version: 0.1.0
  description: >
    ${title(v.name)}: say what this skill does in one or two sentences.
    Use when: "${v.name.replace(/-/g, ' ')}".
    Do NOT use for: requests another skill owns (name it).

runtime:
  language: ${v.lang}
  entry_point: ${entry[v.lang]}
  timeout: 30s
  memory: 512MB
  cpu: 0.5

model:
  primary: claude-sonnet-4-5
  fallback: gpt-4o-mini
  temperature: 0.3
  max_tokens: 4096
  cost_budget:
    max_per_execution: 0.10
    monthly_limit: 100.00

triggers:
  - type: message
    patterns:
      - "${v.name.replace(/-/g, ' ')}"

permissions:
  tools: [Read]
  apis: []
  secrets: []

monitoring:
  success_rate_threshold: 0.95
  latency_p95_threshold: 3000
  alert_on_failure: false

owner_team: ${v.team}
`;
}

function skillMd(v: TemplateVars): string {
  return `---
name: ${v.name}
description: ${title(v.name)}. Say what it does, when to use it, and what not to use it for.
---
# ${title(v.name)}

Instructions for the model: the steps to follow, the decision rules, and the shape of the answer.

## Steps
1. Read the request and the metadata it carries.
2. Decide; call tools and APIs only as permitted in aspora.config.yaml.
3. Answer with what was done and why.

## Example requests
- ${v.name.replace(/-/g, ' ')}
`;
}

function handler(v: TemplateVars): string {
  switch (v.lang) {
    case 'typescript':
      return `// How to write this handler (the context, tools, model calls with tools, state, tests): ${GUIDE}.
import type { SkillHandler } from '@aspora/sdk';

export const handler: SkillHandler = async (context) => {
  const { userMessage } = context.input;
  context.log.info('handling request', { length: userMessage.length });
  return {
    success: true,
    message: \`${title(v.name)} received: \${userMessage}\`,
    data: {},
    confidence: 0.9,
  };
};
`;
    case 'python':
      return `# How to write this handler (the context, tools, model calls with tools, state, tests): ${GUIDE}.
from aspora_sdk import SkillContext, SkillResult, skill_handler


@skill_handler
async def handler(context: SkillContext) -> SkillResult:
    """${title(v.name)}"""
    message = context.input.user_message
    return SkillResult(
        success=True,
        message=f"${title(v.name)} received: {message}",
        data={},
        confidence=0.9,
    )
`;
    case 'go':
      return `// How to write this handler (the context, tools, model calls with tools, state, tests): ${GUIDE}.
package main

import (
	aspora "github.com/aspora/sdk-go"
)

// Handler is the skill's entry point.
func Handler(ctx *aspora.SkillContext) (*aspora.SkillResult, error) {
	return &aspora.SkillResult{
		Success:    true,
		Message:    "${title(v.name)} received: " + ctx.Input.UserMessage,
		Data:       map[string]interface{}{},
		Confidence: 0.9,
	}, nil
}
`;
  }
}

function tests(v: TemplateVars): Record<string, string> {
  switch (v.lang) {
    case 'typescript':
      return {
        [`tests/unit/${v.name}.test.ts`]: `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestContext } from '@aspora/sdk/testing';
import { handler } from '../../code/handler.ts';

test('answers a plain request', async () => {
  const result = await handler(createTestContext({ input: { userMessage: '${v.name.replace(/-/g, ' ')}' } }));
  assert.equal(result.success, true);
  assert.match(result.message, /${v.name.replace(/-/g, ' ')}/);
});
`,
      };
    case 'python':
      return {
        [`tests/unit/test_${v.name.replace(/-/g, '_')}.py`]: `import asyncio
import os
import sys
import unittest

# The handler's folder, as the platform puts it on the path (a top-level "code" package would
# clash with the standard library's code module).
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "code"))

from aspora_sdk.testing import create_test_context  # noqa: E402
from handler import handler  # noqa: E402


class HandlerTest(unittest.TestCase):
    def test_answers_a_plain_request(self):
        result = asyncio.run(handler(create_test_context(input={"user_message": "${v.name.replace(/-/g, ' ')}"})))
        self.assertTrue(result.success)
        self.assertIn("${v.name.replace(/-/g, ' ')}", result.message)
`,
      };
    case 'go':
      return {
        'tests/unit/handler_test.go': `package main

import (
	"strings"
	"testing"

	aspora "github.com/aspora/sdk-go"
	"github.com/aspora/sdk-go/testing/asporatest"
)

func TestAnswersAPlainRequest(t *testing.T) {
	ctx := asporatest.NewContext(asporatest.Options{Input: aspora.SkillInput{UserMessage: "${v.name.replace(/-/g, ' ')}"}})
	res, err := Handler(ctx)
	if err != nil || !res.Success || !strings.Contains(res.Message, "${v.name.replace(/-/g, ' ')}") {
		t.Fatalf("unexpected result: %+v %v", res, err)
	}
}
`,
      };
  }
}
