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
	"strconv"
	"strings"
	"syscall"
	"time"

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
