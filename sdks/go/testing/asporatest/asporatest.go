// Package asporatest gives a Go skill's unit tests a SkillContext that runs without the platform.
// Fakes answer from what the test gives (files, API functions, a model reply, state) and record
// every call, so a test can assert on what the handler did. Values travel through JSON exactly as
// they would on the real protocol: an API fake's numbers reach the handler as float64, and a
// handler that decodes into a struct sees what it would see in production.
//
//	ctx := asporatest.NewContext(asporatest.Options{
//		Input: aspora.SkillInput{UserMessage: "hi", Metadata: map[string]interface{}{"id": "tx_1"}},
//		APIs: map[string]map[string]asporatest.APIFunc{
//			"payments": {"get": func(args map[string]interface{}) (interface{}, error) { return map[string]interface{}{"amount": 5}, nil }},
//		},
//	})
//	res, err := Handler(ctx)
//	calls := asporatest.HostOf(ctx).Calls
package asporatest

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"

	aspora "github.com/aspora/sdk-go"
)

// APIFunc fakes one API method. Return an *aspora.Error to fail with a code; any other error
// becomes INTERNAL, as the platform would report it.
type APIFunc = func(args map[string]interface{}) (interface{}, error)

// Options describe the fake world a handler runs in. Every field is optional.
type Options struct {
	Input aspora.SkillInput
	Skill aspora.SkillInfo // default test/skill 0.0.0
	// User is the end user (ctx.User); nil: none. ID defaults to the Email.
	User    *aspora.User
	Secrets map[string]string
	// Files the handler may read, by the path it reads them with. Relative paths are the bundle's;
	// "./x" and "/skill/x" find "x".
	Files map[string]string
	// SkillDir is the skill's own folder, which a read of a relative path not in Files falls back
	// to. Empty: ASPORA_SKILL_DIR, which aspora test sets; "-": none.
	SkillDir string
	// APIs by api name, then method name. A call without a fake fails with PERMISSION_DENIED.
	APIs map[string]map[string]APIFunc
	// ModelReply is the model's answer to every chat; Model, when set, answers instead.
	ModelReply string
	Model      func(req aspora.ChatRequest) (string, error)
	State      map[string]interface{}
	// Tables are the row tables before the run (ctx.State.Table), by name ("assignments" or
	// "assignments_tab"); a row without an "_id" is given the next one. A table not given is
	// empty, as on the platform. No permissions.sheets_access rule is applied: every row is the
	// handler's.
	Tables map[string][]map[string]interface{}
	// TableErrors fail every call on a table with that error (a PERMISSION_DENIED row rule, say).
	TableErrors map[string]error
	// Invoke answers ctx.Invoke; without it child skills fail with PERMISSION_DENIED.
	Invoke func(skill string, input aspora.SkillInput) (*aspora.SkillResult, error)
}

// Call is one recorded host call, its args as they would be sent (decoded from JSON).
type Call struct {
	Op   string
	Args map[string]interface{}
}

// LogEntry is one recorded log line.
type LogEntry struct {
	Level, Msg string
	Fields     map[string]interface{}
}

// Host is the fake host behind a test context; read its recordings after the handler returns.
type Host struct {
	mu      sync.Mutex
	opts    Options
	Calls   []Call
	Logs    []LogEntry
	Metrics map[string]float64
	Written map[string]string      // tools.write, by path
	State   map[string]interface{} // the state after the handler (starts as Options.State)
	Tables  map[string][]Row       // the row tables after the handler (start as Options.Tables), by name without _tab

	nextID      float64
	tableErrors map[string]error
}

// NewContext returns a context whose effects go to a fake Host. It panics on Options.Tables the
// platform could not hold (a structured cell, two rows with one _id, a name not lowercase): a
// mistake in the test, not in the handler.
func NewContext(opts Options) *aspora.SkillContext {
	h := &Host{opts: opts, Metrics: map[string]float64{}, Written: map[string]string{}, State: map[string]interface{}{}}
	for k, v := range opts.State {
		h.State[k] = v
	}
	h.initTables()
	skill := opts.Skill
	if skill.Name == "" {
		skill = aspora.SkillInfo{Domain: "test", Name: "skill", Version: "0.0.0"}
	}
	ctx := aspora.NewContext(h, "test-execution", skill, opts.Input, opts.Secrets)
	if opts.User != nil {
		u := *opts.User // the handler's copy: a test's Options stay as written
		if u.ID == "" {
			u.ID = u.Email
		}
		ctx.User = &u
	}
	return ctx
}

// HostOf returns the fake host of a context made by NewContext (nil for any other context).
func HostOf(ctx *aspora.SkillContext) *Host {
	h, _ := ctx.Host().(*Host)
	return h
}

// CallsTo returns the recorded calls of one op (e.g. "apis.call").
func (h *Host) CallsTo(op string) []Call {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []Call
	for _, c := range h.Calls {
		if c.Op == op {
			out = append(out, c)
		}
	}
	return out
}

func denied(format string, a ...interface{}) error {
	return &aspora.Error{Code: "PERMISSION_DENIED", Message: "test context: " + fmt.Sprintf(format, a...)}
}

// Call implements aspora.Host: records the call and answers it from Options.
func (h *Host) Call(op string, args map[string]interface{}) (json.RawMessage, error) {
	a, err := roundTrip(args)
	if err != nil {
		return nil, &aspora.Error{Code: "BAD_REQUEST", Message: fmt.Sprintf("test context: the arguments of %s are not JSON: %v", op, err)}
	}
	h.mu.Lock()
	h.Calls = append(h.Calls, Call{Op: op, Args: a})
	h.mu.Unlock()
	v, err := h.answer(op, a)
	if err != nil {
		if _, typed := err.(*aspora.Error); !typed {
			err = &aspora.Error{Code: "INTERNAL", Message: err.Error()}
		}
		return nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, &aspora.Error{Code: "INTERNAL", Message: fmt.Sprintf("test context: the fake's value for %s is not JSON: %v", op, err)}
	}
	return b, nil
}

func (h *Host) answer(op string, a map[string]interface{}) (interface{}, error) {
	str := func(k string) string { s, _ := a[k].(string); return s }
	switch op {
	case "tools.read":
		p := str("path")
		h.mu.Lock()
		w, written := h.Written[p]
		h.mu.Unlock()
		if text, ok := h.file(p); ok {
			return text, nil
		}
		if written {
			return w, nil
		}
		if text, ok, err := h.ownFile(p); ok || err != nil {
			return text, err
		}
		return nil, &aspora.Error{Code: "NOT_FOUND", Message: fmt.Sprintf("test context: no file %s (give it in Options.Files, or run the tests with aspora test, which lets reads reach the skill's own files)", p)}
	case "tools.write":
		h.mu.Lock()
		h.Written[str("path")] = str("content")
		h.mu.Unlock()
		return nil, nil
	case "tools.grep":
		return h.grep(str("pattern"), str("path"))
	case "tools.bash":
		return map[string]interface{}{"stdout": "", "stderr": "", "exitCode": 0}, nil
	case "tools.webFetch":
		return nil, denied("no network")
	case "apis.call":
		fn := h.opts.APIs[str("api")][str("method")]
		if fn == nil {
			return nil, denied("no fake for apis %s.%s (give it in Options.APIs)", str("api"), str("method"))
		}
		args, _ := a["args"].(map[string]interface{})
		return fn(args)
	case "model.chat":
		var req aspora.ChatRequest
		if err := remarshal(a, &req); err != nil {
			return nil, err
		}
		content := h.opts.ModelReply
		if h.opts.Model != nil {
			var err error
			if content, err = h.opts.Model(req); err != nil {
				return nil, err
			}
		}
		return aspora.ChatResponse{Content: content, Model: "test-model"}, nil
	case "state.get":
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.State[str("key")], nil
	case "state.set":
		h.mu.Lock()
		defer h.mu.Unlock()
		h.State[str("key")] = a["value"]
		return nil, nil
	case "state.select", "state.insert", "state.update", "state.delete":
		h.mu.Lock()
		defer h.mu.Unlock()
		v, err := h.tableOp(op, a)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(v) // under the lock: the rows are the store's own maps
		return json.RawMessage(b), err
	case "invoke":
		if h.opts.Invoke == nil {
			return nil, denied("no fake for invoke(%s) (give Options.Invoke)", str("skill"))
		}
		var in aspora.SkillInput
		if err := remarshal(a["input"], &in); err != nil {
			return nil, err
		}
		return h.opts.Invoke(str("skill"), in)
	}
	return nil, &aspora.Error{Code: "BAD_REQUEST", Message: "test context: unknown host call " + op}
}

func norm(p string) string { return strings.TrimPrefix(strings.TrimPrefix(p, "/skill/"), "./") }

func (h *Host) file(p string) (string, bool) {
	if t, ok := h.opts.Files[p]; ok {
		return t, true
	}
	t, ok := h.opts.Files[norm(p)]
	return t, ok
}

// maxReadBytes is the most the platform's Read answers.
const maxReadBytes = 8 << 20

// ownFile reads a file of the skill's own bundle: a relative path without "..", a regular file,
// not a link.
func (h *Host) ownFile(p string) (string, bool, error) {
	dir := h.opts.SkillDir
	if dir == "" {
		dir = os.Getenv("ASPORA_SKILL_DIR")
	}
	rel := norm(p)
	if dir == "" || dir == "-" || rel == "" || filepath.IsAbs(rel) {
		return "", false, nil
	}
	for _, part := range strings.FieldsFunc(rel, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == ".." {
			return "", false, nil
		}
	}
	f, err := os.OpenFile(filepath.Join(dir, rel), os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return "", false, nil
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return "", false, nil
	}
	if st.Size() > maxReadBytes {
		return "", false, &aspora.Error{Code: "PAYLOAD_TOO_LARGE", Message: fmt.Sprintf("test context: %s is over %d bytes, the most Read answers", p, maxReadBytes)}
	}
	b, err := io.ReadAll(io.LimitReader(f, maxReadBytes))
	if err != nil {
		return "", false, nil
	}
	return string(b), true, nil
}

func (h *Host) grep(pattern, under string) ([]aspora.GrepMatch, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, &aspora.Error{Code: "BAD_REQUEST", Message: err.Error()}
	}
	paths := make([]string, 0, len(h.opts.Files))
	for p := range h.opts.Files {
		if under == "" || strings.HasPrefix(norm(p), norm(under)) {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths) // map order is random; matches come in a stable order
	out := []aspora.GrepMatch{}
	for _, p := range paths {
		for i, line := range strings.Split(h.opts.Files[p], "\n") {
			if re.MatchString(line) {
				out = append(out, aspora.GrepMatch{Path: p, Line: i + 1, Text: line})
			}
		}
	}
	return out, nil
}

// Log implements aspora.Host.
func (h *Host) Log(level, msg string, fields map[string]interface{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.Logs = append(h.Logs, LogEntry{Level: level, Msg: msg, Fields: fields})
}

// Metric implements aspora.Host.
func (h *Host) Metric(name string, value float64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.Metrics[name] = value
}

// roundTrip gives args the shape they have after crossing the protocol.
func roundTrip(args map[string]interface{}) (map[string]interface{}, error) {
	out := map[string]interface{}{}
	return out, remarshal(args, &out)
}

func remarshal(in, out interface{}) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}
