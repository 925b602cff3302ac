"""The Python worker (docs/runtime-protocol.md): loads the handler, then speaks the runtime
protocol on file descriptor 3 until shutdown or the end of the stream.

    python3 -I -B -u /opt/aspora/python/aspora_sdk/worker.py /skill/code/handler.py

Executions run on an asyncio loop in the main thread, one at a time; a reader thread hands the
host's messages to the loop, so returns arrive while the handler awaits them. Every write is one
line under the channel lock, which also orders call ids and the end of an execution.
"""
from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    # Run as a script, Python puts this file's folder first on sys.path, where types.py would
    # shadow the standard library's types: use the folder above it (the SDK root) instead.
    _here = os.path.dirname(os.path.realpath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != _here]
    sys.path.insert(0, os.path.dirname(_here))

import asyncio  # noqa: E402  (after the sys.path fix above)
import inspect  # noqa: E402
import json  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
import traceback  # noqa: E402
from typing import Any, Dict, Optional, Union  # noqa: E402

from aspora_sdk.channel import Channel, LineTooLong, encode  # noqa: E402
from aspora_sdk.context import SkillContext  # noqa: E402
from aspora_sdk.errors import AsporaError, ended_error  # noqa: E402
from aspora_sdk.loader import HandlerLoadError, LoadedHandler, load_handler  # noqa: E402
from aspora_sdk.output import CapturedOutput  # noqa: E402
from aspora_sdk.tools import describe  # noqa: E402
from aspora_sdk.types import SkillInfo, SkillInput, SkillResult, SkillUser, to_wire  # noqa: E402

PROTOCOL = 1
# Host calls of one execution in flight at once (the host refuses more): the rest wait here.
MAX_IN_FLIGHT = 64


class _ExecutionHost:
    """The Host of one execution: its calls and notifications carry its exec id."""

    def __init__(self, worker: "Worker", exec_id: str) -> None:
        self._worker, self._exec = worker, exec_id

    async def call(self, op: str, args: Dict[str, Any]) -> Any:
        return await self._worker.call(self._exec, op, args)

    def log(self, level: str, msg: str, fields: Optional[Dict[str, Any]]) -> None:
        m: Dict[str, Any] = {"t": "log", "exec": self._exec, "level": level, "msg": msg}
        if fields is not None:
            m["fields"] = fields
        self._worker.notify(self._exec, m)

    def metric(self, name: str, value: float) -> None:
        self._worker.notify(self._exec, {"t": "metric", "exec": self._exec, "name": name, "value": value})


def _result_message(exec_id: str, result: Any) -> Dict[str, Any]:
    if isinstance(result, SkillResult) or isinstance(result, dict):
        return {"t": "result", "exec": exec_id, "result": to_wire(result)}
    what = "nothing" if result is None else f"a {type(result).__name__}"
    return _error_message(exec_id, "BAD_RESULT", f"the handler returned {what}, not a SkillResult")


def _error_message(exec_id: str, code: str, message: str, **extra: Any) -> Dict[str, Any]:
    return {"t": "error", "exec": exec_id, "error": {"code": code, "message": message, **extra}}


class Worker:
    def __init__(self, channel: Channel, handler: LoadedHandler, output: Optional[CapturedOutput] = None) -> None:
        self._channel = channel
        self._handler = handler
        self._output = output
        self._lock = channel.lock  # guards _current and _next_id together with the writes
        self._current: Optional[str] = None
        self._next_id = 0
        self._pending: Dict[int, "asyncio.Future[Any]"] = {}
        self._loop = asyncio.new_event_loop()
        self._slots: Optional[asyncio.Semaphore] = None  # made on the loop (Python 3.9 binds it where it is made)
        self._stopping = False

    # --- the loop -------------------------------------------------------------------------------

    def serve(self) -> int:
        """Sends ready, runs executions until shutdown or end of stream, returns the exit code."""
        try:
            return self._loop.run_until_complete(self._main())
        finally:
            # Tasks the handler left running are cancelled; one that ignores it is not waited for long.
            tasks = asyncio.all_tasks(self._loop)
            for task in tasks:
                task.cancel()
            if tasks:
                self._loop.run_until_complete(asyncio.wait(tasks, timeout=1))
            self._loop.close()

    async def _main(self) -> int:
        done: "asyncio.Future[int]" = self._loop.create_future()
        executions: "asyncio.Queue[Dict[str, Any]]" = asyncio.Queue()
        ready: Dict[str, Any] = {"t": "ready", "protocol": PROTOCOL, "language": "python", "pid": os.getpid()}
        if self._handler.tools:
            ready["tools"] = [t.spec() for t in self._handler.tools]
        self._channel.send(ready)
        threading.Thread(target=self._read, args=(done, executions), name="aspora-reader", daemon=True).start()

        async def run_executions() -> None:
            while True:
                await self._run(await executions.get())

        runner = self._loop.create_task(run_executions())
        try:
            return await done
        finally:
            self._stopping = True
            runner.cancel()

    def _read(self, done: "asyncio.Future[int]", executions: "asyncio.Queue[Dict[str, Any]]") -> None:
        """The reader thread: every host message goes to the loop; it never blocks on the handler."""

        def finish(code: int) -> None:
            if not done.done():
                done.set_result(code)

        def dispatch(m: Dict[str, Any]) -> None:
            if m.get("t") == "execute":
                executions.put_nowait(m)
            elif m.get("t") == "return":
                self._deliver(m)

        def to_loop(fn: Any, *args: Any) -> None:
            try:
                self._loop.call_soon_threadsafe(fn, *args)
            except RuntimeError:  # the loop is closed: the worker is already ending
                pass

        while True:
            try:
                line = self._channel.read_line()
            except LineTooLong as e:
                self._try_send({"t": "fatal", "error": {"code": "PROTOCOL_ERROR", "message": str(e)}})
                return to_loop(finish, 1)
            except OSError:
                line = None
            if line is None:
                return to_loop(finish, 0)
            if not line.strip():
                continue
            try:
                m = json.loads(line)
            except ValueError as e:
                print(f"aspora: ignoring a line from the host that is not JSON: {e}", file=sys.__stderr__)
                continue
            if not isinstance(m, dict):
                continue
            if m.get("t") == "shutdown":
                return to_loop(finish, 0)
            to_loop(dispatch, m)

    # --- one execution --------------------------------------------------------------------------

    async def _run(self, m: Dict[str, Any]) -> None:
        exec_id = str(m.get("exec", ""))
        raw = m.get("context")
        c: Dict[str, Any] = raw if isinstance(raw, dict) else {}
        with self._lock:
            self._current = exec_id
        end: Dict[str, Any]
        try:
            ctx = SkillContext(
                _ExecutionHost(self, exec_id),
                execution_id=str(c.get("executionId") or exec_id),
                skill=SkillInfo.from_wire(c.get("skill")),
                user=SkillUser.from_wire(c.get("user")),
                input=SkillInput.of(c.get("input")),
                secrets=c.get("secrets") or {},
                exported_tools=self._handler.tools,
            )
            fn = self._handler.fn
            # A sync handler runs on a thread of its own: it may block, or asyncio.run() its own
            # coroutines, whose host calls hop over to this loop.
            result = fn(ctx) if inspect.iscoroutinefunction(fn) else await self._loop.run_in_executor(None, fn, ctx)
            if inspect.isawaitable(result):
                result = await result
            end = _result_message(exec_id, result)
        except AsporaError as e:
            end = {"t": "error", "exec": exec_id, "error": e.to_wire()}
        except asyncio.CancelledError:
            if self._stopping:
                raise
            end = _error_message(exec_id, "HANDLER_ERROR", "CancelledError: the handler's task was cancelled", stack=traceback.format_exc())
        except (Exception, SystemExit) as e:  # SystemExit too: a handler ends its execution, not the worker
            end = _error_message(exec_id, "HANDLER_ERROR", describe(e), stack=traceback.format_exc())
        self._end(exec_id, end)

    def _end(self, exec_id: str, end: Dict[str, Any]) -> None:
        if self._output:
            self._output.drain()  # a last print without a newline belongs to this execution
        with self._lock:
            self._current = None
            stale, self._pending = self._pending, {}
            try:
                self._channel.send(end)
            except (TypeError, ValueError) as e:  # NaN, a value JSON cannot carry, over 10 MiB
                self._try_send(_error_message(exec_id, "BAD_RESULT", f"the result cannot be sent: {e}"))
            except OSError as e:
                print(f"aspora: the end of execution {exec_id} was not sent: {e}", file=sys.__stderr__)
        for fut in stale.values():
            if not fut.done():
                fut.set_exception(ended_error())

    # --- calls and notifications ----------------------------------------------------------------

    async def call(self, exec_id: str, op: str, args: Dict[str, Any]) -> Any:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not self._loop:  # from a thread or loop of the handler's own: hop over
            fut = asyncio.run_coroutine_threadsafe(self.call(exec_id, op, args), self._loop)
            return await asyncio.wrap_future(fut)
        try:
            args_json = encode(args)
        except (TypeError, ValueError) as e:
            raise AsporaError("BAD_REQUEST", f"the arguments of {op} cannot be sent as JSON: {e}") from None
        if self._slots is None:
            self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        async with self._slots:
            return await self._call(exec_id, op, args_json)

    async def _call(self, exec_id: str, op: str, args_json: str) -> Any:
        reply: "asyncio.Future[Any]" = self._loop.create_future()
        with self._lock:
            if self._current != exec_id:
                raise ended_error()
            self._next_id += 1
            call_id = self._next_id
            line = '{"t":"call","id":%d,"exec":%s,"op":%s,"args":%s}' % (call_id, encode(exec_id), encode(op), args_json)
            try:
                self._channel.write_line(line)
            except (OSError, ValueError) as e:
                raise AsporaError("BAD_REQUEST", f"{op} was not sent: {e}") from None
            self._pending[call_id] = reply
        return await reply

    def _deliver(self, m: Dict[str, Any]) -> None:
        """A return for a waiting call; unknown ids are late answers to a finished execution."""
        reply = self._pending.pop(m.get("id"), None)  # type: ignore[arg-type]
        if reply is None or reply.done():
            return
        if m.get("ok") is True:
            reply.set_result(m.get("value"))
        else:
            raw = m.get("error")
            e: Dict[str, Any] = raw if isinstance(raw, dict) else {}
            reply.set_exception(AsporaError(str(e.get("code") or "INTERNAL"), str(e.get("message") or "the host call failed"), e.get("details")))

    def notify(self, exec_id: str, m: Dict[str, Any]) -> bool:
        """Sends a log or metric of exec_id; dropped (False) once that execution has ended."""
        with self._lock:
            if self._current != exec_id:
                return False
            try:
                self._channel.write_line(encode(m, lenient=True))
            except (OSError, TypeError, ValueError) as e:
                print(f"aspora: {m.get('t')} not sent: {e}", file=sys.__stderr__)
            return True

    def output_sink(self, level: str, line: str, source: str) -> bool:
        """Where captured stdout/stderr lines go: the running execution's log."""
        with self._lock:
            exec_id = self._current
        if exec_id is None:
            return False
        return self.notify(exec_id, {"t": "log", "exec": exec_id, "level": level, "msg": line, "fields": {"source": source}})

    def _try_send(self, m: Dict[str, Any]) -> None:
        try:
            self._channel.send(m)
        except (OSError, TypeError, ValueError) as e:
            print(f"aspora: {m.get('t')} not sent: {e}", file=sys.__stderr__)


def serve(sock: socket.socket, handler_path: str, capture_output: bool = True) -> int:
    """Runs a worker for the handler file over sock (fd 3 in production; a socketpair in tests)
    and returns its exit code: 0 after shutdown or end of stream, 1 when the handler cannot load."""
    channel = Channel(sock)
    worker_ref: Dict[str, Worker] = {}
    # Installed before the import, so a logging.StreamHandler the module creates writes through it.
    output = CapturedOutput(lambda level, line, source: worker_ref["w"].output_sink(level, line, source) if "w" in worker_ref else False) if capture_output else None
    try:
        try:
            loaded = load_handler(handler_path)
        except HandlerLoadError as e:
            cause = e.__cause__
            if cause is not None:
                traceback.print_exception(type(cause), cause, cause.__traceback__)  # for the host's log
            try:
                channel.send({"t": "fatal", "error": {"code": "HANDLER_LOAD_FAILED", "message": str(e)}})
            except OSError:
                pass
            return 1
        worker = worker_ref["w"] = Worker(channel, loaded, output)
        return worker.serve()
    finally:
        if output:
            output.restore()
        channel.close()


def main(argv: Optional[list] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python3 -I -B -u aspora_sdk/worker.py <handler.py>", file=sys.stderr)
        return 2
    try:
        sock = socket.socket(fileno=3)
    except OSError as e:
        print(
            f"aspora: file descriptor 3 is not the protocol socket ({e}): this program is an Aspora skill worker, "
            "started by the platform (run the skill's tests with python3 -m unittest)",
            file=sys.stderr,
        )
        return 2
    sock.setblocking(True)
    return serve(sock, args[0])


if __name__ == "__main__":
    code: Union[int, Any] = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    # os._exit: threads the handler started must not keep an idle worker alive after shutdown.
    os._exit(code)
