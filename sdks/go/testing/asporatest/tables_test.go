package asporatest_test

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	aspora "github.com/aspora/sdk-go"
	"github.com/aspora/sdk-go/testing/asporatest"
)

func rows() map[string][]map[string]interface{} {
	return map[string][]map[string]interface{}{
		"assignments": {
			{"Order ID": "A1", "Status": "NEW", "Priority": 2, "Assigned Agent": "sarah@example.com"},
			{"Order ID": "A2", "Status": "IN_PROGRESS", "Priority": 5, "Assigned Agent": "dinesh@example.com"},
			{"Order ID": "A3", "Status": "RESOLVED", "Priority": nil, "Assigned Agent": "sarah@example.com"},
			{"Order ID": "A4", "Status": "NEW", "Priority": 5, "Assigned Agent": "sarah@example.com", "Urgent": true},
			{"Order ID": "A5", "Status": "NEW", "Urgent": 1},
		},
	}
}

type idRow struct {
	ID int `json:"_id"`
}

func ids(t *testing.T, tbl aspora.Table, where map[string]interface{}, opts *aspora.SelectOptions) []int {
	t.Helper()
	var out []idRow
	if err := tbl.Select(where, opts, &out); err != nil {
		t.Fatalf("select %v: %v", where, err)
	}
	got := []int{}
	for _, r := range out {
		got = append(got, r.ID)
	}
	return got
}

func TestFakeTablesSelect(t *testing.T) {
	ctx := asporatest.NewContext(asporatest.Options{Tables: rows()})
	tbl := ctx.State.Table("assignments_tab") // the config's spelling names the same table
	w := func(kv ...interface{}) map[string]interface{} {
		m := map[string]interface{}{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		what  string
		where map[string]interface{}
		opts  *aspora.SelectOptions
		want  []int
	}{
		{"equality", w("Status", "NEW"), nil, []int{1, 4, 5}},
		{"IN and equality", w("Status", []string{"NEW", "RESOLVED"}, "Assigned Agent", "sarah@example.com"), nil, []int{1, 3, 4}},
		{"_id IN", w("_id", []int{2, 5, 99}), nil, []int{2, 5}},
		{"nil matches null and a missing column", w("Priority", nil), nil, []int{3, 5}},
		{"IN with nil", w("Priority", []interface{}{2, nil}), nil, []int{1, 3, 5}},
		{"numbers as JSON numbers", w("Priority", 5.0), nil, []int{2, 4}},
		{"true is not 1", w("Urgent", true), nil, []int{4}},
		{"1 is not true", w("Urgent", 1), nil, []int{5}},
		{"ordered: null first, ties by _id, a missing cell last", nil, &aspora.SelectOptions{OrderBy: "Priority"}, []int{3, 1, 2, 4, 5}},
		{"descending: a missing cell still last", nil, &aspora.SelectOptions{OrderBy: "Priority", Desc: true}, []int{2, 4, 1, 3, 5}},
		{"limit after order", w("Status", "NEW"), &aspora.SelectOptions{OrderBy: "Priority", Desc: true, Limit: 2}, []int{4, 1}},
		{"by _id, descending", nil, &aspora.SelectOptions{OrderBy: "_id", Desc: true}, []int{5, 4, 3, 2, 1}},
		{"by _id without OrderBy", nil, &aspora.SelectOptions{Limit: 2}, []int{1, 2}},
		{"descending _id", nil, &aspora.SelectOptions{Desc: true}, []int{5, 4, 3, 2, 1}},
	}
	for _, c := range cases {
		if got := ids(t, tbl, c.where, c.opts); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.what, got, c.want)
		}
	}
	mixed := asporatest.NewContext(asporatest.Options{Tables: map[string][]map[string]interface{}{"m": {
		{"v": "b"}, {"v": 10}, {"v": true}, {"v": "a"}, {"v": nil}, {"w": 1}, {"v": 2.5}}}})
	if got := ids(t, mixed.State.Table("m"), nil, &aspora.SelectOptions{OrderBy: "v"}); !reflect.DeepEqual(got, []int{5, 4, 1, 7, 2, 3, 6}) {
		t.Errorf("null < text < numbers < booleans, then missing: %v", got)
	}
	if got := ids(t, mixed.State.Table("m"), nil, &aspora.SelectOptions{OrderBy: "v", Desc: true}); !reflect.DeepEqual(got, []int{3, 2, 7, 1, 4, 5, 6}) {
		t.Errorf("descending, as PostgreSQL and PGlite order it: %v", got)
	}
	many := make([]map[string]interface{}, 1200)
	for i := range many {
		many[i] = map[string]interface{}{"i": i}
	}
	if got := ids(t, asporatest.NewContext(asporatest.Options{Tables: map[string][]map[string]interface{}{"n": many}}).State.Table("n"), nil, nil); len(got) != 1000 {
		t.Errorf("the platform's default limit: %d rows", len(got))
	}
	var full []map[string]interface{}
	if err := tbl.Select(w("Order ID", "A1"), nil, &full); err != nil || len(full) != 1 ||
		!reflect.DeepEqual(full[0], map[string]interface{}{"_id": 1.0, "Order ID": "A1", "Status": "NEW", "Priority": 2.0, "Assigned Agent": "sarah@example.com"}) {
		t.Fatalf("row = %v, %v", full, err)
	}
	full[0]["Status"] = "changed by the handler"
	if asporatest.HostOf(ctx).Tables["assignments"][0]["Status"] != "NEW" {
		t.Fatal("the handler's rows are the store's")
	}
}

func TestFakeTablesWrite(t *testing.T) {
	ctx := asporatest.NewContext(asporatest.Options{Tables: rows()})
	h := asporatest.HostOf(ctx)
	tbl := ctx.State.Table("assignments")
	var added []idRow
	if err := tbl.Insert([]map[string]interface{}{{"Order ID": "A6", "Status": "NEW"}, {"Order ID": "A7", "Status": "NEW"}}, &added); err != nil ||
		!reflect.DeepEqual(added, []idRow{{6}, {7}}) {
		t.Fatalf("insert = %v, %v", added, err)
	}
	if n, err := tbl.Update(map[string]interface{}{"Status": "NEW", "Assigned Agent": nil}, map[string]interface{}{"Assigned Agent": "sarah@example.com"}); n != 3 || err != nil {
		t.Fatalf("update = %d, %v", n, err)
	}
	if got := ids(t, tbl, map[string]interface{}{"Assigned Agent": "sarah@example.com", "Status": "NEW"}, nil); !reflect.DeepEqual(got, []int{1, 4, 5, 6, 7}) {
		t.Fatalf("after update: %v", got)
	}
	if n, err := tbl.Delete(map[string]interface{}{"Status": []string{"RESOLVED", "IN_PROGRESS"}}); n != 2 || err != nil {
		t.Fatalf("delete = %d, %v", n, err)
	}
	if n, err := ctx.State.Table("fresh").Delete(map[string]interface{}{"a": 1}); n != 0 || err != nil {
		t.Fatalf("a table not given is empty, as on the platform: %d, %v", n, err)
	}
	if len(h.Tables["assignments"]) != 5 || h.Tables["assignments"][0]["_id"] != 1.0 {
		t.Fatalf("table = %v", h.Tables["assignments"])
	}
	if len(h.CallsTo("state.insert")) != 1 || len(h.CallsTo("state.delete")) != 2 {
		t.Fatalf("calls = %+v", h.Calls)
	}
}

func TestFakeTablesRefuseWhatThePlatformRefuses(t *testing.T) {
	ctx := asporatest.NewContext(asporatest.Options{
		Tables: map[string][]map[string]interface{}{"t": {{"_id": 7, "a": 1}, {"a": 2}}, "agents": {{"name": "x"}}},
		TableErrors: map[string]error{"agents_tab": &aspora.Error{Code: "PERMISSION_DENIED", Message: "no write",
			Details: map[string]interface{}{"rule": "permissions.sheets_access.agents_tab.write is none"}}},
	})
	h := asporatest.HostOf(ctx)
	var added []idRow
	if err := ctx.State.Table("t").Insert(map[string]interface{}{"a": 3}, &added); err != nil || added[0].ID != 10 {
		t.Fatalf("one sequence of ids, after 7 (agents' row 8, t's second 9): %v %v", added, err)
	}
	_, denied := ctx.State.Table("agents").Update(map[string]interface{}{"name": "x"}, map[string]interface{}{"name": "y"})
	if e, ok := denied.(*aspora.Error); !ok || e.Code != "PERMISSION_DENIED" || e.Details["rule"] != "permissions.sheets_access.agents_tab.write is none" {
		t.Fatalf("table error: %v", denied)
	}
	if h.Tables["agents"][0]["name"] != "x" {
		t.Fatal("a refused update changed the table")
	}
	// What the handler's SDK would have stopped, sent as it is: the fake refuses it as the platform does.
	long := strings.Repeat("c", 65)
	many := make([]interface{}, 1001)
	for i := range many {
		many[i] = map[string]interface{}{"a": 1}
	}
	wide := map[string]interface{}{}
	for i := 0; i < 21; i++ {
		wide[fmt.Sprint("c", i)] = 1
	}
	refused := map[string][2]interface{}{
		"a table name not lowercase":  {"state.select", map[string]interface{}{"table": "T"}},
		"an _id written":              {"state.insert", map[string]interface{}{"table": "t", "rows": []interface{}{map[string]interface{}{"_id": 9, "a": 1}}}},
		"an _id changed":              {"state.update", map[string]interface{}{"table": "t", "where": map[string]interface{}{"_id": 7}, "set": map[string]interface{}{"_id": 8}}},
		"an update without where":     {"state.update", map[string]interface{}{"table": "t", "set": map[string]interface{}{"a": 1}}},
		"a delete of every row":       {"state.delete", map[string]interface{}{"table": "t", "where": map[string]interface{}{}}},
		"an _id that is not a row id": {"state.select", map[string]interface{}{"table": "t", "where": map[string]interface{}{"_id": "7"}}},
		"a limit over 10000":          {"state.select", map[string]interface{}{"table": "t", "limit": 10001}},
		"21 columns in where":         {"state.select", map[string]interface{}{"table": "t", "where": wide}},
		"a column name over 64":       {"state.select", map[string]interface{}{"table": "t", "where": map[string]interface{}{long: 1}}},
		"a text cell over 10000":      {"state.insert", map[string]interface{}{"table": "t", "rows": []interface{}{map[string]interface{}{"a": strings.Repeat("x", 10001)}}}},
		"1001 rows at once":           {"state.insert", map[string]interface{}{"table": "t", "rows": many}},
		"a structured cell":           {"state.insert", map[string]interface{}{"table": "t", "rows": []interface{}{map[string]interface{}{"a": []interface{}{1}}}}},
		"an IN list of nothing":       {"state.select", map[string]interface{}{"table": "t", "where": map[string]interface{}{"a": []interface{}{}}}},
	}
	for what, c := range refused {
		if _, err := h.Call(c[0].(string), c[1].(map[string]interface{})); code(err) != "BAD_REQUEST" {
			t.Errorf("%s: %v", what, err)
		}
	}
	if got := ids(t, ctx.State.Table("t"), nil, nil); !reflect.DeepEqual(got, []int{7, 9, 10}) {
		t.Fatalf("a refused call changed the table: %v", got)
	}
	for what, tables := range map[string]map[string][]map[string]interface{}{
		"two rows with one _id": {"t": {{"_id": 1, "a": 1}, {"_id": 1, "a": 2}}},
		"a structured cell":     {"t": {{"a": map[string]interface{}{"b": 1}}}},
		"an empty row":          {"t": {{}}},
		"a name not lowercase":  {"T": {}},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("Options.Tables with %s were accepted", what)
				}
			}()
			asporatest.NewContext(asporatest.Options{Tables: tables})
		}()
	}
}

func TestFakeTablesTakeConcurrentCalls(t *testing.T) {
	ctx := asporatest.NewContext(asporatest.Options{Tables: map[string][]map[string]interface{}{"t": {}}})
	tbl := ctx.State.Table("t")
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_ = tbl.Insert(map[string]interface{}{"i": i}, nil)
			_ = tbl.Select(nil, nil, nil)
			_, _ = tbl.Update(map[string]interface{}{"i": i}, map[string]interface{}{"done": true})
		}(i)
	}
	wg.Wait()
	if got := ids(t, tbl, map[string]interface{}{"done": true}, nil); len(got) != 20 || got[19] != 20 {
		t.Fatalf("ids = %v", got)
	}
}
