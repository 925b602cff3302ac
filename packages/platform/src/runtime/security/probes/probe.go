// An escape probe: performs one attempt (input.metadata.step) with Go's own means and reports
// whether it worked. ok: true means the sandbox let it through. Kept in step with probe.ts/probe.py.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	aspora "github.com/aspora/sdk-go"
)

type outcome map[string]interface{}

func yes(detail interface{}) outcome {
	s := fmt.Sprint(detail)
	if len(s) > 200 {
		s = s[:200]
	}
	return outcome{"ok": true, "detail": s}
}

func no(err error) outcome {
	s := err.Error()
	var e *aspora.Error
	if errors.As(err, &e) {
		s = e.Code
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return outcome{"ok": false, "detail": s}
}

func attempt(fn func() (interface{}, error)) outcome {
	v, err := fn()
	if err != nil {
		return no(err)
	}
	return yes(v)
}

func str(s map[string]interface{}, k string) string { v, _ := s[k].(string); return v }
func num(s map[string]interface{}, k string) int   { v, _ := s[k].(float64); return int(v) }

func dial(network, addr string) (interface{}, error) {
	c, err := net.DialTimeout(network, addr, 1500*time.Millisecond)
	if err != nil {
		return nil, err
	}
	c.Close()
	return "connected", nil
}

func pids() []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, e.Name())
		}
	}
	return out
}

func run(argv []string) (interface{}, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%v: %s", err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

// rawArg turns a step's argument into a syscall word: an integer, a NUL-ended string, a buffer with
// some fields set, or the pid of a fresh child (appended to kids).
func rawArg(a interface{}, keep *[][]byte, kids *[]*exec.Cmd) uintptr {
	switch v := a.(type) {
	case float64:
		return uintptr(int64(v))
	case map[string]interface{}:
		if v["child"] == true {
			c := exec.Command("/bin/sleep", "5")
			_ = c.Start()
			*kids = append(*kids, c)
			if c.Process == nil {
				return 0
			}
			return uintptr(c.Process.Pid)
		}
		var b []byte
		if str, ok := v["str"].(string); ok {
			b = append([]byte(str), 0)
		} else {
			b = make([]byte, int(v["buf"].(float64)))
			sets, _ := v["set"].([]interface{})
			for _, f := range sets {
				t := f.([]interface{})
				off, size, val := int(t[0].(float64)), int(t[1].(float64)), uint64(t[2].(float64))
				for i := 0; i < size; i++ {
					b[off+i] = byte(val >> (8 * i))
				}
			}
		}
		*keep = append(*keep, b)
		return uintptr(unsafe.Pointer(&b[0]))
	}
	return 0
}

// rawSyscall makes the step's call with syscall.RawSyscall6. A clone's child exits at once.
func rawSyscall(s map[string]interface{}) (interface{}, error) {
	if str(s, "abi") == "i386" {
		// Go has no int 0x80: python3 runs it from mapped code, in a child that may fault.
		step := map[string]interface{}{}
		for k, v := range s {
			if k != "py" {
				step[k] = v
			}
		}
		j, _ := json.Marshal(step)
		out, err := exec.Command("/usr/bin/python3", "-c", str(s, "py"), string(j)).Output()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return nil, fmt.Errorf("%s", map[syscall.Signal]string{syscall.SIGSEGV: "SIGSEGV", syscall.SIGILL: "SIGILL", syscall.SIGBUS: "SIGBUS"}[ws.Signal()])
			}
		}
		var r struct {
			Ok     bool   `json:"ok"`
			Detail string `json:"detail"`
		}
		if jerr := json.Unmarshal(out, &r); jerr != nil {
			return nil, fmt.Errorf("%v %v", err, jerr)
		}
		if !r.Ok {
			return nil, errors.New(r.Detail)
		}
		return r.Detail, nil
	}
	var keep [][]byte
	var kids []*exec.Cmd
	defer func() {
		for _, k := range kids {
			if k.Process != nil {
				_ = k.Process.Kill()
				_ = k.Wait()
			}
		}
	}()
	var a [6]uintptr
	args, _ := s["args"].([]interface{})
	for i, x := range args {
		a[i] = rawArg(x, &keep, &kids)
	}
	nr := uintptr(num(s, "nr"))
	if str(s, "abi") == "x32" {
		nr |= 0x40000000
	}
	forks := s["forks"] == true
	r1, _, e := syscall.RawSyscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
	if forks && e == 0 {
		if r1 == 0 { // the child: a copy of this one thread, nothing of the Go runtime to run on
			syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
		}
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(int(r1), &ws, syscall.WALL, nil)
	}
	runtime.KeepAlive(keep)
	if e != 0 {
		return nil, errors.New(errnoName(e))
	}
	return fmt.Sprintf("returned %d", r1), nil
}

func errnoName(e syscall.Errno) string {
	names := map[syscall.Errno]string{syscall.EPERM: "EPERM", syscall.ENOSYS: "ENOSYS", syscall.EAFNOSUPPORT: "EAFNOSUPPORT", syscall.EACCES: "EACCES", syscall.EINVAL: "EINVAL", syscall.ENOSPC: "ENOSPC"}
	if n, ok := names[e]; ok {
		return n
	}
	return e.Error()
}

func probe(ctx *aspora.SkillContext, s map[string]interface{}) outcome {
	switch str(s, "do") {
	case "read":
		return attempt(func() (interface{}, error) { b, err := os.ReadFile(str(s, "path")); return string(b), err })
	case "list":
		return attempt(func() (interface{}, error) {
			e, err := os.ReadDir(str(s, "path"))
			return len(e), err
		})
	case "write":
		return attempt(func() (interface{}, error) { return "written", os.WriteFile(str(s, "path"), []byte("x"), 0o644) })
	case "tcp":
		return attempt(func() (interface{}, error) { return dial("tcp", net.JoinHostPort(str(s, "host"), strconv.Itoa(num(s, "port")))) })
	case "udp":
		return attempt(func() (interface{}, error) {
			c, err := net.Dial("udp", net.JoinHostPort(str(s, "host"), strconv.Itoa(num(s, "port"))))
			if err != nil {
				return nil, err
			}
			defer c.Close()
			_, err = c.Write([]byte("x"))
			return "sent", err
		})
	case "unix":
		return attempt(func() (interface{}, error) { return dial("unix", str(s, "path")) })
	case "abstract":
		return attempt(func() (interface{}, error) { return dial("unix", "@"+str(s, "name")) })
	case "dns":
		return attempt(func() (interface{}, error) { return net.LookupHost(str(s, "name")) })
	case "env":
		return attempt(func() (interface{}, error) {
			if v, ok := os.LookupEnv(str(s, "name")); ok {
				return v, nil
			}
			return nil, errors.New("absent")
		})
	case "secret":
		return attempt(func() (interface{}, error) {
			if v, ok := ctx.Secrets[str(s, "name")]; ok {
				return v, nil
			}
			return nil, errors.New("absent")
		})
	case "signal":
		return attempt(func() (interface{}, error) { return "signalled", syscall.Kill(num(s, "pid"), 0) })
	case "ptrace":
		return attempt(func() (interface{}, error) { return "attached", syscall.PtraceAttach(num(s, "pid")) })
	case "procs":
		return attempt(func() (interface{}, error) {
			if n := len(pids()); n >= 20 {
				return n, nil
			}
			return nil, fmt.Errorf("only %d processes visible", len(pids()))
		})
	case "scan":
		return attempt(func() (interface{}, error) {
			needle := []byte(str(s, "needle"))
			for _, p := range pids() {
				for _, f := range []string{"environ", "cmdline"} {
					if b, err := os.ReadFile("/proc/" + p + "/" + f); err == nil && bytes.Contains(b, needle) {
						return "found in /proc/" + p + "/" + f, nil
					}
				}
			}
			if strings.Contains(strings.Join(os.Environ(), "\n"), string(needle)) {
				return "found in env", nil
			}
			return nil, errors.New("not found")
		})
	case "exec":
		var argv []string
		for _, a := range s["argv"].([]interface{}) {
			argv = append(argv, a.(string))
		}
		return attempt(func() (interface{}, error) { return run(argv) })
	case "linger":
		cmd := exec.Command("/bin/sleep", strconv.Itoa(num(s, "seconds")))
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		_ = cmd.Start()
		select {}
	case "forkbomb":
		return attempt(func() (interface{}, error) {
			for i := 0; i < 3000; i++ {
				if err := exec.Command("/bin/sleep", "30").Start(); err != nil {
					return nil, fmt.Errorf("after %d: %w", i, err)
				}
			}
			return "3000 processes", nil
		})
	case "membomb":
		return attempt(func() (interface{}, error) {
			var keep [][]byte
			for i := 0; i < 512; i++ {
				b := make([]byte, 8<<20)
				for j := range b {
					b[j] = 1
				}
				keep = append(keep, b)
			}
			return fmt.Sprintf("%d MB", len(keep)*8), nil
		})
	case "diskfill":
		return attempt(func() (interface{}, error) {
			chunk := bytes.Repeat([]byte{7}, 16<<20)
			for i := 0; i < 128; i++ {
				if err := os.WriteFile(fmt.Sprintf("/scratch/fill%d", i), chunk, 0o644); err != nil {
					return nil, err
				}
			}
			return "2 GB written", nil
		})
	case "tool":
		args, _ := s["args"].(map[string]interface{})
		return attempt(func() (interface{}, error) {
			switch str(s, "op") {
			case "read":
				return ctx.Tools.Read(str(args, "path"))
			case "write":
				return nil, ctx.Tools.Write(str(args, "path"), str(args, "content"))
			default:
				m, err := ctx.Tools.Grep(str(args, "pattern"), str(args, "path"))
				b, _ := json.Marshal(m)
				return string(b), err
			}
		})
	case "bash":
		return attempt(func() (interface{}, error) {
			ms := num(s, "timeoutMs")
			if ms == 0 {
				ms = 8000
			}
			r, err := ctx.Tools.Bash(str(s, "command"), time.Duration(ms)*time.Millisecond)
			if err != nil {
				return nil, err
			}
			if r.ExitCode != 0 {
				return nil, fmt.Errorf("exit %d: %s", r.ExitCode, strings.TrimSpace(r.Stderr+r.Stdout))
			}
			return r.Stdout, nil
		})
	case "syscall":
		return attempt(func() (interface{}, error) { return rawSyscall(s) })
	case "symlink":
		if err := os.Symlink(str(s, "target"), str(s, "link")); err != nil {
			return no(err)
		}
		then, _ := s["then"].(map[string]interface{})
		return probe(ctx, then)
	}
	return outcome{"ok": false, "detail": "unknown step " + str(s, "do")}
}

// Handler runs the one step it is given.
func Handler(ctx *aspora.SkillContext) (*aspora.SkillResult, error) {
	step, _ := ctx.Input.Metadata["step"].(map[string]interface{})
	return &aspora.SkillResult{Success: true, Message: "probed", Data: probe(ctx, step)}, nil
}
