"""The Python SDK for Aspora skill handlers (standard library only, Python 3.9+).

A handler is a function of a SkillContext. Every effect it has (files, APIs, the model, state,
child skills) is a call that the platform checks against the skill's permissions and carries
out; the handler itself runs in a sandbox with no network and no credentials. The worker
(aspora_sdk/worker.py) speaks the runtime protocol (docs/runtime-protocol.md) on fd 3.
"""
from .context import SkillContext
from .errors import AsporaError
from .loader import skill_handler
from .table import Row, Table
from .tools import tool
from .types import BashResult, ChatResponse, FetchResponse, GrepMatch, SkillInfo, SkillInput, SkillResult, SkillUser, ToolCall, Usage

__all__ = [
    "AsporaError",
    "BashResult",
    "ChatResponse",
    "FetchResponse",
    "GrepMatch",
    "Row",
    "SkillContext",
    "SkillInfo",
    "SkillInput",
    "SkillResult",
    "SkillUser",
    "Table",
    "ToolCall",
    "Usage",
    "skill_handler",
    "tool",
]
