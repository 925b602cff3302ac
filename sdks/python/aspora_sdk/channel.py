"""The protocol channel: JSON lines over the socket on fd 3 (the host's lines up to 16 MiB; ours up
to 10 MiB, the host's limit: a longer one would make it stop the worker)."""
from __future__ import annotations

import json
import socket
import threading
from typing import Any, Dict, Optional

MAX_LINE = 16 << 20
MAX_SEND_LINE = 10 << 20


class LineTooLong(Exception):
    pass


def encode(value: Any, lenient: bool = False) -> str:
    """Compact JSON. Strict by default (NaN and non-JSON values raise ValueError/TypeError);
    lenient (logs) sends what JSON cannot carry as its repr."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=repr if lenient else None)


class Channel:
    """One end of the protocol. Writes are whole lines under ``lock`` (callers that must order a
    write with their own state hold it themselves); reads happen on a single reader thread."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._reader = sock.makefile("rb")
        self.lock = threading.RLock()

    def write_line(self, text: str) -> None:
        # backslashreplace turns a lone surrogate into the JSON escape it stands for.
        data = text.encode("utf-8", "backslashreplace") + b"\n"
        if len(data) > MAX_SEND_LINE + 1:
            raise ValueError(f"the message is {len(data) - 1} bytes, over the protocol's 10 MiB line limit")
        with self.lock:
            self._sock.sendall(data)

    def send(self, message: Dict[str, Any]) -> None:
        self.write_line(encode(message))

    def read_line(self) -> Optional[bytes]:
        """The next line without its newline, or None at the end of the stream."""
        line = self._reader.readline(MAX_LINE + 1)
        if not line:
            return None
        if line.endswith(b"\n"):
            return line[:-1]
        if len(line) > MAX_LINE:
            raise LineTooLong("a line from the host exceeds 16 MiB")
        return line  # a last line without its newline

    def close(self) -> None:
        try:  # wakes a reader blocked in recv, and the peer sees the end of the stream
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._reader.close()
        self._sock.close()
