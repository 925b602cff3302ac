package asporatest_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	aspora "github.com/aspora/sdk-go"
	"github.com/aspora/sdk-go/testing/asporatest"
)

func TestFakesAnswerAndRecord(t *testing.T) {
	ctx := asporatest.NewContext(asporatest.Options{
		Input:   aspora.SkillInput{UserMessage: "refund p1"},
		Secrets: map[string]string{"TOKEN": "t"},
		Files:   map[string]string{"DECISIONS.md": "# Decisions\nrefund under 50\n", "/shared/runbooks/r.md": "refund steps"},
		APIs: map[string]map[string]asporatest.APIFunc{"payments": {
			"get": func(args map[string]interface{}) (interface{}, error) {
				return map[string]interface{}{"id": args["id"], "amount": 42}, nil
			},
			"refund": func(map[string]interface{}) (interface{}, error) {
				return nil, &aspora.Error{Code: "BUDGET_EXCEEDED", Message: "over"}
			},
		}},
		ModelReply: "sure",
		State:      map[string]interface{}{"seen": 2},
	})
	if ctx.Input.Metadata == nil || ctx.Secrets["TOKEN"] != "t" || ctx.Skill.Name != "skill" {
		t.Fatalf("context = %+v", ctx)
	}
	if text, err := ctx.Tools.Read("./DECISIONS.md"); err != nil || text[:11] != "# Decisions" {
		t.Fatalf("read = %q, %v", text, err)
	}
	if _, err := ctx.Tools.Read("nope.md"); code(err) != "NOT_FOUND" {
		t.Fatalf("missing file: %v", err)
	}
	if m, err := ctx.Tools.Grep("refund", ""); err != nil || len(m) != 2 || m[0].Path != "/shared/runbooks/r.md" || m[1].Line != 2 {
		t.Fatalf("grep = %+v, %v", m, err)
	}
	var p struct {
		ID     string
		Amount float64
	}
	if err := ctx.APIs.Call("payments", "get", map[string]interface{}{"id": "p1"}, &p); err != nil || p.ID != "p1" || p.Amount != 42 {
		t.Fatalf("api = %+v, %v", p, err)
	}
	if err := ctx.APIs.Call("payments", "refund", nil, nil); code(err) != "BUDGET_EXCEEDED" {
		t.Fatalf("refund: %v", err)
	}
	if err := ctx.APIs.Call("ledger", "post", nil, nil); code(err) != "PERMISSION_DENIED" {
		t.Fatalf("unfaked api: %v", err)
	}
	if r, err := ctx.Model.Chat(aspora.ChatRequest{Messages: []aspora.ChatMessage{{Role: "user", Content: "hi"}}}); err != nil || r.Content != "sure" {
		t.Fatalf("chat = %+v, %v", r, err)
	}
	var n int
	if ok, err := ctx.State.Get("seen", &n); !ok || err != nil || n != 2 {
		t.Fatalf("state.get = %v %v %v", ok, n, err)
	}
	if ok, _ := ctx.State.Get("other", nil); ok {
		t.Fatal("unset key reported as set")
	}
	_ = ctx.State.Set("seen", 3)
	_ = ctx.Tools.Write("/scratch/out.txt", "done")
	ctx.Log.Info("checked", map[string]interface{}{"n": 1})
	ctx.Metrics.Set("refunds", 1)
	if _, err := ctx.Invoke("fraud/check", aspora.SkillInput{UserMessage: "x"}); code(err) != "PERMISSION_DENIED" {
		t.Fatalf("invoke: %v", err)
	}

	h := asporatest.HostOf(ctx)
	if len(h.CallsTo("apis.call")) != 3 || h.CallsTo("apis.call")[0].Args["args"].(map[string]interface{})["id"] != "p1" {
		t.Fatalf("api calls = %+v", h.CallsTo("apis.call"))
	}
	if h.State["seen"] != 3.0 || // a JSON number, as the platform would store it
		h.Written["/scratch/out.txt"] != "done" || h.Metrics["refunds"] != 1 || len(h.Logs) != 1 {
		t.Fatalf("host = %+v", h)
	}
}

func TestUserIsNilWithoutOneAndACopyWithOne(t *testing.T) {
	if ctx := asporatest.NewContext(asporatest.Options{}); ctx.User != nil {
		t.Fatalf("no user given: ctx.User = %+v", ctx.User)
	}
	given := &aspora.User{Email: "sarah@example.com", Team: "ecm-ops", Role: "field"}
	ctx := asporatest.NewContext(asporatest.Options{User: given})
	if *ctx.User != (aspora.User{ID: "sarah@example.com", Email: "sarah@example.com", Team: "ecm-ops", Role: "field"}) {
		t.Fatalf("ctx.User = %+v", ctx.User)
	}
	ctx.User.Email = "changed@example.com"
	if given.Email != "sarah@example.com" || given.ID != "" {
		t.Fatalf("the handler changed the test's Options: %+v", given)
	}
}

func TestInvokeFake(t *testing.T) {
	ctx := asporatest.NewContext(asporatest.Options{Invoke: func(skill string, in aspora.SkillInput) (*aspora.SkillResult, error) {
		return &aspora.SkillResult{Success: true, Message: skill + ":" + in.UserMessage, Confidence: 0.7}, nil
	}})
	r, err := ctx.Invoke("fraud/check", aspora.SkillInput{UserMessage: "tx"})
	if err != nil || r.Message != "fraud/check:tx" || r.Confidence != 0.7 {
		t.Fatalf("invoke = %+v, %v", r, err)
	}
}

func code(err error) string {
	var e *aspora.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestReadsReachTheSkillsOwnFolderAndNothingOutsideIt(t *testing.T) {
	root := t.TempDir()
	skill := filepath.Join(root, "skill")
	if err := os.MkdirAll(filepath.Join(skill, "assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(skill, "assets", "limits.json"), []byte(`{"max":50}`), 0o644))
	must(os.WriteFile(filepath.Join(root, "outside.txt"), []byte("secret"), 0o644))
	must(os.Symlink(filepath.Join(root, "outside.txt"), filepath.Join(skill, "assets", "link.txt")))

	given := asporatest.NewContext(asporatest.Options{SkillDir: skill, Files: map[string]string{"assets/limits.json": "given wins"}})
	if s, err := given.Tools.Read("assets/limits.json"); err != nil || s != "given wins" {
		t.Fatalf("given files win: %q %v", s, err)
	}
	ctx := asporatest.NewContext(asporatest.Options{SkillDir: skill})
	for _, p := range []string{"assets/limits.json", "/skill/assets/limits.json"} {
		if s, err := ctx.Tools.Read(p); err != nil || s != `{"max":50}` {
			t.Fatalf("%s: %q %v", p, s, err)
		}
	}
	for _, p := range []string{"../outside.txt", "assets/../../outside.txt", filepath.Join(root, "outside.txt"), "assets/link.txt", "assets"} {
		var e *aspora.Error
		if _, err := ctx.Tools.Read(p); !errors.As(err, &e) || e.Code != "NOT_FOUND" {
			t.Fatalf("%s: want NOT_FOUND, got %v", p, err)
		}
	}
	none := asporatest.NewContext(asporatest.Options{SkillDir: "-"})
	if _, err := none.Tools.Read("assets/limits.json"); err == nil || !strings.Contains(err.Error(), "aspora test") {
		t.Fatalf("without a skill folder: %v", err)
	}
}
