package aspora

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The script handler exports one custom tool, as the vectors expect.
func init() {
	RegisterTool(Tool{
		Name:        "double",
		Description: "Doubles x.",
		Parameters:  map[string]interface{}{"type": "object", "properties": map[string]interface{}{"x": map[string]interface{}{"type": "number"}}, "required": []interface{}{"x"}},
		Run: func(_ *SkillContext, args map[string]interface{}) (interface{}, error) {
			x, _ := args["x"].(float64)
			return map[string]interface{}{"y": 2 * x}, nil
		},
	})
}

// scriptHandler is the protocol doc's "script handler": it performs the steps listed in
// input.metadata.script and returns what each gave. Ops go through the typed SkillContext methods
// where there is one, so the vectors exercise the public API and not only the wire.
func scriptHandler(ctx *SkillContext) (*SkillResult, error) {
	steps, _ := ctx.Input.Metadata["script"].([]interface{})
	results := []interface{}{}
	for _, s := range steps {
		step, _ := s.(map[string]interface{})
		switch {
		case step["op"] != nil:
			args, _ := step["args"].(map[string]interface{})
			v, err := scriptOp(ctx, step["op"].(string), args)
			if err != nil {
				var e *Error
				if step["uncaught"] == true || !errors.As(err, &e) {
					return nil, err
				}
				v = map[string]interface{}{"error": e.Code}
			}
			results = append(results, v)
		case step["log"] != nil:
			fields, _ := step["fields"].(map[string]interface{})
			msg, _ := step["msg"].(string)
			level := step["log"].(string)
			map[string]func(string, map[string]interface{}){"debug": ctx.Log.Debug, "info": ctx.Log.Info, "warn": ctx.Log.Warn, "error": ctx.Log.Error}[level](msg, fields)
			results = append(results, nil)
		case step["raise"] != nil:
			return nil, errors.New(step["raise"].(string))
		case step["echo"] != nil:
			results = append(results, echo(ctx, step["echo"].(string)))
		case step["chatWithTools"] != nil:
			var req ChatRequest
			b, _ := json.Marshal(step["chatWithTools"])
			if err := json.Unmarshal(b, &req); err != nil {
				return nil, err
			}
			req.UseTools = true
			v, err := ctx.Model.Chat(req)
			if err != nil {
				return nil, err
			}
			results = append(results, v)
		case step["panic"] != nil: // not in the shared vectors: Go-specific tests
			panic(step["panic"])
		case step["metric"] != nil:
			ctx.Metrics.Set(step["metric"].(string), step["value"].(float64))
			results = append(results, nil)
		}
	}
	return &SkillResult{Success: true, Message: "ok", Data: map[string]interface{}{"results": results}}, nil
}

func scriptOp(ctx *SkillContext, op string, a map[string]interface{}) (interface{}, error) {
	str := func(k string) string { s, _ := a[k].(string); return s }
	switch op {
	case "tools.read":
		return ctx.Tools.Read(str("path"))
	case "tools.write":
		return nil, ctx.Tools.Write(str("path"), str("content"))
	case "tools.grep":
		return ctx.Tools.Grep(str("pattern"), str("path"))
	case "tools.bash":
		ms, _ := a["timeoutMs"].(float64)
		return ctx.Tools.Bash(str("command"), time.Duration(ms)*time.Millisecond)
	case "apis.call":
		args, _ := a["args"].(map[string]interface{})
		var out interface{}
		err := ctx.APIs.Call(str("api"), str("method"), args, &out)
		return out, err
	case "model.chat":
		var req ChatRequest
		b, _ := json.Marshal(a)
		if err := json.Unmarshal(b, &req); err != nil {
			return nil, err
		}
		return ctx.Model.Chat(req)
	case "state.get":
		var out interface{}
		_, err := ctx.State.Get(str("key"), &out)
		return out, err
	case "state.set":
		return nil, ctx.State.Set(str("key"), a["value"])
	case "state.select":
		where, _ := a["where"].(map[string]interface{})
		limit, _ := a["limit"].(float64)
		desc, _ := a["desc"].(bool)
		var opts *SelectOptions
		if a["limit"] != nil || a["orderBy"] != nil || a["desc"] != nil {
			opts = &SelectOptions{Limit: int(limit), OrderBy: str("orderBy"), Desc: desc}
		}
		var out interface{}
		err := ctx.State.Table(str("table")).Select(where, opts, &out)
		return out, err
	case "state.insert":
		var out interface{}
		err := ctx.State.Table(str("table")).Insert(a["rows"], &out)
		return out, err
	case "state.update":
		where, _ := a["where"].(map[string]interface{})
		set, _ := a["set"].(map[string]interface{})
		return ctx.State.Table(str("table")).Update(where, set)
	case "state.delete":
		where, _ := a["where"].(map[string]interface{})
		return ctx.State.Table(str("table")).Delete(where)
	default: // ops without a typed method (tools.custom, invoke with raw input): the raw call
		var out interface{}
		err := call(ctx.Host(), op, a, &out)
		return out, err
	}
}

// echo returns "secrets.X", "input.X", "skill.X" or "user.X" of the context (by JSON name; nil without a user).
func echo(ctx *SkillContext, path string) interface{} {
	i := strings.IndexByte(path, '.')
	if i < 0 {
		return nil
	}
	scope, key := path[:i], path[i+1:]
	var src interface{}
	switch scope {
	case "secrets":
		return ctx.Secrets[key]
	case "input":
		src = ctx.Input
	case "skill":
		src = ctx.Skill
	case "user":
		if ctx.User == nil {
			return nil
		}
		src = ctx.User
	default:
		return fmt.Sprintf("unknown scope %s", scope)
	}
	b, _ := json.Marshal(src)
	var m map[string]interface{}
	_ = json.Unmarshal(b, &m)
	return m[key]
}
