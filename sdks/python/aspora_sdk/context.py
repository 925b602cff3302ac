"""SkillContext: everything a handler may use. Every effect is a host call (or a notification)
that the platform checks against the skill's permissions; the context itself holds no power."""
from __future__ import annotations

import math
from types import MappingProxyType
from typing import Any, Callable, Dict, List, Mapping, Optional, Protocol, Sequence, Union

from .errors import AsporaError
from .table import Table
from .tools import ExportedTool, chat_with_tools, select_tools
from .types import BashResult, ChatResponse, FetchResponse, GrepMatch, Message, SkillInfo, SkillInput, SkillResult, SkillUser, to_wire

LEVELS = ("debug", "info", "warn", "error")


class Host(Protocol):
    """Where a context's effects go: the worker (over fd 3) or aspora_sdk.testing's fakes."""

    async def call(self, op: str, args: Dict[str, Any]) -> Any:
        """Performs one host call (docs/runtime-protocol.md) and returns its JSON value, or raises
        AsporaError when the host refused or failed it."""
        ...

    def log(self, level: str, msg: str, fields: Optional[Dict[str, Any]]) -> None: ...

    def metric(self, name: str, value: float) -> None: ...


class FileTools:
    """The tools permissions.tools allows. Relative paths are the skill's bundle (DECISIONS.md),
    shared resources are under /shared/, scratch space is /scratch."""

    def __init__(self, host: Host) -> None:
        self._host = host

    async def read(self, path: str) -> str:
        return await self._host.call("tools.read", {"path": path})

    async def write(self, path: str, content: str) -> None:
        await self._host.call("tools.write", {"path": path, "content": content})

    async def grep(self, pattern: str, path: Optional[str] = None) -> List[GrepMatch]:
        args: Dict[str, Any] = {"pattern": pattern}
        if path is not None:
            args["path"] = path
        found = await self._host.call("tools.grep", args) or []
        return [GrepMatch(path=m.get("path", ""), line=m.get("line", 0), text=m.get("text", "")) for m in found]

    async def bash(self, command: str, timeout_ms: Optional[int] = None) -> BashResult:
        args: Dict[str, Any] = {"command": command}
        if timeout_ms is not None:
            args["timeoutMs"] = timeout_ms
        r = await self._host.call("tools.bash", args) or {}
        return BashResult(stdout=r.get("stdout", ""), stderr=r.get("stderr", ""), exit_code=r.get("exitCode", 0))

    async def web_fetch(self, url: str, method: Optional[str] = None, headers: Optional[Dict[str, str]] = None, body: Optional[str] = None) -> FetchResponse:
        args = {k: v for k, v in (("url", url), ("method", method), ("headers", headers), ("body", body)) if v is not None}
        r = await self._host.call("tools.webFetch", args) or {}
        return FetchResponse(status=r.get("status", 0), body=r.get("body", ""))


class ApiMethod:
    def __init__(self, host: Host, api: str, method: str) -> None:
        self._host, self._api, self._method = host, api, method

    async def __call__(self, args: Optional[Mapping[str, Any]] = None, /, **kwargs: Any) -> Any:
        """api.method(x=1) or api.method({"x": 1}) (for argument names that are not identifiers)."""
        merged = {**(args or {}), **kwargs}
        return await self._host.call("apis.call", {"api": self._api, "method": self._method, "args": to_wire(merged)})

    def __repr__(self) -> str:
        return f"<api method {self._api}.{self._method}>"


class Api:
    def __init__(self, host: Host, api: str) -> None:
        self._host, self._api = host, api

    def __getattr__(self, method: str) -> ApiMethod:
        if method.startswith("__"):  # copy, pickle and friends probe dunders: they are not API methods
            raise AttributeError(method)
        return ApiMethod(self._host, self._api, method)

    __getitem__ = __getattr__

    def __repr__(self) -> str:
        return f"<api {self._api}>"


class Apis:
    """``context.apis.<api>.<method>(**args)``: the APIs declared in aspora.platform.yaml that
    permissions.apis allows. ``context.apis["name"]["method"]`` reaches names that are not identifiers."""

    def __init__(self, host: Host) -> None:
        self._host = host

    def __getattr__(self, api: str) -> Api:
        if api.startswith("__"):
            raise AttributeError(api)
        return Api(self._host, api)

    __getitem__ = __getattr__


ToolChoice = Union[bool, Sequence[Union[str, Callable[..., Any]]], None]


class Model:
    """The platform's model gateway, metered against the skill's cost budget."""

    def __init__(self, host: Host, context: "SkillContext", exported: Sequence[ExportedTool]) -> None:
        self._host, self._context, self._exported = host, context, exported

    async def chat(
        self,
        messages: Sequence[Message],
        model: Optional[str] = None,
        temperature: Optional[float] = None,
        max_tokens: Optional[int] = None,
        task_type: Optional[str] = None,
        tools: ToolChoice = None,
    ) -> ChatResponse:
        """Sends a conversation to the model; omitted options take the skill's configured defaults.
        task_type is classification, routing, skill_execution or complex_reasoning. tools=True offers
        every @tool the handler exports (or a list of some): the SDK runs the tools the model asks
        for and asks again, and returns the final answer."""
        args: Dict[str, Any] = {"messages": to_wire(list(messages))}
        for key, value in (("model", model), ("temperature", temperature), ("maxTokens", max_tokens), ("taskType", task_type)):
            if value is not None:
                args[key] = value
        if tools:
            return await chat_with_tools(self._host.call, args, select_tools(tools, self._exported), self._context)
        value = await self._host.call("model.chat", args)
        if not isinstance(value, dict):
            raise AsporaError("INTERNAL", f"model.chat returned {type(value).__name__}, not a chat response")
        return ChatResponse.from_wire(value)


class State:
    """The skill's own key-value store, kept across executions (values are JSON), and the row
    tables of shared state (``table(name)``) that permissions.sheets_access opens to it."""

    def __init__(self, host: Host) -> None:
        self._host = host

    async def get(self, key: str) -> Any:
        """The value stored under key, or None."""
        return await self._host.call("state.get", {"key": key})

    async def set(self, key: str, value: Any) -> None:
        await self._host.call("state.set", {"key": key, "value": to_wire(value)})

    def table(self, name: str) -> Table:
        """The row table name (``await ctx.state.table("assignments").select({"Status": "NEW"})``):
        select / insert / update / delete, each checked against the skill's sheets_access rule.
        Makes no call itself; a name that is not a non-empty str raises AsporaError BAD_REQUEST."""
        return Table(self._host, name)


def check_metric(name: str, value: Any) -> float:
    if not isinstance(name, str) or not name:
        raise TypeError("a metric name is a non-empty string")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"metric {name}: {value!r} is not a finite number")
    return value


class Metrics:
    """The skill's custom metrics (monitoring.custom_metrics)."""

    def __init__(self, host: Host) -> None:
        self._host = host

    def set(self, name: str, value: float) -> None:
        self._host.metric(name, check_metric(name, value))


class Logger:
    """Execution logs. fields is a dict (values that JSON cannot carry are sent as their repr)."""

    def __init__(self, host: Host) -> None:
        self._host = host

    def _log(self, level: str, msg: Any, fields: Optional[Mapping[str, Any]]) -> None:
        self._host.log(level, str(msg), dict(fields) if fields is not None else None)

    def debug(self, msg: Any, fields: Optional[Mapping[str, Any]] = None) -> None:
        self._log("debug", msg, fields)

    def info(self, msg: Any, fields: Optional[Mapping[str, Any]] = None) -> None:
        self._log("info", msg, fields)

    def warn(self, msg: Any, fields: Optional[Mapping[str, Any]] = None) -> None:
        self._log("warn", msg, fields)

    warning = warn  # the name Python's logging uses

    def error(self, msg: Any, fields: Optional[Mapping[str, Any]] = None) -> None:
        self._log("error", msg, fields)


class SkillContext:
    """What a handler receives. Its methods may run concurrently (asyncio.gather) during one
    execution; host calls fail with AsporaError BAD_REQUEST once the execution has ended."""

    def __init__(
        self,
        host: Host,
        *,
        execution_id: str,
        skill: SkillInfo,
        input: SkillInput,
        secrets: Optional[Mapping[str, str]] = None,
        exported_tools: Sequence[ExportedTool] = (),
        user: Optional[SkillUser] = None,
    ) -> None:
        self.input = input
        self.execution_id = execution_id
        self.skill = skill
        # The end user (None: a service or schedule runs it); never taken from the input.
        self.user = user
        # Only the secrets the skill declares (permissions.secrets) that the vault has; read-only.
        self.secrets: Mapping[str, str] = MappingProxyType(dict(secrets or {}))
        self.tools = FileTools(host)
        self.apis = Apis(host)
        self.model = Model(host, self, exported_tools)
        self.state = State(host)
        self.metrics = Metrics(host)
        self.log = Logger(host)
        self.host = host

    async def invoke(self, skill: str, input: Union[SkillInput, Mapping[str, Any], None] = None) -> SkillResult:
        """Runs another skill ("domain/name") as a child execution and returns its result."""
        value = await self.host.call("invoke", {"skill": skill, "input": to_wire(SkillInput.of(input, strict=True))})
        if not isinstance(value, dict):
            raise AsporaError("INTERNAL", f"invoke returned {type(value).__name__}, not a SkillResult")
        return SkillResult.from_wire(value)

    def __repr__(self) -> str:  # never the secrets
        return f"<SkillContext {self.skill.domain}/{self.skill.name}@{self.skill.version} execution {self.execution_id}>"
