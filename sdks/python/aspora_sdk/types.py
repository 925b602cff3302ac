"""The values a handler sees and returns, and their JSON form on the wire.

Python names are snake_case; the protocol's are camelCase (``max_tokens`` ↔ ``maxTokens``).
``to_wire`` does that renaming for these dataclasses only: the keys of plain dicts (a result's
``data``, an API's arguments) cross unchanged.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Union

JSON = Any  # what json.loads returns: dict, list, str, int, float, bool or None
Message = Dict[str, Any]  # a chat message: {"role": "user", "content": "…"} (wire names)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def to_wire(value: Any) -> JSON:
    """The JSON-ready form of value: dataclasses become dicts with camelCase keys (fields that
    are None are left out), mappings and sequences are converted element by element."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {camel(f.name): to_wire(v) for f in dataclasses.fields(value) if (v := getattr(value, f.name)) is not None}
    if isinstance(value, Mapping):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    return value


def _pick(d: Mapping[str, Any], snake: str, default: Any = None) -> Any:
    """d[snake] or d[camelCase of snake]: values from the host are camelCase, from tests either."""
    if snake in d:
        return d[snake]
    return d.get(camel(snake), default)


@dataclass
class SkillInput:
    """What the skill was asked. ``metadata`` is always a dict (empty when not given)."""

    user_message: str = ""
    domain: Optional[str] = None
    metadata: Dict[str, Any] = field(default_factory=dict)

    _FIELDS = ("user_message", "domain", "metadata")

    @classmethod
    def of(cls, value: Union["SkillInput", Mapping[str, Any], None], strict: bool = False) -> "SkillInput":
        """A SkillInput from itself or a dict with snake_case or camelCase keys. strict rejects
        unknown keys (a typo in a test or an invoke); the host's messages are read leniently."""
        if isinstance(value, SkillInput):
            return dataclasses.replace(value, metadata=dict(value.metadata or {}))
        d = dict(value or {})
        if strict:
            known = set(cls._FIELDS) | {camel(f) for f in cls._FIELDS}
            unknown = sorted(set(d) - known)
            if "user_id" in unknown or "userId" in unknown:
                raise TypeError("SkillInput has no user_id: the end user is context.user, which the platform authenticates (in a test: create_test_context(user=…))")
            if unknown:
                raise TypeError(f"unknown SkillInput field(s) {', '.join(unknown)}: use {', '.join(cls._FIELDS)}")
        metadata = _pick(d, "metadata")
        return cls(
            user_message=_pick(d, "user_message", "") or "",
            domain=_pick(d, "domain"),
            metadata=dict(metadata) if isinstance(metadata, Mapping) else {},
        )


@dataclass(frozen=True)
class SkillInfo:
    """The running skill; ``role`` is None when the skill has none."""

    domain: str = ""
    name: str = ""
    role: Optional[str] = None
    version: str = ""

    @classmethod
    def from_wire(cls, d: Optional[Mapping[str, Any]]) -> "SkillInfo":
        d = d or {}
        return cls(domain=d.get("domain") or "", name=d.get("name") or "", role=d.get("role"), version=d.get("version") or "")


@dataclass(frozen=True)
class SkillUser:
    """The end user an execution runs for: whom the platform authenticated, or the user a
    channel's service token (with act-as) named; never read from the input. ``team`` is the
    user's team for this run (the skill's owner team when the user is in it), ``role`` the role there."""

    id: str
    email: str
    name: Optional[str] = None
    team: Optional[str] = None
    role: Optional[str] = None

    @classmethod
    def from_wire(cls, d: Optional[Mapping[str, Any]]) -> Optional["SkillUser"]:
        """None when the execution has no user (a service, a schedule)."""
        if not isinstance(d, Mapping) or not d.get("email"):
            return None
        email = str(d["email"])
        return cls(id=str(d.get("id") or email), email=email, name=d.get("name"), team=d.get("team"), role=d.get("role"))


@dataclass
class SkillResult:
    """What a handler returns (a plain dict with these keys works too). ``confidence`` is in 0..1."""

    success: bool
    message: str
    data: Optional[Dict[str, Any]] = None
    confidence: Optional[float] = None

    @classmethod
    def from_wire(cls, d: Mapping[str, Any]) -> "SkillResult":
        return cls(success=bool(d.get("success")), message=str(d.get("message", "")), data=d.get("data"), confidence=d.get("confidence"))


@dataclass(frozen=True)
class Usage:
    """What a model call consumed (for a chat with tools: every round of it)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0

    @classmethod
    def from_wire(cls, d: Optional[Mapping[str, Any]]) -> "Usage":
        d = d or {}
        return cls(prompt_tokens=_pick(d, "prompt_tokens", 0), completion_tokens=_pick(d, "completion_tokens", 0), cost=d.get("cost", 0.0))

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(self.prompt_tokens + other.prompt_tokens, self.completion_tokens + other.completion_tokens, self.cost + other.cost)


@dataclass(frozen=True)
class ToolCall:
    """The model asking for one of the handler's tools; ``arguments`` is a dict."""

    id: str
    name: str
    arguments: Dict[str, Any]

    @classmethod
    def from_wire(cls, d: Mapping[str, Any]) -> "ToolCall":
        args = d.get("arguments")
        return cls(id=str(d.get("id", "")), name=str(d.get("name", "")), arguments=dict(args) if isinstance(args, Mapping) else {})


@dataclass(frozen=True)
class ChatResponse:
    """The model's answer. ``tool_calls`` is set only when the model asked for tools that the SDK
    did not run for you (a chat without ``tools=``)."""

    content: str
    model: str
    usage: Usage = field(default_factory=Usage)
    tool_calls: Optional[List[ToolCall]] = None

    @classmethod
    def from_wire(cls, d: Mapping[str, Any]) -> "ChatResponse":
        calls = _pick(d, "tool_calls")
        return cls(
            content=d.get("content") or "",
            model=d.get("model") or "",
            usage=Usage.from_wire(d.get("usage")),
            tool_calls=[ToolCall.from_wire(c) for c in calls] if isinstance(calls, list) and calls else None,
        )


@dataclass(frozen=True)
class GrepMatch:
    path: str
    line: int
    text: str


@dataclass(frozen=True)
class BashResult:
    stdout: str
    stderr: str
    exit_code: int


@dataclass(frozen=True)
class FetchResponse:
    status: int
    body: str
