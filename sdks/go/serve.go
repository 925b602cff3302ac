package aspora

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"
)

// MaxLine is the protocol's limit on one JSON line from the host (16 MiB).
const MaxLine = 16 << 20

// MaxSendLine is the host's limit on one line from the worker (10 MiB): a longer one would make it
// stop the worker, so it is refused here as an error of the one call or result.
const MaxSendLine = 10 << 20

// maxInFlight is how many host calls of one execution may be in flight at once (the host refuses
// more); further calls wait for a slot.
const maxInFlight = 64

// Serve is the worker's main loop: it speaks the runtime protocol on file descriptor 3, runs
// handler for each execute message (one at a time) and exits 0 on shutdown or when the host
// closes the channel. The platform generates `func main() { aspora.Serve(Handler) }`.
func Serve(handler func(*SkillContext) (*SkillResult, error)) {
	ch := os.NewFile(3, "aspora-protocol")
	if _, err := ch.Stat(); err != nil {
		fmt.Fprintln(os.Stderr, "aspora: file descriptor 3 is not open: this program is an Aspora skill worker, started by the platform (run the skill's tests with go test)")
		os.Exit(2)
	}
	os.Exit(serve(ch, ch, handler))
}

// serve runs the protocol over r/w and returns the exit code.
func serve(r io.Reader, w io.Writer, handler Handler) int {
	wk := &worker{w: w, pending: map[int64]chan reply{}, slots: make(chan struct{}, maxInFlight)}
	ready := map[string]interface{}{"t": "ready", "protocol": 1, "language": "go", "pid": os.Getpid()}
	if t := exportedTools(); len(t) > 0 {
		ready["tools"] = t
	}
	if err := wk.write(ready); err != nil {
		return 1
	}
	// Executions run on their own goroutine so this loop keeps reading the returns of their calls.
	execs := make(chan inbound, 8)
	go func() {
		for m := range execs {
			wk.run(handler, m)
		}
	}()
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := readLine(br)
		if err == io.EOF {
			return 0
		}
		if err != nil {
			_ = wk.write(map[string]interface{}{"t": "fatal", "error": &Error{Code: "PROTOCOL_ERROR", Message: err.Error()}})
			return 1
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var m inbound
		if err := json.Unmarshal(line, &m); err != nil {
			fmt.Fprintf(os.Stderr, "aspora: ignoring a line from the host that is not JSON: %v\n", err)
			continue
		}
		switch m.T {
		case "execute":
			execs <- m
		case "return":
			wk.deliver(m)
		case "shutdown":
			return 0
		}
	}
}

var errLineTooLong = errors.New("a line from the host exceeds 16 MiB")

// readLine returns the next line without its newline; a default bufio.Scanner stops at 64 KiB.
func readLine(br *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) > MaxLine+1 {
			return nil, errLineTooLong
		}
		buf = append(buf, chunk...)
		switch {
		case err == nil:
			return buf[:len(buf)-1], nil
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(buf) > 0:
			return buf, nil // a last line without its newline
		default:
			return nil, err
		}
	}
}

// inbound is any host → worker message (fields of the types we read).
type inbound struct {
	T       string `json:"t"`
	Exec    string `json:"exec"`
	Context struct {
		ExecutionID string            `json:"executionId"`
		Input       SkillInput        `json:"input"`
		Skill       SkillInfo         `json:"skill"`
		User        *User             `json:"user"`
		Secrets     map[string]string `json:"secrets"`
	} `json:"context"`
	ID    int64           `json:"id"`
	OK    bool            `json:"ok"`
	Value json.RawMessage `json:"value"`
	Error *Error          `json:"error"`
}

type reply struct {
	value json.RawMessage
	err   error
}

// worker is one end of the protocol. wmu orders everything written (and guards current and
// nextID, so call ids go out in increasing order and nothing of an execution follows its end);
// pmu guards pending, which the reading loop also needs.
type worker struct {
	w       io.Writer
	wmu     sync.Mutex
	current string // the running execution, "" between executions
	nextID  int64

	pmu     sync.Mutex
	pending map[int64]chan reply

	slots chan struct{} // one per call in flight
}

func errEnded() error {
	return &Error{Code: "BAD_REQUEST", Message: "the execution ended before this call returned"}
}

// write sends one message; the caller holds no lock.
func (wk *worker) write(m interface{}) error {
	wk.wmu.Lock()
	defer wk.wmu.Unlock()
	return wk.writeLocked(m)
}

func (wk *worker) writeLocked(m interface{}) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if len(b) > MaxSendLine {
		return fmt.Errorf("the message is %d bytes, over the protocol's 10 MiB line limit", len(b))
	}
	_, err = wk.w.Write(append(b, '\n'))
	return err
}

func (wk *worker) call(exec, op string, args map[string]interface{}) (json.RawMessage, error) {
	if args == nil {
		args = map[string]interface{}{}
	}
	a, err := json.Marshal(args)
	if err != nil {
		return nil, &Error{Code: "BAD_REQUEST", Message: fmt.Sprintf("the arguments of %s cannot be sent: %v", op, err)}
	}
	wk.slots <- struct{}{}
	defer func() { <-wk.slots }()
	ch := make(chan reply, 1)
	wk.wmu.Lock()
	if wk.current != exec {
		wk.wmu.Unlock()
		return nil, errEnded()
	}
	wk.nextID++
	id := wk.nextID
	wk.pmu.Lock()
	wk.pending[id] = ch
	wk.pmu.Unlock()
	err = wk.writeLocked(map[string]interface{}{"t": "call", "id": id, "exec": exec, "op": op, "args": json.RawMessage(a)})
	wk.wmu.Unlock()
	if err != nil {
		wk.pmu.Lock()
		delete(wk.pending, id)
		wk.pmu.Unlock()
		return nil, &Error{Code: "BAD_REQUEST", Message: fmt.Sprintf("%s was not sent: %v", op, err)}
	}
	r := <-ch
	return r.value, r.err
}

// deliver hands a return to the call waiting for it (unknown ids are late answers: ignored).
func (wk *worker) deliver(m inbound) {
	wk.pmu.Lock()
	ch, ok := wk.pending[m.ID]
	delete(wk.pending, m.ID)
	wk.pmu.Unlock()
	if !ok {
		return
	}
	switch {
	case m.OK:
		ch <- reply{value: m.Value}
	case m.Error != nil:
		ch <- reply{err: m.Error}
	default:
		ch <- reply{err: &Error{Code: "INTERNAL", Message: "the host call failed"}}
	}
}

// notify sends a log or metric of exec, dropped once exec has ended.
func (wk *worker) notify(exec string, m map[string]interface{}) {
	wk.wmu.Lock()
	defer wk.wmu.Unlock()
	if wk.current != exec {
		return
	}
	if err := wk.writeLocked(m); err != nil {
		fmt.Fprintf(os.Stderr, "aspora: %s not sent: %v\n", m["t"], err)
	}
}

// run performs one execution and sends its result or error.
func (wk *worker) run(handler Handler, m inbound) {
	exec := m.Exec
	wk.wmu.Lock()
	wk.current = exec
	wk.wmu.Unlock()

	c := m.Context
	id := c.ExecutionID
	if id == "" {
		id = exec
	}
	ctx := NewContext(execHost{wk, exec}, id, c.Skill, c.Input, c.Secrets)
	if c.User != nil && c.User.Email != "" {
		ctx.User = c.User
	}
	res, herr := protect(handler, ctx)

	end := map[string]interface{}{"t": "result", "exec": exec, "result": res}
	if herr != nil {
		end = map[string]interface{}{"t": "error", "exec": exec, "error": herr}
	} else if res == nil {
		end = map[string]interface{}{"t": "error", "exec": exec, "error": handlerError{Code: "HANDLER_ERROR", Message: "the handler returned neither a result nor an error"}}
	}

	// End the execution: no call, log or metric of it is written after this point.
	wk.wmu.Lock()
	wk.current = ""
	wk.pmu.Lock()
	stale := wk.pending
	wk.pending = map[int64]chan reply{}
	wk.pmu.Unlock()
	for _, ch := range stale {
		ch <- reply{err: errEnded()}
	}
	if err := wk.writeLocked(end); err != nil {
		// Typically data that JSON cannot encode (NaN, a channel) or over 10 MiB.
		_ = wk.writeLocked(map[string]interface{}{"t": "error", "exec": exec, "error": handlerError{Code: "BAD_RESULT", Message: "the result cannot be sent: " + err.Error()}})
	}
	wk.wmu.Unlock()
}

// handlerError is the error of an execution that did not end with a result.
type handlerError struct {
	Code    string                 `json:"code"`
	Message string                 `json:"message"`
	Details map[string]interface{} `json:"details,omitempty"`
	Stack   string                 `json:"stack,omitempty"`
}

// protect calls the handler, turning a panic into HANDLER_ERROR and a typed error into its code.
func protect(handler Handler, ctx *SkillContext) (res *SkillResult, herr *handlerError) {
	defer func() {
		if r := recover(); r != nil {
			res, herr = nil, &handlerError{Code: "HANDLER_ERROR", Message: fmt.Sprintf("panic: %v", r), Stack: string(debug.Stack())}
		}
	}()
	res, err := handler(ctx)
	if err == nil {
		return res, nil
	}
	var e *Error
	if errors.As(err, &e) {
		msg := e.Message
		if err != error(e) { // wrapped: keep the handler's context ("quote: PERMISSION_DENIED: …")
			msg = err.Error()
		}
		return nil, &handlerError{Code: e.Code, Message: msg, Details: e.Details}
	}
	return nil, &handlerError{Code: "HANDLER_ERROR", Message: err.Error()}
}

// execHost is the Host of one execution.
type execHost struct {
	wk   *worker
	exec string
}

func (h execHost) Call(op string, args map[string]interface{}) (json.RawMessage, error) {
	return h.wk.call(h.exec, op, args)
}

func (h execHost) Log(level, msg string, fields map[string]interface{}) {
	m := map[string]interface{}{"t": "log", "exec": h.exec, "level": level, "msg": msg}
	if fields != nil {
		m["fields"] = fields
	}
	h.wk.notify(h.exec, m)
}

func (h execHost) Metric(name string, value float64) {
	h.wk.notify(h.exec, map[string]interface{}{"t": "metric", "exec": h.exec, "name": name, "value": value})
}
