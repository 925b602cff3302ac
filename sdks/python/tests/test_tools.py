"""@tool and the tool loop of model.chat(tools=…), driven through aspora_sdk.testing's fake model."""
import asyncio
import json
import unittest
from typing import Any, Dict, List

import harness  # noqa: F401  (puts the SDK folder on sys.path)
from aspora_sdk import AsporaError, tool
from aspora_sdk.testing import create_test_context
from aspora_sdk.tools import MAX_ROUNDS, exported_tools

import script_handler


@tool(description="Reads a state key.", parameters={"type": "object", "properties": {"key": {"type": "string"}}})
async def remembered(key: str, context) -> str:
    return str(await context.state.get(key))


@tool(description="Divides.")
def divide(a: float, b: float) -> float:  # a sync tool
    return a / b


def asks(*calls: Dict[str, Any]):
    """A fake model that asks for the given tool calls in turn, then answers with what it read."""
    state = {"round": 0}

    def model(req: Dict[str, Any]) -> Any:
        state["round"] += 1
        if state["round"] <= len(calls):
            c = calls[state["round"] - 1]
            return {"content": "", "toolCalls": [{"id": f"c{state['round']}", **c}], "usage": {"promptTokens": 1, "completionTokens": 1, "cost": 0.5}}
        return {"content": " | ".join(m["content"] for m in req["messages"] if m["role"] == "tool"), "usage": {"promptTokens": 2, "completionTokens": 1, "cost": 0.25}}

    return model


def chat(ctx, tools: Any = True):
    return asyncio.run(ctx.model.chat([{"role": "user", "content": "go"}], tools=tools))


class ToolDecoratorTest(unittest.TestCase):
    def test_the_function_stays_callable_and_the_module_lists_its_tools(self) -> None:
        self.assertEqual(asyncio.run(script_handler.double(x=4)), {"y": 8})
        [t] = exported_tools(script_handler)
        self.assertEqual(t.spec(), {"name": "double", "description": "Doubles x.", "parameters": {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]}})
        self.assertEqual(exported_tools([divide])[0].parameters, {"type": "object", "properties": {}})
        with self.assertRaises(TypeError):
            tool(description="")
        with self.assertRaises(TypeError):
            exported_tools([len])


class ToolLoopTest(unittest.TestCase):
    def test_runs_tools_until_the_model_answers_and_sums_usage(self) -> None:
        ctx = create_test_context(
            model=asks({"name": "divide", "arguments": {"a": 1, "b": 4}}, {"name": "remembered", "arguments": {"key": "k"}}, {"name": "double", "arguments": {"x": 2}}),
            state={"k": "v"},
            tools=[divide, remembered, script_handler.double],
        )
        r = chat(ctx)
        self.assertEqual(r.content, '0.25 | v | {"y":4}')
        self.assertEqual((r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.cost), (5, 4, 1.75))
        self.assertIsNone(r.tool_calls)
        chats = ctx.calls_to("model.chat")
        self.assertEqual(len(chats), 4)
        self.assertEqual([t["name"] for t in chats[0].args["tools"]], ["divide", "remembered", "double"])
        last = chats[-1].args["messages"]
        self.assertEqual([m["role"] for m in last], ["user", "assistant", "tool", "assistant", "tool", "assistant", "tool"])
        self.assertEqual(last[1], {"role": "assistant", "content": "", "toolCalls": [{"id": "c1", "name": "divide", "arguments": {"a": 1, "b": 4}}]})
        self.assertEqual(last[2], {"role": "tool", "toolCallId": "c1", "content": "0.25"})

    def test_failing_and_unknown_tools_answer_the_model_with_an_error(self) -> None:
        ctx = create_test_context(model=asks({"name": "divide", "arguments": {"a": 1, "b": 0}}, {"name": "nope", "arguments": {}}, {"name": "divide", "arguments": {"z": 1}}), tools=[divide])
        parts: List[str] = chat(ctx).content.split(" | ")
        self.assertEqual(json.loads(parts[0]), {"error": "ZeroDivisionError: division by zero"})
        self.assertEqual(json.loads(parts[1]), {"error": "unknown tool nope"})
        self.assertTrue(json.loads(parts[2])["error"].startswith("TypeError:"))
        self.assertEqual([(l.level, l.msg) for l in ctx.logs], [("warn", "tool divide failed"), ("warn", "tool divide failed")])

    def test_only_the_named_tools_are_offered(self) -> None:
        ctx = create_test_context(model=asks({"name": "double", "arguments": {"x": 1}}), tools=[divide, script_handler.double])
        self.assertEqual(json.loads(chat(ctx, tools=["divide"]).content), {"error": "unknown tool double"})
        self.assertEqual([t["name"] for t in ctx.calls_to("model.chat")[0].args["tools"]], ["divide"])
        with self.assertRaises(ValueError):
            chat(ctx, tools=["missing"])
        with self.assertRaises(ValueError):
            chat(create_test_context(), tools=True)  # nothing exported

    def test_a_model_that_keeps_asking_is_stopped(self) -> None:
        ctx = create_test_context(model={"content": "", "toolCalls": [{"id": "c", "name": "double", "arguments": {"x": 1}}]}, tools=script_handler)
        with self.assertRaises(AsporaError) as e:
            chat(ctx)
        self.assertEqual(e.exception.code, "BAD_REQUEST")
        self.assertEqual(len(ctx.calls_to("model.chat")), MAX_ROUNDS)

    def test_without_tools_tool_calls_are_returned_to_the_handler(self) -> None:
        ctx = create_test_context(model={"content": "", "toolCalls": [{"id": "c", "name": "double", "arguments": {"x": 1}}]}, tools=script_handler)
        r = chat(ctx, tools=None)
        assert r.tool_calls is not None
        self.assertEqual([(c.id, c.name, c.arguments) for c in r.tool_calls], [("c", "double", {"x": 1})])
        self.assertNotIn("tools", ctx.calls_to("model.chat")[0].args)


if __name__ == "__main__":
    unittest.main()
