"""Custom tools a handler exports (``@tool``) and the loop that lets the model call them.

The loop runs inside the sandbox, in the handler's process, so a tool has the handler's own
permissions and nothing more (docs/runtime-protocol.md, "Custom tools").
"""
from __future__ import annotations

import dataclasses
import inspect
import json
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, TypeVar, Union

from .errors import AsporaError
from .types import ChatResponse, Message, ToolCall, Usage, to_wire

if TYPE_CHECKING:
    from .context import SkillContext

F = TypeVar("F", bound=Callable[..., Any])
TOOL_ATTR = "__aspora_tool__"
MAX_ROUNDS = 8  # model.chat calls in one chat with tools


@dataclass(frozen=True)
class ExportedTool:
    """A tool as the model sees it (name, description, JSON Schema of its arguments) and its function."""

    name: str
    description: str
    parameters: Dict[str, Any]
    fn: Callable[..., Any]

    def spec(self) -> Dict[str, Any]:
        return {"name": self.name, "description": self.description, "parameters": self.parameters}

    @property
    def wants_context(self) -> bool:
        try:
            return "context" in inspect.signature(self.fn).parameters
        except (TypeError, ValueError):  # builtins without a signature
            return False


def tool(*, description: str, parameters: Optional[Dict[str, Any]] = None) -> Callable[[F], F]:
    """Exports the decorated function (sync or async) as a tool the model may call; its name is
    the function's name. The model's arguments arrive as keyword arguments; a parameter named
    ``context`` receives the SkillContext. The function is returned unchanged, so tests call it."""
    if not isinstance(description, str) or not description.strip():
        raise TypeError("@tool needs a description: it is what the model reads to choose the tool")
    schema = {"type": "object", "properties": {}} if parameters is None else parameters
    if not isinstance(schema, dict):
        raise TypeError("@tool parameters is a JSON Schema object (a dict)")

    def mark(fn: F) -> F:
        setattr(fn, TOOL_ATTR, ExportedTool(fn.__name__, description, schema, fn))
        return fn

    return mark


def exported_tools(source: Union[ModuleType, Iterable[Callable[..., Any]]]) -> List[ExportedTool]:
    """The tools of a module (in definition order) or of a list of decorated functions."""
    values = vars(source).values() if isinstance(source, ModuleType) else source
    out: Dict[str, ExportedTool] = {}
    for v in values:
        t = getattr(v, TOOL_ATTR, None)
        if not isinstance(t, ExportedTool):
            if not isinstance(source, ModuleType):
                raise TypeError(f"{v!r} is not decorated with @tool")
            continue
        if t.name in out and out[t.name].fn is not t.fn:
            raise ValueError(f"two tools are named {t.name}")
        out[t.name] = t
    return list(out.values())


def select_tools(offered: Union[bool, Sequence[Union[str, Callable[..., Any]]]], exported: Sequence[ExportedTool]) -> List[ExportedTool]:
    """``tools=True`` offers every exported tool; a list names some (by name or function)."""
    if offered is True:
        if not exported:
            raise ValueError("tools=True, but the handler exports no tools (decorate functions with @tool)")
        return list(exported)
    by_name = {t.name: t for t in exported}
    out = []
    for item in offered:  # type: ignore[union-attr]
        name = item if isinstance(item, str) else getattr(item, "__name__", repr(item))
        if name not in by_name:
            raise ValueError(f"the handler exports no tool named {name} (it exports: {', '.join(by_name) or 'none'})")
        out.append(by_name[name])
    return out


def tool_result_text(value: Any) -> str:
    """What the model reads back: a string as it is, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(to_wire(value), separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def describe(e: BaseException) -> str:
    """"KeyError: 'x'" for an exception, "CODE: message" for an AsporaError."""
    if isinstance(e, AsporaError):
        return str(e)
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


def _error_text(msg: str) -> str:
    return json.dumps({"error": msg}, separators=(",", ":"), ensure_ascii=False)


async def run_tool(call: ToolCall, tools: Mapping[str, ExportedTool], context: "SkillContext") -> str:
    t = tools.get(call.name)
    if t is None:
        return _error_text(f"unknown tool {call.name}")
    kwargs = dict(call.arguments)
    if t.wants_context:
        kwargs["context"] = context
    try:
        value = t.fn(**kwargs)
        if inspect.isawaitable(value):
            value = await value
        return tool_result_text(value)
    except Exception as e:  # the model reads the failure and may try otherwise
        context.log.warn(f"tool {call.name} failed", {"error": describe(e)})
        return _error_text(describe(e))


async def chat_with_tools(
    call: Callable[[str, Dict[str, Any]], Awaitable[Any]], args: Dict[str, Any], offered: List[ExportedTool], context: "SkillContext"
) -> ChatResponse:
    """model.chat with tools offered: while the model answers with toolCalls, run them and ask
    again with their results appended. Usage is summed over every round."""
    specs = [t.spec() for t in offered]
    by_name = {t.name: t for t in offered}
    messages: List[Message] = list(args["messages"])
    usage = Usage()
    for round_no in range(1, MAX_ROUNDS + 1):
        value = await call("model.chat", {**args, "messages": messages, "tools": specs})
        if not isinstance(value, dict):
            raise AsporaError("INTERNAL", f"model.chat returned {type(value).__name__}, not a chat response")
        reply = ChatResponse.from_wire(value)
        usage = usage + reply.usage
        if not reply.tool_calls:
            return dataclasses.replace(reply, usage=usage)
        if round_no == MAX_ROUNDS:
            break
        # The assistant turn is sent back as the host gave it, so nothing of the model's request is lost.
        messages = messages + [{"role": "assistant", "content": value.get("content") or "", "toolCalls": value.get("toolCalls") or to_wire(reply.tool_calls)}]
        for c in reply.tool_calls:
            messages.append({"role": "tool", "toolCallId": c.id, "content": await run_tool(c, by_name, context)})
    raise AsporaError("BAD_REQUEST", f"the model still asked for tools after {MAX_ROUNDS} rounds", {"rounds": MAX_ROUNDS})
