package aspora

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"
)

// Tool is a custom tool a skill offers the model. Register it in an init function:
//
//	func init() {
//		aspora.RegisterTool(aspora.Tool{Name: "double", Description: "Doubles x.",
//			Parameters: map[string]interface{}{"type": "object", "properties": map[string]interface{}{"x": map[string]interface{}{"type": "number"}}},
//			Run: func(ctx *aspora.SkillContext, args map[string]interface{}) (interface{}, error) { return map[string]interface{}{"y": 2 * args["x"].(float64)}, nil }})
//	}
//
// When the handler calls ctx.Model.Chat with UseTools, the SDK runs the tools the model asks for,
// here in the sandbox with the skill's own permissions, and returns the model's final answer.
type Tool struct {
	Name        string
	Description string
	// Parameters is the JSON Schema of the arguments object.
	Parameters map[string]interface{}
	Run        func(ctx *SkillContext, args map[string]interface{}) (interface{}, error)
}

// ToolDefinition is a tool as the model sees it.
type ToolDefinition struct {
	Name        string                 `json:"name"`
	Description string                 `json:"description,omitempty"`
	Parameters  map[string]interface{} `json:"parameters,omitempty"`
}

// ToolCall is the model asking for a tool.
type ToolCall struct {
	ID        string                 `json:"id"`
	Name      string                 `json:"name"`
	Arguments map[string]interface{} `json:"arguments"`
}

// MaxToolRounds bounds the tool loop: a model that keeps asking for tools gets BAD_REQUEST.
const MaxToolRounds = 8

var tools = struct {
	sync.Mutex
	byName map[string]Tool
}{byName: map[string]Tool{}}

// RegisterTool adds a custom tool; a duplicate or empty name, or a nil Run, panics (at init).
func RegisterTool(t Tool) {
	tools.Lock()
	defer tools.Unlock()
	if t.Name == "" || t.Run == nil {
		panic("aspora: RegisterTool needs a Name and a Run function")
	}
	if _, dup := tools.byName[t.Name]; dup {
		panic("aspora: tool " + t.Name + " registered twice")
	}
	if t.Parameters == nil {
		t.Parameters = map[string]interface{}{"type": "object", "properties": map[string]interface{}{}}
	}
	tools.byName[t.Name] = t
}

func (t Tool) definition() ToolDefinition {
	return ToolDefinition{Name: t.Name, Description: t.Description, Parameters: t.Parameters}
}

// exportedTools lists the registered tools by name (the ready message carries them).
func exportedTools() []ToolDefinition {
	tools.Lock()
	defer tools.Unlock()
	out := make([]ToolDefinition, 0, len(tools.byName))
	for _, t := range tools.byName {
		out = append(out, t.definition())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func lookupTool(name string) (Tool, bool) {
	tools.Lock()
	defer tools.Unlock()
	t, ok := tools.byName[name]
	return t, ok
}

func (m Model) chatWithTools(req ChatRequest) (*ChatResponse, error) {
	names := req.ToolNames
	if len(names) == 0 {
		for _, d := range exportedTools() {
			names = append(names, d.Name)
		}
	}
	req.Tools = nil
	for _, n := range names {
		t, ok := lookupTool(n)
		if !ok {
			return nil, &Error{Code: "BAD_REQUEST", Message: "model.chat: no tool named " + n + " is registered"}
		}
		req.Tools = append(req.Tools, t.definition())
	}
	req.Messages = append([]ChatMessage(nil), req.Messages...)
	var used Usage // the handler sees what the whole loop used, not just its last call
	for round := 0; round < MaxToolRounds; round++ {
		answer, err := m.chat(req)
		if err != nil {
			return nil, err
		}
		used.PromptTokens += answer.Usage.PromptTokens
		used.CompletionTokens += answer.Usage.CompletionTokens
		used.Cost += answer.Usage.Cost
		if len(answer.ToolCalls) == 0 {
			answer.Usage = used
			return answer, nil
		}
		req.Messages = append(req.Messages, ChatMessage{Role: "assistant", Content: answer.Content, ToolCalls: answer.ToolCalls})
		for _, tc := range answer.ToolCalls {
			req.Messages = append(req.Messages, ChatMessage{Role: "tool", ToolCallID: tc.ID, Content: m.runTool(tc)})
		}
	}
	return nil, &Error{Code: "BAD_REQUEST", Message: fmt.Sprintf("model.chat: the model still asked for tools after %d rounds", MaxToolRounds)}
}

// runTool gives the model the tool's result as compact JSON (a string as it is), or {"error": …}.
func (m Model) runTool(tc ToolCall) string {
	t, ok := lookupTool(tc.Name)
	if !ok {
		return errorJSON("no tool named " + tc.Name)
	}
	args := tc.Arguments
	if args == nil {
		args = map[string]interface{}{}
	}
	v, err := safeRun(t, m.ctx, args)
	if err != nil {
		return errorJSON(err.Error())
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return errorJSON("the tool's result is not JSON: " + err.Error())
	}
	return string(b)
}

func safeRun(t Tool, ctx *SkillContext, args map[string]interface{}) (v interface{}, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the tool panicked: %v", r)
		}
	}()
	return t.Run(ctx, args)
}

func errorJSON(msg string) string {
	b, _ := json.Marshal(map[string]string{"error": msg})
	return string(b)
}
