"""Finding a skill's handler: the @skill_handler mark and loading the handler's file."""
from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import traceback
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable, List, TypeVar

from .tools import ExportedTool, exported_tools

F = TypeVar("F", bound=Callable[..., Any])
HANDLER_ATTR = "__aspora_skill_handler__"
LOADED_ATTR = "__aspora_loaded__"  # a module load_handler made (a test may load another in its place)


def skill_handler(fn: F) -> F:
    """Marks the skill's handler, ``(context) -> SkillResult`` (async or not). The function is
    returned unchanged, so a test can call it with a context from aspora_sdk.testing."""
    if not callable(fn):
        raise TypeError("@skill_handler decorates a function")
    setattr(fn, HANDLER_ATTR, True)
    return fn


class HandlerLoadError(Exception):
    """The handler's module cannot be imported, or defines no handler."""


@dataclass(frozen=True)
class LoadedHandler:
    fn: Callable[..., Any]
    tools: List[ExportedTool]
    module: ModuleType


def find_handler(module: ModuleType) -> Callable[..., Any]:
    """The one function marked @skill_handler, else the module's ``handler``."""
    marked: List[Callable[..., Any]] = []
    for v in vars(module).values():
        if getattr(v, HANDLER_ATTR, None) is True and not any(v is m for m in marked):
            marked.append(v)
    if len(marked) > 1:
        names = ", ".join(getattr(m, "__name__", repr(m)) for m in marked)
        raise HandlerLoadError(f"{module.__file__}: several functions are marked @skill_handler ({names}): mark one")
    if marked:
        return marked[0]
    fn = getattr(module, "handler", None)
    if callable(fn):
        return fn
    raise HandlerLoadError(f"{module.__file__} defines no handler: name a function handler, or decorate it with @skill_handler")


def _why(e: BaseException, path: str) -> str:
    if isinstance(e, SyntaxError):
        where = f"{e.filename or path}:{e.lineno}" + (f":{e.offset}" if e.offset else "")
        return f"{type(e).__name__}: {e.msg} (at {where})"
    frames = traceback.extract_tb(e.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(e).__name__}: {e}{where}"


def load_handler(path: str) -> LoadedHandler:
    """Imports the handler file as a top-level module named after it (code/handler.py →
    ``handler``), with its folder on sys.path so it can import its sibling modules."""
    path = os.path.abspath(path)
    if not os.path.isfile(path) or not path.endswith(".py"):
        raise HandlerLoadError(f"{path} is not a Python file")
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = os.path.splitext(os.path.basename(path))[0]
    taken = sys.modules.get(name)
    same_file = os.path.abspath(getattr(taken, "__file__", None) or "") == path
    if taken is not None and not same_file and not getattr(taken, LOADED_ATTR, False):
        # code/json.py would replace the json module the worker itself runs on.
        raise HandlerLoadError(f"{path}: the module name {name} is already taken by {taken!r}: rename the file")
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    if spec is None:
        raise HandlerLoadError(f"{path} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    setattr(module, LOADED_ATTR, True)
    sys.modules[name] = module  # before running it: dataclasses and sibling imports look it up
    try:
        loader.exec_module(module)
    except (Exception, SystemExit) as e:
        del sys.modules[name]
        raise HandlerLoadError(f"cannot load {path}: {_why(e, path)}") from e
    try:
        return LoadedHandler(fn=find_handler(module), tools=exported_tools(module), module=module)
    except ValueError as e:
        raise HandlerLoadError(f"{path}: {e}") from e
