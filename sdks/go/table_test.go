package aspora

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"
)

// answerHost records the calls it gets and answers each with the same JSON value.
type answerHost struct {
	value string
	calls []map[string]interface{}
	ops   []string
}

func (h *answerHost) Call(op string, args map[string]interface{}) (json.RawMessage, error) {
	b, err := json.Marshal(args)
	if err != nil {
		return nil, err
	}
	var a map[string]interface{}
	_ = json.Unmarshal(b, &a)
	h.ops, h.calls = append(h.ops, op), append(h.calls, a)
	return json.RawMessage(h.value), nil
}
func (h *answerHost) Log(string, string, map[string]interface{}) {}
func (h *answerHost) Metric(string, float64)                     {}

func TestTableSendsOnlyWhatWasGiven(t *testing.T) {
	h := &answerHost{value: `[{"_id":1,"Status":"NEW"}]`}
	tbl := NewContext(h, "e", SkillInfo{}, SkillInput{}, nil).State.Table("assignments")
	var rows []struct {
		ID     int    `json:"_id"`
		Status string `json:"Status"`
	}
	if err := tbl.Select(nil, nil, &rows); err != nil || len(rows) != 1 || rows[0].ID != 1 || rows[0].Status != "NEW" {
		t.Fatalf("select = %+v, %v", rows, err)
	}
	status := "NEW"
	where := map[string]interface{}{"Status": []string{"NEW", "IN_PROGRESS"}, "_id": 3, "Agent": &status, "Gone": (*string)(nil)}
	if err := tbl.Select(where, &SelectOptions{Limit: 10, OrderBy: "Priority", Desc: true}, nil); err != nil {
		t.Fatal(err)
	}
	if err := tbl.Select(map[string]interface{}{}, &SelectOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	type order struct {
		OrderID string `json:"Order ID"`
		Status  string `json:"Status"`
	}
	if err := tbl.Insert(order{"A1", "NEW"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := tbl.Insert([]map[string]interface{}{{"Order ID": "A2"}, {"Order ID": "A3"}}, nil); err != nil {
		t.Fatal(err)
	}
	want := []map[string]interface{}{
		{"table": "assignments"},
		{"table": "assignments", "where": map[string]interface{}{"Status": []interface{}{"NEW", "IN_PROGRESS"}, "_id": 3.0, "Agent": "NEW", "Gone": nil}, "limit": 10.0, "orderBy": "Priority", "desc": true},
		{"table": "assignments", "where": map[string]interface{}{}},
		{"table": "assignments", "rows": []interface{}{map[string]interface{}{"Order ID": "A1", "Status": "NEW"}}},
		{"table": "assignments", "rows": []interface{}{map[string]interface{}{"Order ID": "A2"}, map[string]interface{}{"Order ID": "A3"}}},
	}
	if !reflect.DeepEqual(h.calls, want) || h.ops[3] != "state.insert" {
		t.Fatalf("calls =\n%v\nwant\n%v", h.calls, want)
	}
}

func TestTableUpdateAndDeleteReturnCounts(t *testing.T) {
	h := &answerHost{value: `3`}
	tbl := NewContext(h, "e", SkillInfo{}, SkillInput{}, nil).State.Table("assignments")
	n, err := tbl.Update(map[string]interface{}{"Order ID": "A1"}, map[string]interface{}{"Status": "RESOLVED"})
	if err != nil || n != 3 {
		t.Fatalf("update = %d, %v", n, err)
	}
	if n, err = tbl.Delete(map[string]interface{}{"Status": []string{"NEW"}}); err != nil || n != 3 {
		t.Fatalf("delete = %d, %v", n, err)
	}
	if !reflect.DeepEqual(h.ops, []string{"state.update", "state.delete"}) || h.calls[0]["set"].(map[string]interface{})["Status"] != "RESOLVED" {
		t.Fatalf("calls = %v %v", h.ops, h.calls)
	}
	h.value = `"three"`
	if _, err := tbl.Delete(map[string]interface{}{"a": 1}); err == nil {
		t.Fatal("a count that is not a number decoded")
	}
}

func TestTableStopsObviousMistakesBeforeSending(t *testing.T) {
	h := &answerHost{value: `[]`}
	st := NewContext(h, "e", SkillInfo{}, SkillInput{}, nil).State
	tbl := st.Table("t")
	w := func(k string, v interface{}) map[string]interface{} { return map[string]interface{}{k: v} }
	mistakes := map[string]error{
		"empty table name":      st.Table("").Select(nil, nil, nil),
		"where value a map":     tbl.Select(w("a", map[string]interface{}{"$gt": 1}), nil, nil),
		"IN of slices":          tbl.Select(w("a", [][]int{{1}}), nil, nil),
		"where value NaN":       tbl.Select(w("a", math.NaN()), nil, nil),
		"where value []byte":    tbl.Select(w("a", []byte("x")), nil, nil),
		"where value a struct":  tbl.Select(w("a", struct{}{}), nil, nil),
		"empty column":          tbl.Select(w("", 1), nil, nil),
		"negative limit":        tbl.Select(nil, &SelectOptions{Limit: -1}, nil),
		"no rows":               tbl.Insert([]map[string]interface{}{}, nil),
		"nil rows":              tbl.Insert(nil, nil),
		"a row not an object":   tbl.Insert([]interface{}{"x"}, nil),
		"rows a string":         tbl.Insert("x", nil),
		"rows not JSON":         tbl.Insert(map[string]interface{}{"f": func() {}}, nil),
		"a row's empty column":  tbl.Insert(w("", 1), nil),
		"update with nil where": second(tbl.Update(nil, w("a", 1))),
		"update of every row":   second(tbl.Update(map[string]interface{}{}, w("a", 1))),
		"delete of every row":   second(tbl.Delete(map[string]interface{}{})),
		"IN of nothing":         tbl.Select(w("a", []string{}), nil, nil),
		"a structured cell":     tbl.Insert(w("a", map[string]interface{}{"nested": 1}), nil),
		"a struct's list cell":  tbl.Insert(struct{ Tags []string }{[]string{"x"}}, nil),
		"an empty row":          tbl.Insert(map[string]interface{}{}, nil),
		"set a list":            second(tbl.Update(w("a", 1), w("tags", []string{"x"}))),
		"update with empty set": second(tbl.Update(w("a", 1), nil)),
		"update set empty col":  second(tbl.Update(w("a", 1), w("", 1))),
		"delete with nil where": second(tbl.Delete(nil)),
	}
	for what, err := range mistakes {
		var e *Error
		if !errors.As(err, &e) || e.Code != "BAD_REQUEST" {
			t.Errorf("%s: %v", what, err)
		}
	}
	if len(h.calls) != 0 {
		t.Fatalf("a mistake the SDK can see was sent: %v", h.calls)
	}
	if err := st.Table("").Select(nil, nil, nil); err.Error() != `BAD_REQUEST: state.select: the table name is empty: name the table: ctx.State.Table("assignments")` {
		t.Fatalf("message: %v", err)
	}
}

func second(_ int, err error) error { return err }
