"""print() and sys.stdout/sys.stderr writes during an execution travel as log notifications, so
they are recorded in order with everything else the handler sends and never after its result.
Outside an execution (module import, between executions) they go to the real streams, which the
host also captures; so do writes to the raw file descriptors 1 and 2."""
from __future__ import annotations

import io
import sys
import threading
from typing import Callable, List, Optional, TextIO

MAX_MESSAGE = 64 << 10  # one captured line; the rest is cut (logs are for people)

# (level, line, source) -> whether the line was delivered (False: no execution is running).
Sink = Callable[[str, str, str], bool]


class LogStream(io.TextIOBase):
    def __init__(self, original: TextIO, level: str, source: str, sink: Sink) -> None:
        super().__init__()
        self._original, self._level, self._source, self._sink = original, level, source, sink
        self._buffer = ""
        self._lock = threading.Lock()

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        with self._lock:
            self._buffer += s
            *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            self._emit(line)
        return len(s)

    def _emit(self, line: str) -> None:
        line = line.rstrip("\r")
        if not line.strip():
            return
        if len(line) > MAX_MESSAGE:
            line = line[:MAX_MESSAGE] + "…"
        if not self._sink(self._level, line, self._source):
            self._original.write(line + "\n")
            self._original.flush()

    def drain(self) -> None:
        """Sends a last line that has no newline yet (the execution is ending)."""
        with self._lock:
            rest, self._buffer = self._buffer, ""
        if rest:
            self._emit(rest)

    def flush(self) -> None:
        self._original.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:  # subprocess and faulthandler want the real descriptor
        return self._original.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._original, "encoding", None) or "utf-8"

    @property
    def errors(self) -> Optional[str]:  # type: ignore[override]
        return getattr(self._original, "errors", None)


class CapturedOutput:
    """Replaces sys.stdout and sys.stderr until restore()."""

    def __init__(self, sink: Sink) -> None:
        self._saved = (sys.stdout, sys.stderr)
        self.streams: List[LogStream] = [LogStream(sys.stdout, "info", "stdout", sink), LogStream(sys.stderr, "warn", "stderr", sink)]
        sys.stdout, sys.stderr = self.streams  # type: ignore[assignment]

    def drain(self) -> None:
        for s in self.streams:
            s.drain()

    def restore(self) -> None:
        self.drain()
        sys.stdout, sys.stderr = self._saved
