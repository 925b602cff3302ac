package aspora

import (
	"encoding/json"
	"fmt"
	"time"
)

// Host carries out a context's effects: Serve connects it to the platform over fd 3, and
// asporatest provides a fake. Skills use SkillContext's typed methods instead.
type Host interface {
	// Call performs one host call (op and args as in docs/runtime-protocol.md) and returns its
	// JSON value, or an *Error when the host refused or failed it.
	Call(op string, args map[string]interface{}) (json.RawMessage, error)
	Log(level, msg string, fields map[string]interface{})
	Metric(name string, value float64)
}

// SkillContext is everything a handler may use. Its methods are safe to call from several
// goroutines during one execution; they fail with BAD_REQUEST once the execution has ended.
type SkillContext struct {
	Input       SkillInput
	ExecutionID string
	Skill       SkillInfo
	// User is the end user, or nil when there is none (a service or a schedule runs the skill).
	User *User
	// Secrets holds only the secrets the skill declares (permissions.secrets) that the vault has.
	Secrets map[string]string
	Tools   Tools
	APIs    APIs
	Model   Model
	State   State
	Metrics Metrics
	Log     Logger

	host Host
}

// NewContext builds a context whose effects go to host. Serve and asporatest call it; a handler
// never needs to.
func NewContext(host Host, executionID string, skill SkillInfo, input SkillInput, secrets map[string]string) *SkillContext {
	if input.Metadata == nil {
		input.Metadata = map[string]interface{}{}
	}
	s := make(map[string]string, len(secrets))
	for k, v := range secrets {
		s[k] = v
	}
	c := &SkillContext{
		Input: input, ExecutionID: executionID, Skill: skill, Secrets: s,
		Tools: Tools{host}, APIs: APIs{host}, State: State{host}, Metrics: Metrics{host}, Log: Logger{host},
		host: host,
	}
	c.Model = Model{h: host, ctx: c}
	return c
}

// Host returns the host the context's calls go to (asporatest uses it to reach its recordings).
func (c *SkillContext) Host() Host { return c.host }

// Invoke runs another skill as a child execution and returns its result.
func (c *SkillContext) Invoke(skill string, input SkillInput) (*SkillResult, error) {
	if input.Metadata == nil {
		input.Metadata = map[string]interface{}{}
	}
	var out SkillResult
	if err := call(c.host, "invoke", map[string]interface{}{"skill": skill, "input": input}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// call performs op and decodes its value into out (nil: discard).
func call(h Host, op string, args map[string]interface{}, out interface{}) error {
	if h == nil {
		return &Error{Code: "UNAVAILABLE", Message: "this SkillContext has no host (build it with aspora.Serve or asporatest.NewContext)"}
	}
	raw, err := h.Call(op, args)
	if err != nil {
		return err
	}
	if out == nil || len(raw) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("aspora: the value of %s does not fit %T: %w", op, out, err)
	}
	return nil
}

// Tools are the file and process tools the skill's permissions.tools allow. Relative paths are
// the skill's bundle (DECISIONS.md), shared resources are under /shared/, scratch space is /scratch.
type Tools struct{ h Host }

// GrepMatch is one line that matched.
type GrepMatch struct {
	Path string `json:"path"`
	Line int    `json:"line"`
	Text string `json:"text"`
}

// BashResult is a finished command.
type BashResult struct {
	Stdout   string `json:"stdout"`
	Stderr   string `json:"stderr"`
	ExitCode int    `json:"exitCode"`
}

// FetchRequest is an HTTP request made by the host on the skill's behalf (permissions.urls).
type FetchRequest struct {
	URL     string            `json:"url"`
	Method  string            `json:"method,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
}

// FetchResponse is the answer to a FetchRequest.
type FetchResponse struct {
	Status int    `json:"status"`
	Body   string `json:"body"`
}

// Read returns a file's text.
func (t Tools) Read(path string) (string, error) {
	var s string
	err := call(t.h, "tools.read", map[string]interface{}{"path": path}, &s)
	return s, err
}

// Write replaces a file's text (a path the skill may write, e.g. under /scratch).
func (t Tools) Write(path, content string) error {
	return call(t.h, "tools.write", map[string]interface{}{"path": path, "content": content}, nil)
}

// Grep searches for a regular expression under path ("" = the whole bundle).
func (t Tools) Grep(pattern, path string) ([]GrepMatch, error) {
	args := map[string]interface{}{"pattern": pattern}
	if path != "" {
		args["path"] = path
	}
	var out []GrepMatch
	err := call(t.h, "tools.grep", args, &out)
	return out, err
}

// Bash runs a shell command in the sandbox; timeout 0 means the host's default.
func (t Tools) Bash(command string, timeout time.Duration) (*BashResult, error) {
	args := map[string]interface{}{"command": command}
	if timeout > 0 {
		args["timeoutMs"] = timeout.Milliseconds()
	}
	var out BashResult
	if err := call(t.h, "tools.bash", args, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// WebFetch makes an HTTP request through the host.
func (t Tools) WebFetch(req FetchRequest) (*FetchResponse, error) {
	var out FetchResponse
	if err := call(t.h, "tools.webFetch", structArgs(req), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// APIs reaches the platform APIs declared in aspora.platform.yaml and allowed by permissions.apis.
type APIs struct{ h Host }

// Call calls api.method(args) and decodes what it returned into out (a pointer, or nil to discard).
func (a APIs) Call(api, method string, args map[string]interface{}, out interface{}) error {
	if args == nil {
		args = map[string]interface{}{}
	}
	return call(a.h, "apis.call", map[string]interface{}{"api": api, "method": method, "args": args}, out)
}

// ChatMessage is one message of a conversation; Role is system, user, assistant or tool.
type ChatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
	// ToolCalls: on an assistant message that asked for tools.
	ToolCalls []ToolCall `json:"toolCalls,omitempty"`
	// ToolCallID: on a tool message, the call it answers.
	ToolCallID string `json:"toolCallId,omitempty"`
}

// ChatRequest asks the model gateway; empty fields take the skill's configured defaults.
type ChatRequest struct {
	Messages    []ChatMessage `json:"messages"`
	Model       string        `json:"model,omitempty"`
	Temperature *float64      `json:"temperature,omitempty"` // a pointer: 0 is a real temperature
	MaxTokens   int           `json:"maxTokens,omitempty"`
	// TaskType is classification, routing, skill_execution or complex_reasoning.
	TaskType string `json:"taskType,omitempty"`
	// Tools offered as definitions: passed through, and the answer may carry ToolCalls.
	Tools []ToolDefinition `json:"tools,omitempty"`
	// UseTools offers every tool registered with RegisterTool (or only ToolNames) and runs the
	// tool loop: Chat returns the model's final answer.
	UseTools  bool     `json:"-"`
	ToolNames []string `json:"-"`
}

// Usage is what a model call consumed.
type Usage struct {
	PromptTokens     int     `json:"promptTokens"`
	CompletionTokens int     `json:"completionTokens"`
	Cost             float64 `json:"cost"`
}

// ChatResponse is the model's answer.
type ChatResponse struct {
	Content      string     `json:"content"`
	Model        string     `json:"model"`
	Usage        Usage      `json:"usage"`
	ToolCalls    []ToolCall `json:"toolCalls,omitempty"`
	FinishReason string     `json:"finishReason,omitempty"`
}

// Model is the platform's model gateway (metered against the skill's cost budget).
type Model struct {
	h   Host
	ctx *SkillContext
}

// Chat sends a conversation to the model.
func (m Model) Chat(req ChatRequest) (*ChatResponse, error) {
	if req.UseTools || len(req.ToolNames) > 0 {
		return m.chatWithTools(req)
	}
	return m.chat(req)
}

func (m Model) chat(req ChatRequest) (*ChatResponse, error) {
	var out ChatResponse
	if err := call(m.h, "model.chat", structArgs(req), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// State is the skill's own key-value store, kept across executions.
type State struct{ h Host }

// Get decodes the value of key into out (a pointer, or nil) and reports whether the key was set.
func (s State) Get(key string, out interface{}) (bool, error) {
	var raw json.RawMessage
	if err := call(s.h, "state.get", map[string]interface{}{"key": key}, &raw); err != nil {
		return false, err
	}
	if len(raw) == 0 || string(raw) == "null" {
		return false, nil
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return true, fmt.Errorf("aspora: state %q does not fit %T: %w", key, out, err)
		}
	}
	return true, nil
}

// Set stores value (anything JSON can encode) under key.
func (s State) Set(key string, value interface{}) error {
	return call(s.h, "state.set", map[string]interface{}{"key": key, "value": value}, nil)
}

// Metrics reports the skill's custom metrics (monitoring.custom_metrics).
type Metrics struct{ h Host }

// Set records a metric value for this execution.
func (m Metrics) Set(name string, value float64) {
	if m.h != nil {
		m.h.Metric(name, value)
	}
}

// Logger writes execution logs (fields may be nil).
type Logger struct{ h Host }

func (l Logger) log(level, msg string, fields map[string]interface{}) {
	if l.h != nil {
		l.h.Log(level, msg, fields)
	}
}

func (l Logger) Debug(msg string, fields map[string]interface{}) { l.log("debug", msg, fields) }
func (l Logger) Info(msg string, fields map[string]interface{})  { l.log("info", msg, fields) }
func (l Logger) Warn(msg string, fields map[string]interface{})  { l.log("warn", msg, fields) }
func (l Logger) Error(msg string, fields map[string]interface{}) { l.log("error", msg, fields) }

// structArgs turns a request struct into call args through its JSON form (so omitempty applies).
func structArgs(v interface{}) map[string]interface{} {
	b, _ := json.Marshal(v) // the request types always encode
	var m map[string]interface{}
	_ = json.Unmarshal(b, &m)
	return m
}
