"""The test's side of a worker: the host end of the protocol socket, over which a test sends host
messages and reads worker messages, and the two ways to start a worker (in-process on a thread
over a socketpair, or as a child process with the socket on fd 3, as the platform does)."""
import json
import os
import socket
import subprocess
import sys
import threading
from typing import Any, Dict, List, Optional

TESTS = os.path.dirname(os.path.abspath(__file__))
SDK = os.path.dirname(TESTS)
WORKER = os.path.join(SDK, "aspora_sdk", "worker.py")
SCRIPT_HANDLER = os.path.join(TESTS, "script_handler.py")
VECTORS = os.path.join(SDK, "..", "protocol-vectors.json")
TIMEOUT = 10.0

if SDK not in sys.path:
    sys.path.insert(0, SDK)

from aspora_sdk.worker import serve  # noqa: E402


def load_vectors() -> List[Dict[str, Any]]:
    with open(VECTORS, encoding="utf-8") as f:
        doc = json.load(f)
    assert doc["protocol"] == 1 and doc["vectors"], "unexpected vector file"
    return doc["vectors"]


def subset(want: Any, got: Any) -> bool:
    """Every field of want is in got with an equal value (recursively for objects); arrays have
    the same length and match element by element. JSON's true is not the number 1."""
    if isinstance(want, dict):
        return isinstance(got, dict) and all(k in got and subset(v, got[k]) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(got, list) and len(want) == len(got) and all(subset(w, g) for w, g in zip(want, got))
    if isinstance(want, bool) or isinstance(got, bool):
        return type(want) is type(got) and want == got
    return want == got


class HostEnd:
    def __init__(self, sock: socket.socket, wait: Any, process: Optional[subprocess.Popen] = None) -> None:
        self.sock = sock
        self.sock.settimeout(TIMEOUT)
        self._reader = sock.makefile("rb")
        self._wait = wait
        self.process = process

    def send(self, message: Dict[str, Any]) -> None:
        self.sock.sendall(json.dumps(message).encode() + b"\n")

    def read(self) -> Dict[str, Any]:
        line = self._reader.readline()
        if not line:
            raise AssertionError("the worker closed the channel")
        return json.loads(line)

    def read_until(self, t: str) -> List[Dict[str, Any]]:
        """Messages up to and including the first of type t."""
        out = [self.read()]
        while out[-1]["t"] != t:
            out.append(self.read())
        return out

    def rest(self) -> List[Dict[str, Any]]:
        """What the worker still writes until it closes the channel."""
        return [json.loads(line) for line in self._reader]

    def close_write(self) -> None:
        self.sock.shutdown(socket.SHUT_WR)  # the worker reads the end of the stream

    def wait_exit(self) -> int:
        return self._wait()

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for p in (self.process.stdout, self.process.stderr) if self.process else ():
            if p:
                p.close()
        self._reader.close()
        self.sock.close()


def start_in_process(handler_path: str = SCRIPT_HANDLER, capture_output: bool = False) -> HostEnd:
    """serve() on a thread. Output capture is off by default: it would also take this test
    process's own stderr (warnings of the runner) into the channel."""
    host, worker = socket.socketpair()
    code: Dict[str, int] = {}

    def run() -> None:
        code["exit"] = serve(worker, handler_path, capture_output=capture_output)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def wait() -> int:
        thread.join(TIMEOUT)
        if thread.is_alive():
            raise AssertionError("the worker did not exit")
        return code["exit"]

    return HostEnd(host, wait)


def start_child(handler_path: str = SCRIPT_HANDLER, python: str = sys.executable) -> HostEnd:
    """python -I -B worker.py handler.py with the worker's end of the socket as its fd 3."""
    host, worker = socket.socketpair()
    fd = worker.fileno()
    if fd == 3:  # dup2(3, 3) would keep close-on-exec set
        fd = os.dup(fd)
    proc = subprocess.Popen(
        [python, "-I", "-B", "-u", WORKER, handler_path],
        pass_fds=(3,),
        preexec_fn=lambda: os.dup2(fd, 3),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    if fd != worker.fileno():
        os.close(fd)
    worker.close()

    def wait() -> int:
        return proc.wait(TIMEOUT)

    return HostEnd(host, wait, proc)


def execute(exec_id: str, *script: Dict[str, Any], **context: Any) -> Dict[str, Any]:
    """An execute message for the script handler."""
    ctx: Dict[str, Any] = {
        "executionId": exec_id,
        "input": {"userMessage": "py", "metadata": {"script": list(script)}},
        "skill": {"domain": "test", "name": "script", "role": None, "version": "1.0.0"},
        "secrets": {},
    }
    ctx.update(context)
    return {"t": "execute", "exec": exec_id, "context": ctx}
