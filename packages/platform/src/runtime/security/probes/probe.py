# An escape probe: performs one attempt (input.metadata.step) with Python's own means and reports
# whether it worked. ok: True means the sandbox let it through. Kept in step with probe.ts/probe.go.
import asyncio
import ctypes
import errno
import json
import os
import signal
import socket
import subprocess
import sys

from aspora_sdk import SkillResult, skill_handler


def yes(detail):
    return {"ok": True, "detail": str(detail)[:200]}


def no(e):
    return {"ok": False, "detail": (getattr(e, "code", None) or type(e).__name__ + ": " + str(e))[:200]}


def attempt(fn):
    try:
        return yes(fn())
    except BaseException as e:  # MemoryError too: a refused allocation is a blocked attempt
        return no(e)


async def attempt_async(coro):
    try:
        return yes(await coro)
    except Exception as e:
        return no(e)


def connect(family, address, kind=socket.SOCK_STREAM):
    s = socket.socket(family, kind)
    s.settimeout(1.5)
    try:
        s.connect(address)
        return "connected"
    finally:
        s.close()


def udp(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.sendto(b"x", (host, port))
        return "sent"
    finally:
        s.close()


def procs():
    n = len([p for p in os.listdir("/proc") if p.isdigit()])
    if n < 20:
        raise RuntimeError(f"only {n} processes visible")
    return n


def scan(needle):
    for p in [p for p in os.listdir("/proc") if p.isdigit()]:
        for f in ("environ", "cmdline"):
            try:
                with open(f"/proc/{p}/{f}", "rb") as fh:
                    if needle.encode() in fh.read():
                        return f"found in /proc/{p}/{f}"
            except OSError:
                pass
    if needle in json.dumps(dict(os.environ)):
        return "found in env"
    raise LookupError("not found")


def ptrace(pid):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.ptrace(16, pid, None, None) != 0:  # PTRACE_ATTACH
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return "attached"


def raw_arg(a, keep, kids):
    if isinstance(a, int):
        return ctypes.c_long(a)
    if a.get("child"):
        kids.append(subprocess.Popen(["/bin/sleep", "5"]))
        return ctypes.c_long(kids[-1].pid)
    b = ctypes.create_string_buffer(a["str"].encode()) if "str" in a else ctypes.create_string_buffer(a["buf"])
    for off, size, v in a.get("set", []):
        ctypes.memmove(ctypes.addressof(b) + off, v.to_bytes(size, "little"), size)
    keep.append(b)
    return ctypes.c_void_p(ctypes.addressof(b))


def raw_syscall(s):
    if s.get("abi") == "i386":
        # int 0x80 from mapped code may fault on a CPU or kernel without the i386 ABI: in a child.
        step = {k: v for k, v in s.items() if k != "py"}
        r = subprocess.run([sys.executable, "-c", s["py"], json.dumps(step)], capture_output=True, text=True, timeout=10)
        if r.returncode < 0:
            raise OSError(signal.Signals(-r.returncode).name)
        out = json.loads(r.stdout)
        if not out["ok"]:
            raise OSError(out["detail"])
        return out["detail"]
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    keep, kids = [], []
    try:
        nr = s["nr"] | (0x40000000 if s.get("abi") == "x32" else 0)
        r = libc.syscall(ctypes.c_long(nr), *[raw_arg(a, keep, kids) for a in s.get("args", [])])
        e = ctypes.get_errno()
        if s.get("forks") and r == 0:
            os._exit(0)
        if s.get("forks") and r > 0:
            os.waitpid(r, 0)
    finally:
        for k in kids:
            k.kill()
    if r < 0:
        raise OSError(errno.errorcode.get(e, str(e)))
    return f"returned {r}"


def run(argv):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=5)
    if r.returncode != 0:
        raise RuntimeError(f"exit {r.returncode}: {(r.stderr or r.stdout).strip()}")
    return r.stdout


def forkbomb():
    made = [subprocess.Popen(["/bin/sleep", "30"]) for _ in range(3000)]
    return f"{len(made)} processes"


def membomb():
    a = [bytearray(b"\x01" * (8 << 20)) for _ in range(512)]
    return f"{len(a) * 8} MB"


def diskfill():
    chunk = b"\x07" * (16 << 20)
    for i in range(128):
        with open(f"/scratch/fill{i}", "wb") as f:
            f.write(chunk)
    return "2 GB written"


async def linger(seconds):
    subprocess.Popen(["/bin/sleep", str(seconds)], start_new_session=True)
    await asyncio.Event().wait()


def env(name):
    if name not in os.environ:
        raise KeyError("absent")
    return os.environ[name]


def secret(context, name):
    if name not in context.secrets:
        raise KeyError("absent")
    return context.secrets[name]


def read(path):
    with open(path) as f:
        return f.read()


def write(path):
    with open(path, "w") as f:
        f.write("x")
    return "written"


async def tool(context, op, args):
    if op == "read":
        return await context.tools.read(**args)
    if op == "write":
        return await context.tools.write(**args)
    return json.dumps([m.__dict__ for m in await context.tools.grep(**args)])


async def bash(context, command, timeout_ms=8000):
    r = await context.tools.bash(command=command, timeout_ms=timeout_ms)
    if r.exit_code != 0:
        raise RuntimeError(f"exit {r.exit_code}: {(r.stderr or r.stdout).strip()}")
    return r.stdout


async def probe(context, s):
    d = s["do"]
    if d == "read":
        return attempt(lambda: read(s["path"]))
    if d == "list":
        return attempt(lambda: ",".join(os.listdir(s["path"])))
    if d == "write":
        return attempt(lambda: write(s["path"]))
    if d == "tcp":
        return attempt(lambda: connect(socket.AF_INET, (s["host"], s["port"])))
    if d == "udp":
        return attempt(lambda: udp(s["host"], s["port"]))
    if d == "unix":
        return attempt(lambda: connect(socket.AF_UNIX, s["path"]))
    if d == "abstract":
        return attempt(lambda: connect(socket.AF_UNIX, "\0" + s["name"]))
    if d == "dns":
        return attempt(lambda: socket.getaddrinfo(s["name"], 443))
    if d == "env":
        return attempt(lambda: env(s["name"]))
    if d == "secret":
        return attempt(lambda: secret(context, s["name"]))
    if d == "signal":
        return attempt(lambda: os.kill(s["pid"], 0) or "signalled")
    if d == "ptrace":
        return attempt(lambda: ptrace(s["pid"]))
    if d == "procs":
        return attempt(procs)
    if d == "scan":
        return attempt(lambda: scan(s["needle"]))
    if d == "exec":
        return attempt(lambda: run(s["argv"]))
    if d == "linger":
        return await linger(s["seconds"])
    if d == "forkbomb":
        return attempt(forkbomb)
    if d == "membomb":
        return attempt(membomb)
    if d == "diskfill":
        return attempt(diskfill)
    if d == "tool":
        return await attempt_async(tool(context, s["op"], s["args"]))
    if d == "bash":
        return await attempt_async(bash(context, s["command"], s.get("timeoutMs", 8000)))
    if d == "syscall":
        return attempt(lambda: raw_syscall(s))
    if d == "symlink":
        try:
            os.symlink(s["target"], s["link"])
        except OSError as e:
            return no(e)
        return await probe(context, s["then"])
    return {"ok": False, "detail": f"unknown step {d}"}


@skill_handler
async def handler(context):
    return SkillResult(success=True, message="probed", data=await probe(context, context.input.metadata["step"]))
