"""The protocol doc's "script handler": performs the steps of input.metadata.script and returns
what each gave. Ops go through the typed SkillContext methods where there is one, so the vectors
exercise the public API and not only the wire. Steps beyond the shared vectors (metric, print,
stderr, gather, exit) serve this SDK's own tests."""
import asyncio
import sys
from typing import Any, Dict

from aspora_sdk import AsporaError, SkillContext, SkillResult, skill_handler, tool
from aspora_sdk.types import to_wire


@tool(description="Doubles x.", parameters={"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]})
async def double(x: float) -> Dict[str, Any]:
    return {"y": 2 * x}


async def op(context: SkillContext, name: str, a: Dict[str, Any]) -> Any:
    if name == "tools.read":
        return await context.tools.read(a["path"])
    if name == "tools.write":
        return await context.tools.write(a["path"], a["content"])
    if name == "tools.grep":
        return to_wire(await context.tools.grep(a["pattern"], a.get("path")))
    if name == "tools.bash":
        return to_wire(await context.tools.bash(a["command"], a.get("timeoutMs")))
    if name == "tools.webFetch":
        return to_wire(await context.tools.web_fetch(a["url"], a.get("method"), a.get("headers"), a.get("body")))
    if name == "apis.call":
        return await getattr(getattr(context.apis, a["api"]), a["method"])(**a.get("args", {}))
    if name == "model.chat":
        r = await context.model.chat(a["messages"], model=a.get("model"), temperature=a.get("temperature"), max_tokens=a.get("maxTokens"), task_type=a.get("taskType"))
        return to_wire(r)
    if name == "state.get":
        return await context.state.get(a["key"])
    if name == "state.set":
        return await context.state.set(a["key"], a["value"])
    if name == "state.select":
        return await context.state.table(a["table"]).select(a.get("where"), a.get("limit"), a.get("orderBy"), a.get("desc", False))
    if name == "state.insert":
        return await context.state.table(a["table"]).insert(a["rows"])
    if name == "state.update":
        return await context.state.table(a["table"]).update(a["where"], a["set"])
    if name == "state.delete":
        return await context.state.table(a["table"]).delete(a["where"])
    if name == "invoke":
        return to_wire(await context.invoke(a["skill"], a.get("input")))
    return await context.host.call(name, a)  # ops without a typed method: the raw call


def echo(context: SkillContext, path: str) -> Any:
    scope, _, key = path.partition(".")
    if scope == "secrets":
        return context.secrets.get(key)
    if scope == "user":  # None without a user
        return getattr(context.user, key, None) if context.user else None
    source = {"input": context.input, "skill": context.skill}.get(scope)
    return to_wire(source).get(key) if source is not None else f"unknown scope {scope}"


async def step(context: SkillContext, s: Dict[str, Any]) -> Any:
    if "op" in s:
        try:
            return await op(context, s["op"], s.get("args") or {})
        except AsporaError as e:
            if s.get("uncaught"):
                raise
            return {"error": e.code}
    if "log" in s:
        getattr(context.log, s["log"])(s.get("msg", ""), s.get("fields"))
        return None
    if "raise" in s:
        raise RuntimeError(s["raise"])
    if "echo" in s:
        return echo(context, s["echo"])
    if "chatWithTools" in s:
        return to_wire(await context.model.chat(s["chatWithTools"]["messages"], tools=True))
    if "metric" in s:
        context.metrics.set(s["metric"], s["value"])
        return None
    if "print" in s:
        print(s["print"], end=s.get("end", "\n"))
        return None
    if "stderr" in s:
        sys.stderr.write(s["stderr"])
        return None
    if "gather" in s:  # several steps concurrently
        return list(await asyncio.gather(*(step(context, g) for g in s["gather"])))
    if "exit" in s:
        sys.exit(s["exit"])
    raise ValueError(f"unknown script step {s}")


@skill_handler
async def handler(context: SkillContext) -> SkillResult:
    results = [await step(context, s) for s in context.input.metadata.get("script", [])]
    return SkillResult(success=True, message="ok", data={"results": results})
