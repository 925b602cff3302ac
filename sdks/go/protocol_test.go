package aspora

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A test binary started with ASPORA_TEST_WORKER=1 is a worker: Serve on its real fd 3.
func TestMain(m *testing.M) {
	if os.Getenv("ASPORA_TEST_WORKER") == "1" {
		Serve(scriptHandler)
	}
	os.Exit(m.Run())
}

type vectorFile struct {
	Protocol int      `json:"protocol"`
	Vectors  []vector `json:"vectors"`
}

type vector struct {
	Name  string `json:"name"`
	Steps []struct {
		Send            map[string]interface{} `json:"send"`
		Expect          map[string]interface{} `json:"expect"`
		MessageContains string                 `json:"messageContains"`
	} `json:"steps"`
	ExitCode *int `json:"exitCode"`
}

func loadVectors(t *testing.T) []vector {
	b, err := os.ReadFile("../protocol-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f vectorFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if f.Protocol != 1 || len(f.Vectors) == 0 {
		t.Fatalf("unexpected vector file: protocol %d, %d vectors", f.Protocol, len(f.Vectors))
	}
	return f.Vectors
}

// host is the test's side of one worker: it sends host messages and reads worker messages.
type host struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
	exit chan int
}

// socketpair returns both ends of a UNIX stream socket as files.
func socketpair(t *testing.T) (hostEnd, workerEnd *os.File) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	// CLOEXEC: a child worker must not inherit the host end too, or it would never see EOF.
	return os.NewFile(uintptr(fds[0]), "host"), os.NewFile(uintptr(fds[1]), "worker")
}

func fileConn(t *testing.T, f *os.File) net.Conn {
	c, err := net.FileConn(f) // dups the fd; a net.Conn has read deadlines
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	return c
}

// startInProcess runs serve on a goroutine over a socketpair.
func startInProcess(t *testing.T, handler Handler) *host {
	h, w := socketpair(t)
	wc := fileConn(t, w)
	exit := make(chan int, 1)
	go func() {
		code := serve(wc, wc, handler)
		wc.Close()
		exit <- code
	}()
	return newHost(t, fileConn(t, h), exit)
}

// startChild runs this test binary as a worker process whose fd 3 is the socket (as the platform does).
func startChild(t *testing.T) *host {
	h, w := socketpair(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ASPORA_TEST_WORKER=1")
	cmd.ExtraFiles = []*os.File{w} // ExtraFiles[0] is fd 3 in the child
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	exit := make(chan int, 1)
	go func() {
		_ = cmd.Wait()
		exit <- cmd.ProcessState.ExitCode()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return newHost(t, fileConn(t, h), exit)
}

func newHost(t *testing.T, c net.Conn, exit chan int) *host {
	t.Cleanup(func() { c.Close() })
	return &host{t: t, conn: c, br: bufio.NewReader(c), exit: exit}
}

func (h *host) send(m interface{}) {
	h.t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.conn.Write(append(b, '\n')); err != nil {
		h.t.Fatal(err)
	}
}

func (h *host) read() map[string]interface{} {
	h.t.Helper()
	_ = h.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := readLine(h.br)
	if err != nil {
		h.t.Fatalf("reading a worker message: %v", err)
	}
	var m map[string]interface{}
	if err := json.Unmarshal(line, &m); err != nil {
		h.t.Fatalf("the worker wrote a line that is not JSON: %q", line)
	}
	return m
}

func (h *host) waitExit() int {
	h.t.Helper()
	select {
	case code := <-h.exit:
		return code
	case <-time.After(10 * time.Second):
		h.t.Fatal("the worker did not exit")
		return -1
	}
}

// subset reports whether every field of want is in got with an equal value (recursively for
// objects; arrays must have the same length and match element by element).
func subset(want, got interface{}) bool {
	switch w := want.(type) {
	case map[string]interface{}:
		g, ok := got.(map[string]interface{})
		if !ok {
			return false
		}
		for k, v := range w {
			gv, present := g[k]
			if !present || !subset(v, gv) {
				return false
			}
		}
		return true
	case []interface{}:
		g, ok := got.([]interface{})
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !subset(w[i], g[i]) {
				return false
			}
		}
		return true
	default:
		return reflect.DeepEqual(want, got)
	}
}

func replay(t *testing.T, v vector, h *host) {
	for i, s := range v.Steps {
		if s.Send != nil {
			h.send(s.Send)
		}
		if s.Expect == nil {
			continue
		}
		got := h.read()
		if !subset(s.Expect, got) {
			want, _ := json.Marshal(s.Expect)
			have, _ := json.Marshal(got)
			t.Fatalf("step %d: expected %s\n got %s", i, want, have)
		}
		if s.MessageContains != "" {
			e, _ := got["error"].(map[string]interface{})
			if msg, _ := e["message"].(string); !strings.Contains(msg, s.MessageContains) {
				t.Fatalf("step %d: error message %q does not contain %q", i, msg, s.MessageContains)
			}
		}
	}
	if v.ExitCode == nil {
		h.conn.Close() // EOF: the worker exits 0 as well
	}
	want := 0
	if v.ExitCode != nil {
		want = *v.ExitCode
	}
	if code := h.waitExit(); code != want {
		t.Fatalf("exit code %d, want %d", code, want)
	}
}

func TestVectorsInProcess(t *testing.T) {
	for _, v := range loadVectors(t) {
		v := v
		t.Run(v.Name, func(t *testing.T) { replay(t, v, startInProcess(t, scriptHandler)) })
	}
}

// Every vector again through a real worker process with the socket on fd 3 (os.NewFile(3)).
func TestVectorsOnFD3(t *testing.T) {
	for _, v := range loadVectors(t) {
		v := v
		t.Run(v.Name, func(t *testing.T) { replay(t, v, startChild(t)) })
	}
}

func TestServeWithoutFD3(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ASPORA_TEST_WORKER=1")
	out, _ := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), "file descriptor 3 is not open") {
		t.Fatalf("exit %d, output %q", cmd.ProcessState.ExitCode(), out)
	}
}

// execute builds an execute message for the script handler.
func execute(exec string, script ...interface{}) map[string]interface{} {
	return map[string]interface{}{"t": "execute", "exec": exec, "context": map[string]interface{}{
		"executionId": exec,
		"input":       map[string]interface{}{"userMessage": "go", "metadata": map[string]interface{}{"script": script}},
		"skill":       map[string]interface{}{"domain": "test", "name": "script", "role": nil, "version": "1.0.0"},
		"secrets":     map[string]interface{}{},
	}}
}

func step(kv ...interface{}) map[string]interface{} {
	m := map[string]interface{}{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func expectMsg(t *testing.T, h *host, want map[string]interface{}) map[string]interface{} {
	t.Helper()
	got := h.read()
	if !subset(want, got) {
		w, _ := json.Marshal(want)
		g, _ := json.Marshal(got)
		t.Fatalf("expected %s\n got %s", w, g)
	}
	return got
}

func TestPanicIsHandlerErrorWithStack(t *testing.T) {
	h := startInProcess(t, scriptHandler)
	h.read() // ready
	h.send(execute("p1", step("panic", "kaput")))
	got := expectMsg(t, h, step("t", "error", "exec", "p1", "error", step("code", "HANDLER_ERROR", "message", "panic: kaput")))
	if stack, _ := got["error"].(map[string]interface{})["stack"].(string); !strings.Contains(stack, "scriptHandler") {
		t.Fatalf("stack does not name the handler: %q", stack)
	}
	// The worker survives a panic: the next execution runs.
	h.send(execute("p2"))
	expectMsg(t, h, step("t", "result", "exec", "p2", "result", step("success", true)))
}

func TestMetricsAndEndings(t *testing.T) {
	cases := []struct {
		handler Handler
		want    map[string]interface{}
	}{
		{func(*SkillContext) (*SkillResult, error) { return nil, nil }, step("t", "error", "error", step("code", "HANDLER_ERROR"))},
		{func(*SkillContext) (*SkillResult, error) {
			return &SkillResult{Success: true, Message: "x", Data: map[string]interface{}{"v": nan()}}, nil
		}, step("t", "error", "error", step("code", "BAD_RESULT"))},
		{func(*SkillContext) (*SkillResult, error) {
			return nil, fmt.Errorf("quote: %w", &Error{Code: "TIMEOUT", Message: "slow"})
		}, step("t", "error", "error", step("code", "TIMEOUT", "message", "quote: TIMEOUT: slow"))},
		{func(c *SkillContext) (*SkillResult, error) {
			return &SkillResult{Success: true, Message: c.ExecutionID + " " + c.Skill.Name, Confidence: 0.5}, nil
		}, step("t", "result", "result", step("message", "m1 script", "confidence", 0.5))},
	}
	for i, c := range cases {
		h := startInProcess(t, c.handler)
		h.read()
		h.send(execute("m1"))
		if got := h.read(); !subset(c.want, got) {
			t.Fatalf("case %d: got %v", i, got)
		}
	}
	h := startInProcess(t, scriptHandler)
	h.read()
	h.send(execute("m2", step("metric", "fraud_score", "value", 0.93)))
	expectMsg(t, h, step("t", "metric", "exec", "m2", "name", "fraud_score", "value", 0.93))
	expectMsg(t, h, step("t", "result", "exec", "m2"))
}

func nan() float64 { z := 0.0; return z / z }

// Calls from several goroutines of one execution: unique increasing ids, each reply reaches its caller.
func TestConcurrentCalls(t *testing.T) {
	const n = 20
	h := startInProcess(t, func(c *SkillContext) (*SkillResult, error) {
		type got struct {
			i int
			v string
		}
		out := make(chan got, n)
		for i := 0; i < n; i++ {
			go func(i int) {
				var v string
				if _, err := c.State.Get(fmt.Sprint("k", i), &v); err != nil {
					v = err.Error()
				}
				c.Log.Info("got", map[string]interface{}{"i": i})
				out <- got{i, v}
			}(i)
		}
		bad := []interface{}{}
		for i := 0; i < n; i++ {
			g := <-out
			if g.v != fmt.Sprint("v", g.i) {
				bad = append(bad, g)
			}
		}
		return &SkillResult{Success: len(bad) == 0, Message: fmt.Sprint(bad)}, nil
	})
	h.read()
	h.send(execute("c1"))
	calls := map[float64]string{}
	last := 0.0
	for len(calls) < n {
		m := h.read()
		if m["t"] != "call" {
			continue // logs of goroutines already answered
		}
		id := m["id"].(float64)
		if id <= last {
			t.Fatalf("call id %v after %v", id, last)
		}
		last = id
		calls[id] = m["args"].(map[string]interface{})["key"].(string)
	}
	for id := float64(n); id >= 1; id-- { // answer in reverse order
		h.send(map[string]interface{}{"t": "return", "id": id, "ok": true, "value": "v" + strings.TrimPrefix(calls[id], "k")})
	}
	for {
		m := h.read()
		if m["t"] == "result" {
			if r := m["result"].(map[string]interface{}); r["success"] != true {
				t.Fatalf("mismatched replies: %v", r["message"])
			}
			break
		}
	}
}

// A call still in flight when the handler returns fails with BAD_REQUEST; its late return is ignored.
func TestCallInFlightAfterEnd(t *testing.T) {
	errc := make(chan error, 1)
	sent := make(chan struct{})
	h := startInProcess(t, func(c *SkillContext) (*SkillResult, error) {
		if c.ExecutionID == "f1" {
			go func() { errc <- c.State.Set("k", 1) }()
			<-sent
		}
		return &SkillResult{Success: true, Message: c.ExecutionID}, nil
	})
	h.read()
	h.send(execute("f1"))
	call := expectMsg(t, h, step("t", "call", "op", "state.set"))
	close(sent)
	expectMsg(t, h, step("t", "result", "exec", "f1"))
	if e, ok := (<-errc).(*Error); !ok || e.Code != "BAD_REQUEST" {
		t.Fatalf("in-flight call error = %v", e)
	}
	h.send(map[string]interface{}{"t": "return", "id": call["id"], "ok": true, "value": nil})
	h.send(execute("f2"))
	expectMsg(t, h, step("t", "result", "exec", "f2"))
}

// Lines far past bufio.Scanner's 64 KiB default arrive whole; a line the host would refuse (over
// 10 MiB) is not sent but fails the execution; one from the host over 16 MiB is a protocol error.
func TestLongLines(t *testing.T) {
	big := strings.Repeat("x", 9<<20)
	h := startInProcess(t, scriptHandler)
	h.read()
	h.send(execute("l1", step("op", "tools.read", "args", step("path", "big.md"))))
	expectMsg(t, h, step("t", "call", "id", 1.0))
	h.send(map[string]interface{}{"t": "return", "id": 1, "ok": true, "value": big})
	got := expectMsg(t, h, step("t", "result"))
	if r := got["result"].(map[string]interface{})["data"].(map[string]interface{})["results"].([]interface{}); r[0] != big {
		t.Fatal("the 9 MiB value did not come back whole")
	}
	bigger := strings.Repeat("x", 12<<20)
	h.send(execute("l2", step("op", "tools.read", "args", step("path", "big.md"))))
	expectMsg(t, h, step("t", "call", "id", 2.0))
	h.send(map[string]interface{}{"t": "return", "id": 2, "ok": true, "value": bigger})
	expectMsg(t, h, step("t", "error", "exec", "l2", "error", step("code", "BAD_RESULT")))
	// The worker stops reading mid-line, so this write may fail with EPIPE: send it aside.
	go func() {
		b, _ := json.Marshal(map[string]interface{}{"t": "return", "id": 99, "ok": true, "value": bigger + bigger})
		_, _ = h.conn.Write(append(b, '\n'))
	}()
	expectMsg(t, h, step("t", "fatal", "error", step("code", "PROTOCOL_ERROR")))
	if code := h.waitExit(); code != 1 {
		t.Fatalf("exit %d after an oversized line", code)
	}
}

// A handler that fires 70 calls at once has at most 64 in flight: the 65th is sent after a return.
func TestAtMost64CallsInFlight(t *testing.T) {
	const n = 70
	h := startInProcess(t, func(ctx *SkillContext) (*SkillResult, error) {
		done := make(chan error, n)
		for i := 0; i < n; i++ {
			go func(i int) {
				_, err := ctx.State.Get(fmt.Sprintf("k%d", i), nil)
				done <- err
			}(i)
		}
		for i := 0; i < n; i++ {
			if err := <-done; err != nil {
				return nil, err
			}
		}
		return &SkillResult{Success: true, Message: "all returned"}, nil
	})
	h.read()
	h.send(execute("q1"))
	ids := make([]interface{}, 0, n)
	for i := 0; i < 64; i++ {
		ids = append(ids, expectMsg(t, h, step("t", "call", "op", "state.get"))["id"])
	}
	if h.br.Buffered() > 0 {
		t.Fatal("a 65th call was sent before any returned")
	}
	_ = h.conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := h.br.ReadByte(); err == nil {
		t.Fatal("a 65th call was sent before any returned")
	}
	for _, id := range ids {
		h.send(map[string]interface{}{"t": "return", "id": id, "ok": true, "value": nil})
	}
	for i := 64; i < n; i++ {
		c := expectMsg(t, h, step("t", "call", "op", "state.get"))
		h.send(map[string]interface{}{"t": "return", "id": c["id"], "ok": true, "value": nil})
	}
	expectMsg(t, h, step("t", "result", "exec", "q1", "result", step("message", "all returned")))
}
