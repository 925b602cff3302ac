package asporatest_test

import (
	"fmt"
	"reflect"
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
		"empty": nil,
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
	tbl := ctx.State.Table("assignments")
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
		{"numbers as JSON numbers", w("Priority", 5.0), nil, []int{2, 4}},
		{"true is not 1", w("Urgent", true), nil, []int{4}},
		{"1 is not true", w("Urgent", 1), nil, []int{5}},
		{"IN of nothing", w("Status", []string{}), nil, []int{}},
		{"ordered, ties by _id, null last", nil, &aspora.SelectOptions{OrderBy: "Priority"}, []int{1, 2, 4, 3, 5}},
		{"descending: null first", nil, &aspora.SelectOptions{OrderBy: "Priority", Desc: true}, []int{3, 5, 2, 4, 1}},
		{"limit after order", w("Status", "NEW"), &aspora.SelectOptions{OrderBy: "Priority", Desc: true, Limit: 2}, []int{5, 4}},
		{"by _id without OrderBy", nil, &aspora.SelectOptions{Limit: 2}, []int{1, 2}},
		{"descending _id", nil, &aspora.SelectOptions{Desc: true}, []int{5, 4, 3, 2, 1}},
	}
	for _, c := range cases {
		if got := ids(t, tbl, c.where, c.opts); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.what, got, c.want)
		}
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
	if n, _ := ctx.State.Table("empty").Delete(map[string]interface{}{}); n != 0 {
		t.Fatalf("delete from an empty table = %d", n)
	}
	if len(h.Tables["assignments"]) != 5 || h.Tables["assignments"][0]["_id"] != 1.0 {
		t.Fatalf("table = %v", h.Tables["assignments"])
	}
	if n, _ := tbl.Delete(map[string]interface{}{}); n != 5 || len(h.Tables["assignments"]) != 0 {
		t.Fatalf("delete every row = %d, left %v", n, h.Tables["assignments"])
	}
	if len(h.CallsTo("state.insert")) != 1 || len(h.CallsTo("state.delete")) != 3 {
		t.Fatalf("calls = %+v", h.Calls)
	}
}

func TestFakeTablesRefuseWhatThePlatformRefuses(t *testing.T) {
	ctx := asporatest.NewContext(asporatest.Options{
		Tables: map[string][]map[string]interface{}{"t": {{"_id": 7, "a": 1}, {"a": 2}}, "agents": {{"name": "x"}}},
		TableErrors: map[string]error{"agents": &aspora.Error{Code: "PERMISSION_DENIED", Message: "no write",
			Details: map[string]interface{}{"rule": "permissions.sheets_access.agents.write"}}},
	})
	tbl := ctx.State.Table("t")
	var added []idRow
	if err := tbl.Insert(map[string]interface{}{"a": 3}, &added); err != nil || added[0].ID != 9 {
		t.Fatalf("the next _id after 7 and 8: %v %v", added, err)
	}
	_, denied := ctx.State.Table("agents").Update(map[string]interface{}{"name": "x"}, map[string]interface{}{"name": "y"})
	if e, ok := denied.(*aspora.Error); !ok || e.Code != "PERMISSION_DENIED" || e.Details["rule"] != "permissions.sheets_access.agents.write" {
		t.Fatalf("table error: %v", denied)
	}
	_, setID := tbl.Update(map[string]interface{}{"_id": 7}, map[string]interface{}{"_id": 8})
	errs := map[string]error{
		"unknown table":  ctx.State.Table("nope").Select(nil, nil, nil),
		"insert an _id":  tbl.Insert(map[string]interface{}{"_id": 1}, nil),
		"update the _id": setID,
	}
	want := map[string]string{"unknown table": "NOT_FOUND", "insert an _id": "BAD_REQUEST", "update the _id": "BAD_REQUEST"}
	for what, err := range errs {
		if code(err) != want[what] {
			t.Errorf("%s: %v", what, err)
		}
	}
	if asporatest.HostOf(ctx).Tables["agents"][0]["name"] != "x" {
		t.Fatal("a refused update changed the table")
	}
	defer func() {
		if r := recover(); r == nil || fmt.Sprint(r) == "" {
			t.Fatal("two rows with one _id were accepted")
		}
	}()
	asporatest.NewContext(asporatest.Options{Tables: map[string][]map[string]interface{}{"t": {{"_id": 1}, {"_id": 1}}}})
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
