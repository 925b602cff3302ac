"""The worker beyond the shared vectors: output capture, load failures, sync handlers, the ends
of an execution (errors, bad results), concurrent calls and calls still in flight at the end."""
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import select
import threading
import unittest
from typing import Any, Dict

from harness import WORKER, HostEnd, execute, start_child, start_in_process, subset


class WorkerTestCase(unittest.TestCase):
    def handler_file(self, source: str, name: str = "handler.py", folder: str = "") -> str:
        """Writes a handler module into a temporary folder and returns its path."""
        if not folder:
            folder = tempfile.mkdtemp(prefix="aspora-py-")
            self.addCleanup(lambda: subprocess.run(["rm", "-rf", folder], check=True))
        path = os.path.join(folder, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(source))
        return path

    def start(self, host: HostEnd) -> HostEnd:
        self.addCleanup(host.close)
        return host

    def expect(self, host: HostEnd, want: Dict[str, Any]) -> Dict[str, Any]:
        got = host.read()
        self.assertTrue(subset(want, got), f"expected {json.dumps(want)}\n got {json.dumps(got)}")
        return got


def child_stdout(host: HostEnd) -> bytes:
    """What a child worker wrote to its fd 1 (read once it has exited)."""
    assert host.process is not None and host.process.stdout is not None
    return host.process.stdout.read()


class OutputCaptureTest(WorkerTestCase):
    def test_print_and_stderr_travel_as_logs_in_order_raw_fds_stay_output(self) -> None:
        host = self.start(start_child())
        self.expect(host, {"t": "ready"})
        host.send(execute(
            "o1",
            {"print": "hello"},
            {"op": "state.get", "args": {"key": "k"}},
            {"stderr": "careful\nsecond line\n"},
            {"print": "no newline", "end": ""},
        ))
        self.expect(host, {"t": "log", "exec": "o1", "level": "info", "msg": "hello", "fields": {"source": "stdout"}})
        self.expect(host, {"t": "call", "id": 1, "op": "state.get"})
        host.send({"t": "return", "id": 1, "ok": True, "value": None})
        self.expect(host, {"t": "log", "level": "warn", "msg": "careful", "fields": {"source": "stderr"}})
        self.expect(host, {"t": "log", "level": "warn", "msg": "second line"})
        self.expect(host, {"t": "log", "level": "info", "msg": "no newline"})  # drained before the result
        self.expect(host, {"t": "result", "exec": "o1", "result": {"success": True}})
        host.send({"t": "shutdown"})
        self.assertEqual(host.wait_exit(), 0)
        self.assertEqual(child_stdout(host), b"", "captured output must not reach fd 1 as well")

    def test_output_outside_an_execution_goes_to_the_real_streams(self) -> None:
        path = self.handler_file("""
            import os
            from aspora_sdk import SkillResult
            print("loading")                      # import time: no execution is running
            async def handler(context):
                os.write(1, b"raw fd write\\n")   # below sys.stdout: the host captures it
                return SkillResult(True, "ok")
        """)
        host = self.start(start_child(path))
        self.expect(host, {"t": "ready"})
        host.send(execute("o2"))
        self.expect(host, {"t": "result", "exec": "o2"})
        host.close_write()
        self.assertEqual(host.wait_exit(), 0)
        self.assertEqual(child_stdout(host).decode().splitlines(), ["loading", "raw fd write"])

    def test_in_process_capture_restores_the_streams(self) -> None:
        before = sys.stdout, sys.stderr
        host = self.start(start_in_process(capture_output=True))
        self.expect(host, {"t": "ready"})
        host.send(execute("o3", {"print": "inside"}))
        self.expect(host, {"t": "log", "msg": "inside", "level": "info"})
        self.expect(host, {"t": "result"})
        host.close_write()
        self.assertEqual(host.wait_exit(), 0)
        self.assertEqual((sys.stdout, sys.stderr), before)


class LoadFailureTest(WorkerTestCase):
    def fatal(self, path: str) -> Dict[str, Any]:
        host = self.start(start_child(path))
        got = self.expect(host, {"t": "fatal", "error": {"code": "HANDLER_LOAD_FAILED"}})
        self.assertEqual(host.rest(), [])
        self.assertEqual(host.wait_exit(), 1)
        return got["error"]

    def test_syntax_error(self) -> None:
        path = self.handler_file("async def handler(context):\n    return (1,\n")
        err = self.fatal(path)
        self.assertIn("SyntaxError", err["message"])
        self.assertIn(f"{path}:2", err["message"])

    def test_import_error(self) -> None:
        err = self.fatal(self.handler_file("import no_such_module_here\n"))
        self.assertIn("ModuleNotFoundError: No module named 'no_such_module_here'", err["message"])

    def test_exception_at_import_names_the_line(self) -> None:
        path = self.handler_file("x = 1\nraise ValueError('bad config')\n")
        self.assertIn(f"ValueError: bad config (at {path}:2)", self.fatal(path)["message"])

    def test_no_handler(self) -> None:
        self.assertIn("defines no handler", self.fatal(self.handler_file("def main(context):\n    pass\n"))["message"])

    def test_two_marked_handlers(self) -> None:
        src = "from aspora_sdk import skill_handler\n@skill_handler\ndef a(c): pass\n@skill_handler\ndef b(c): pass\n"
        self.assertIn("several functions are marked @skill_handler (a, b)", self.fatal(self.handler_file(src))["message"])

    def test_a_handler_named_like_a_module_the_worker_uses(self) -> None:
        self.assertIn("the module name json is already taken", self.fatal(self.handler_file("def handler(c): pass\n", name="json.py"))["message"])

    def test_in_process_load_failure_prints_the_traceback_and_returns_1(self) -> None:
        printed = io.StringIO()
        with contextlib.redirect_stderr(printed):
            host = self.start(start_in_process(self.handler_file("def nope(:\n")))
            self.expect(host, {"t": "fatal", "error": {"code": "HANDLER_LOAD_FAILED"}})
            self.assertEqual(host.wait_exit(), 1)
        self.assertIn("SyntaxError: invalid syntax", printed.getvalue())

    def test_without_fd3_the_worker_explains_itself(self) -> None:
        r = subprocess.run([sys.executable, "-I", "-B", WORKER, self.handler_file("def handler(c): pass\n")], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 2)
        self.assertIn("file descriptor 3 is not the protocol socket", r.stderr)


class HandlerShapesTest(WorkerTestCase):
    def test_marked_sync_handler_imports_its_sibling_and_returns_a_dict(self) -> None:
        path = self.handler_file("""
            from aspora_sdk import skill_handler
            from rules import limit            # a sibling module of the handler
            @skill_handler
            def decide(context):
                context.log.info("deciding", {"limit": limit})
                context.metrics.set("decisions", 1)
                return {"success": True, "message": context.input.user_message.upper(), "data": {"limit": limit}, "confidence": 0.5}
        """)
        self.handler_file("limit = 50\n", name="rules.py", folder=os.path.dirname(path))
        host = self.start(start_child(path))
        self.expect(host, {"t": "ready"})
        host.send(execute("s1"))
        self.expect(host, {"t": "log", "exec": "s1", "level": "info", "msg": "deciding", "fields": {"limit": 50}})
        self.expect(host, {"t": "metric", "exec": "s1", "name": "decisions", "value": 1})
        self.expect(host, {"t": "result", "exec": "s1", "result": {"success": True, "message": "PY", "data": {"limit": 50}, "confidence": 0.5}})

    def test_a_sync_handler_runs_its_own_event_loop_and_its_calls_reach_the_host(self) -> None:
        path = self.handler_file("""
            import asyncio
            import threading
            from aspora_sdk import SkillResult

            async def lookups(context):
                return await asyncio.gather(context.state.get("a"), context.state.get("b"))

            def handler(context):  # blocking code, as a sync handler may have
                values = asyncio.run(lookups(context))
                return SkillResult(True, f"{values} on {threading.current_thread() is threading.main_thread()}")
        """)
        host = self.start(start_in_process(path))
        self.expect(host, {"t": "ready"})
        host.send(execute("y1"))
        first = self.expect(host, {"t": "call", "op": "state.get", "exec": "y1"})
        second = self.expect(host, {"t": "call", "op": "state.get", "exec": "y1"})
        self.assertEqual({first["id"], second["id"]}, {1, 2})
        for c in (first, second):
            host.send({"t": "return", "id": c["id"], "ok": True, "value": c["args"]["key"].upper()})
        self.expect(host, {"t": "result", "exec": "y1", "result": {"message": "['A', 'B'] on False"}})

    def test_handler_error_has_a_stack_and_the_worker_survives(self) -> None:
        host = self.start(start_in_process())
        self.expect(host, {"t": "ready", "language": "python"})
        host.send(execute("h1", {"raise": "kaput"}))
        got = self.expect(host, {"t": "error", "exec": "h1", "error": {"code": "HANDLER_ERROR", "message": "RuntimeError: kaput"}})
        self.assertIn("script_handler.py", got["error"]["stack"])
        host.send(execute("h2", {"exit": 3}))
        self.expect(host, {"t": "error", "exec": "h2", "error": {"code": "HANDLER_ERROR", "message": "SystemExit: 3"}})
        host.send(execute("h3"))
        self.expect(host, {"t": "result", "exec": "h3", "result": {"success": True}})

    def test_results_that_are_not_skill_results_are_bad_results(self) -> None:
        path = self.handler_file("""
            from aspora_sdk import AsporaError, SkillResult
            async def handler(context):
                case = context.input.metadata["case"]
                if case == "none":
                    return None
                if case == "nan":
                    return SkillResult(True, "x", data={"v": float("nan")})
                if case == "object":
                    return SkillResult(True, "x", data={"v": object()})
                if case == "typed":
                    raise AsporaError("BUDGET_EXCEEDED", "over", {"limit": 1})
                return "a string"
        """)
        host = self.start(start_in_process(path))
        self.expect(host, {"t": "ready"})
        for case, want in [
            ("none", {"code": "BAD_RESULT", "message": "the handler returned nothing, not a SkillResult"}),
            ("str", {"code": "BAD_RESULT", "message": "the handler returned a str, not a SkillResult"}),
            ("nan", {"code": "BAD_RESULT"}),
            ("object", {"code": "BAD_RESULT"}),
            ("typed", {"code": "BUDGET_EXCEEDED", "message": "over", "details": {"limit": 1}}),
        ]:
            host.send(execute(case, input={"userMessage": "", "metadata": {"case": case}}))
            got = self.expect(host, {"t": "error", "exec": case, "error": want})
            if case in ("nan", "object"):
                self.assertIn("the result cannot be sent", got["error"]["message"])


class ConcurrencyTest(WorkerTestCase):
    def test_gathered_calls_get_increasing_ids_and_their_own_replies(self) -> None:
        n = 12
        host = self.start(start_in_process())
        self.expect(host, {"t": "ready"})
        host.send(execute("c1", {"gather": [{"op": "state.get", "args": {"key": f"k{i}"}} for i in range(n)]}))
        calls = [self.expect(host, {"t": "call", "op": "state.get"}) for _ in range(n)]
        self.assertEqual([c["id"] for c in calls], list(range(1, n + 1)))
        for c in reversed(calls):  # answered in reverse order
            host.send({"t": "return", "id": c["id"], "ok": True, "value": "v" + c["args"]["key"][1:]})
        end = self.expect(host, {"t": "result", "exec": "c1"})
        self.assertEqual(end["result"]["data"]["results"], [[f"v{i}" for i in range(n)]])

    def test_at_most_64_calls_are_in_flight_the_rest_wait_for_a_return(self) -> None:
        n = 70
        host = self.start(start_in_process())
        buf = b""

        def line(wait: float = 5.0) -> Any:  # read from the socket itself: nothing buffered out of sight
            nonlocal buf
            while b"\n" not in buf:
                if not select.select([host.sock], [], [], wait)[0]:
                    return None
                buf += host.sock.recv(1 << 16)
            raw, buf = buf.split(b"\n", 1)
            return json.loads(raw)

        self.assertEqual(line()["t"], "ready")
        host.send(execute("q1", {"gather": [{"op": "state.get", "args": {"key": f"k{i}"}} for i in range(n)]}))
        calls = [line() for _ in range(64)]
        self.assertTrue(all(c["t"] == "call" for c in calls))
        self.assertIsNone(line(0.5), "a 65th call was sent before any returned")
        for c in calls:
            host.send({"t": "return", "id": c["id"], "ok": True, "value": 0})
        rest = [line() for _ in range(n - 64)]
        self.assertTrue(all(c["t"] == "call" for c in rest))
        for c in rest:
            host.send({"t": "return", "id": c["id"], "ok": True, "value": 0})
        self.assertEqual(line()["t"], "result")

    def test_a_call_in_flight_at_the_end_fails_with_bad_request_and_its_late_return_is_ignored(self) -> None:
        path = self.handler_file("""
            import asyncio
            from aspora_sdk import AsporaError, SkillResult
            left_behind = []
            async def handler(context):
                if not left_behind:
                    left_behind.append(asyncio.ensure_future(context.state.set("k", 1)))
                    await asyncio.sleep(0)  # the call is sent
                    return SkillResult(True, "first")
                try:
                    await left_behind[0]
                except AsporaError as e:
                    return SkillResult(True, f"{e.code}: {e.message}")
                return SkillResult(False, "the call did not fail")
        """)
        host = self.start(start_in_process(path))
        self.expect(host, {"t": "ready"})
        host.send(execute("f1"))
        call = self.expect(host, {"t": "call", "id": 1, "exec": "f1", "op": "state.set", "args": {"key": "k", "value": 1}})
        self.expect(host, {"t": "result", "exec": "f1", "result": {"message": "first"}})
        host.send({"t": "return", "id": call["id"], "ok": True, "value": None})  # late: ignored
        host.send(execute("f2"))
        self.expect(host, {"t": "result", "exec": "f2", "result": {"success": True, "message": "BAD_REQUEST: the execution ended before this call returned"}})

    def test_arguments_json_cannot_carry_are_bad_request_and_send_nothing(self) -> None:
        path = self.handler_file("""
            from aspora_sdk import AsporaError, SkillResult
            async def handler(context):
                try:
                    await context.state.set("k", {1, 2})
                except AsporaError as e:
                    return SkillResult(True, e.code)
                return SkillResult(False, "sent")
        """)
        host = self.start(start_in_process(path))
        self.expect(host, {"t": "ready"})
        host.send(execute("j1"))
        self.expect(host, {"t": "result", "exec": "j1", "result": {"message": "BAD_REQUEST"}})

    def test_a_result_over_the_hosts_10_mib_line_limit_is_not_sent_but_a_bad_result(self) -> None:
        path = self.handler_file("""
            from aspora_sdk import SkillResult
            async def handler(context):
                return SkillResult(True, "x" * (11 << 20))
        """)
        host = self.start(start_in_process(path))
        self.expect(host, {"t": "ready"})
        host.send(execute("b1"))
        got = self.expect(host, {"t": "error", "exec": "b1", "error": {"code": "BAD_RESULT"}})
        self.assertIn("over the protocol's 10 MiB line limit", got["error"]["message"])

    def test_a_line_over_16_mib_is_a_protocol_error(self) -> None:
        host = self.start(start_in_process())
        self.expect(host, {"t": "ready"})
        sender = threading.Thread(target=lambda: host.sock.sendall(b"x" * ((16 << 20) + 10)), daemon=True)
        sender.start()
        self.expect(host, {"t": "fatal", "error": {"code": "PROTOCOL_ERROR"}})
        self.assertEqual(host.wait_exit(), 1)

    def test_lines_that_are_not_objects_are_skipped(self) -> None:
        host = self.start(start_in_process())
        self.expect(host, {"t": "ready"})
        host.sock.sendall(b"\n[1,2]\n")
        host.send(execute("n1", {"echo": "skill.version"}))
        self.expect(host, {"t": "result", "exec": "n1", "result": {"data": {"results": ["1.0.0"]}}})


if __name__ == "__main__":
    unittest.main()
