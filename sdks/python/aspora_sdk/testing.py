"""Test helpers for skill handlers: a SkillContext that runs without a platform.

    ctx = create_test_context(
        input={"user_message": "refund p1", "metadata": {"id": "p1"}},
        apis={"payments": {"get": lambda **kw: {"amount": 5}}},
        model={"content": "sure"},
    )
    result = asyncio.run(handler(ctx))
    ctx.calls_to("apis.call")      # also ctx.calls, ctx.logs, ctx.metrics, ctx.written, ctx.stored, ctx.tables

The fakes answer from what the test gives and record every call. Values cross JSON as they do on
the platform (a tuple comes back a list), and whatever has no fake fails the way the platform
would fail it: an API without a fake is AsporaError PERMISSION_DENIED. Row tables (tables=) are
kept in memory without their permissions.sheets_access rules, which only the platform evaluates.
"""
from __future__ import annotations

import inspect
import json
import os
import re
import stat
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Union

from .context import Metrics, SkillContext, check_metric
from .errors import AsporaError
from .fake_tables import FakeTables
from .tools import exported_tools
from .types import SkillInfo, SkillInput, SkillResult, SkillUser, to_wire

ApiFake = Callable[..., Any]  # called with the call's arguments as keyword arguments; may be async
ModelFake = Union[Mapping[str, Any], Callable[[Dict[str, Any]], Any]]
InvokeFake = Callable[[str, SkillInput], Any]


@dataclass(frozen=True)
class Call:
    """One recorded host call; args as they would be sent (camelCase wire names, JSON values)."""

    op: str
    args: Dict[str, Any]


@dataclass(frozen=True)
class LogEntry:
    level: str
    msg: str
    fields: Optional[Dict[str, Any]] = None


class RecordedMetrics(dict, Metrics):  # type: ignore[misc]
    """``ctx.metrics``: sets like the real one, and is the dict of what was set."""

    def __init__(self) -> None:
        dict.__init__(self)

    def set(self, name: str, value: float) -> None:  # type: ignore[override]
        self[name] = check_metric(name, value)


class TestContext(SkillContext):
    """A SkillContext whose host is a fake; read the recordings after the handler ran:
    ``calls``, ``logs``, ``metrics`` (a dict), ``written`` (tools.write by path), ``stored``
    (the skill state, starting as state=) and ``tables`` (the row tables by name, each a list of
    rows with their ``_id``, starting as tables=)."""

    __test__ = False  # not a test class, for runners that collect Test*

    def __init__(self, host: "_FakeHost", **kwargs: Any) -> None:
        super().__init__(host, **kwargs)
        self.metrics: RecordedMetrics = host.metrics  # type: ignore[assignment]
        self.calls, self.logs, self.written, self.stored = host.calls, host.logs, host.written, host.stored
        self.tables = host.tables.tables

    def calls_to(self, op: str) -> List[Call]:
        return [c for c in self.calls if c.op == op]


def _json_copy(value: Any, what: str, code: str) -> Any:
    try:
        return json.loads(json.dumps(to_wire(value), allow_nan=False))
    except (TypeError, ValueError) as e:
        raise AsporaError(code, f"test context: {what} is not JSON: {e}") from None


async def _settle(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


MAX_READ_BYTES = 8 * 1024 * 1024  # the most the platform's Read answers


def _own_file(skill_dir: Optional[str], path: str) -> Optional[str]:
    """A file of the skill's own bundle: a relative path without "..", a regular file, not a link."""
    rel = _norm(path)
    if not skill_dir or not rel or os.path.isabs(rel) or ".." in re.split(r"[\\/]", rel):
        return None
    try:
        fd = os.open(os.path.join(skill_dir, rel), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):  # a folder, FIFO or device: not a file the platform reads either
        os.close(fd)
        return None
    with os.fdopen(fd, "rb") as f:
        if st.st_size > MAX_READ_BYTES:
            raise AsporaError("PAYLOAD_TOO_LARGE", f"test context: {path} is over {MAX_READ_BYTES} bytes, the most Read answers")
        return f.read().decode("utf-8", errors="replace")


def _norm(path: str) -> str:
    for prefix in ("/skill/", "./"):
        if path.startswith(prefix):
            path = path[len(prefix):]
    return path


class _FakeHost:
    def __init__(self, files: Mapping[str, str], apis: Mapping[str, Mapping[str, ApiFake]], model: Optional[ModelFake], invoke: Optional[InvokeFake], state: Dict[str, Any], skill_dir: Optional[str] = None, tables: Optional[FakeTables] = None) -> None:
        self._files, self._apis, self._model, self._invoke = dict(files), apis, model, invoke
        self.tables = tables or FakeTables(None)
        self._skill_dir = skill_dir
        self.calls: List[Call] = []
        self.logs: List[LogEntry] = []
        self.metrics = RecordedMetrics()
        self.written: Dict[str, str] = {}
        self.stored = state

    async def call(self, op: str, args: Dict[str, Any]) -> Any:
        a = _json_copy(args, f"the arguments of {op}", "BAD_REQUEST")
        self.calls.append(Call(op, a))
        answer = getattr(self, "_op_" + op.replace(".", "_"), None)
        if answer is None:
            raise AsporaError("BAD_REQUEST", f"test context: unknown host call {op}")
        try:
            value = await _settle(answer(a))
        except AsporaError:
            raise
        except Exception as e:  # a fake that fails is the platform failing: INTERNAL
            raise AsporaError("INTERNAL", f"test context: {op} failed: {type(e).__name__}: {e}") from e
        return _json_copy(value, f"the fake's value for {op}", "INTERNAL")

    def log(self, level: str, msg: str, fields: Optional[Dict[str, Any]]) -> None:
        self.logs.append(LogEntry(level, msg, fields))

    def metric(self, name: str, value: float) -> None:
        self.metrics[name] = value

    def _file(self, path: str) -> Optional[str]:
        for key in (path, _norm(path)):
            if key in self._files:
                return self._files[key]
        if path in self.written:
            return self.written[path]
        return _own_file(self._skill_dir, path)

    def _op_tools_read(self, a: Dict[str, Any]) -> str:
        text = self._file(a["path"])
        if text is None:
            also = "" if self._skill_dir else ", or run the tests with aspora test, which lets reads reach the skill's own files"
            raise AsporaError("NOT_FOUND", f"test context: no file {a['path']} (give it in files={also})")
        return text

    def _op_tools_write(self, a: Dict[str, Any]) -> None:
        self.written[a["path"]] = a["content"]

    def _op_tools_grep(self, a: Dict[str, Any]) -> List[Dict[str, Any]]:
        try:
            rx = re.compile(a["pattern"])
        except re.error as e:
            raise AsporaError("BAD_REQUEST", f"test context: bad pattern: {e}") from None
        under = _norm(a.get("path") or "")
        out = []
        for p in sorted(self._files):  # a stable order, as the platform's grep gives
            if under and not _norm(p).startswith(under):
                continue
            for i, line in enumerate(self._files[p].split("\n")):
                if rx.search(line):
                    out.append({"path": p, "line": i + 1, "text": line})
        return out

    def _op_tools_bash(self, a: Dict[str, Any]) -> Dict[str, Any]:
        return {"stdout": "", "stderr": "", "exitCode": 0}

    def _op_tools_webFetch(self, a: Dict[str, Any]) -> None:
        raise AsporaError("PERMISSION_DENIED", "test context: no network")

    async def _op_apis_call(self, a: Dict[str, Any]) -> Any:
        fn = self._apis.get(a["api"], {}).get(a["method"])
        if fn is None:
            raise AsporaError("PERMISSION_DENIED", f"test context: no fake for apis.{a['api']}.{a['method']} (give it in apis=)")
        return await _settle(fn(**a["args"]))

    async def _op_model_chat(self, a: Dict[str, Any]) -> Dict[str, Any]:
        m = self._model
        reply = await _settle(m(a)) if callable(m) else (m or {})
        if isinstance(reply, str):
            reply = {"content": reply}
        if not isinstance(reply, Mapping):
            raise TypeError(f"the model fake returned {type(reply).__name__}: return a str or a dict")
        out: Dict[str, Any] = {
            "content": reply.get("content", ""),
            "model": reply.get("model") or "test-model",
            "usage": reply.get("usage") or {"promptTokens": 0, "completionTokens": 0, "cost": 0},
        }
        calls = reply.get("toolCalls", reply.get("tool_calls"))
        if calls:
            out["toolCalls"] = calls
        return out

    def _op_state_get(self, a: Dict[str, Any]) -> Any:
        return self.stored.get(a["key"])

    def _op_state_set(self, a: Dict[str, Any]) -> None:
        self.stored[a["key"]] = a["value"]

    def _op_state_select(self, a: Dict[str, Any]) -> List[Dict[str, Any]]:
        return self.tables.select(a)

    def _op_state_insert(self, a: Dict[str, Any]) -> List[Dict[str, Any]]:
        return self.tables.insert(a)

    def _op_state_update(self, a: Dict[str, Any]) -> int:
        return self.tables.update(a)

    def _op_state_delete(self, a: Dict[str, Any]) -> int:
        return self.tables.delete(a)

    async def _op_invoke(self, a: Dict[str, Any]) -> Union[SkillResult, Mapping[str, Any]]:
        if self._invoke is None:
            raise AsporaError("PERMISSION_DENIED", f"test context: no fake for invoke({a['skill']}) (give it in invoke=)")
        return await _settle(self._invoke(a["skill"], SkillInput.of(a["input"])))


def _test_user(user: Union[str, Mapping[str, Any], None]) -> Optional[SkillUser]:
    if user is None:
        return None
    d = {"email": user} if isinstance(user, str) else dict(user)
    unknown = sorted(set(d) - {"id", "email", "name", "team", "role"})
    if unknown or not d.get("email"):
        raise TypeError(f"user= is an email or a dict of id, email, name, team, role (with an email){': not ' + ', '.join(unknown) if unknown else ''}")
    return SkillUser.from_wire(d)


def create_test_context(
    input: Union[SkillInput, Mapping[str, Any], None] = None,
    *,
    user_message: Optional[str] = None,
    apis: Optional[Mapping[str, Mapping[str, ApiFake]]] = None,
    model: Optional[ModelFake] = None,
    files: Optional[Mapping[str, str]] = None,
    secrets: Optional[Mapping[str, str]] = None,
    state: Optional[Mapping[str, Any]] = None,
    tables: Optional[Mapping[str, List[Mapping[str, Any]]]] = None,
    table_errors: Optional[Mapping[str, AsporaError]] = None,
    invoke: Optional[InvokeFake] = None,
    skill: Optional[Mapping[str, Any]] = None,
    user: Union[str, Mapping[str, Any], None] = None,
    tools: Union[ModuleType, Iterable[Callable[..., Any]], None] = None,
    skill_dir: Union[str, bool, None] = None,
) -> TestContext:
    """A context for a handler under test.

    input: a SkillInput or a dict (user_message/userMessage, domain, metadata);
    user_message= is a shorthand. apis: {api: {method: fn}}, fn called with keyword arguments
    (sync or async). model: {"content": …, "model": …, "toolCalls": […]} for every chat, or a
    function of the request dict returning a str or such a dict. files: {path: text} the handler
    may read (relative paths are the bundle's; "./x" and "/skill/x" find "x"). state: the skill
    state before the run. tables: the row tables before the run, {name: [row, …]} (a row's
    ``_id`` is given for it when it has none; a table not given is NOT_FOUND, [] is an empty one);
    no sheets_access rule is applied, every row is the handler's. table_errors: {name:
    AsporaError} that every call on that table raises (a PERMISSION_DENIED row rule, say). invoke: fn(skill, SkillInput) -> SkillResult or dict. skill: overrides
    of domain/name/role/version. user: the end user (context.user), an email or a dict of
    id/email/name/team/role (id defaults to the email); None (default): no user. tools: the
    handler's module (or @tool functions) that model.chat(tools=…) offers. skill_dir: the skill's own folder, which a read of a relative path
    not in files= falls back to (default: ASPORA_SKILL_DIR, which aspora test sets; False: none).
    """
    skill_input = SkillInput.of(input, strict=True)
    if user_message is not None:
        skill_input.user_message = user_message
    info = {"domain": "test", "name": "skill", "role": None, "version": "0.0.0", **(skill or {})}
    own = None if skill_dir is False else (skill_dir if isinstance(skill_dir, str) else os.environ.get("ASPORA_SKILL_DIR"))
    fake_tables = FakeTables(_json_copy(dict(tables or {}), "tables=", "BAD_REQUEST"), table_errors)
    host = _FakeHost(files or {}, apis or {}, model, invoke, _json_copy(dict(state or {}), "state=", "BAD_REQUEST"), own, fake_tables)
    return TestContext(
        host,
        execution_id="test-execution",
        skill=SkillInfo(**info),
        user=_test_user(user),
        input=skill_input,
        secrets=secrets,
        exported_tools=exported_tools(tools) if tools is not None else (),
    )


__all__ = ["Call", "LogEntry", "RecordedMetrics", "TestContext", "create_test_context"]
