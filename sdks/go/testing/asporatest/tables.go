package asporatest

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"

	aspora "github.com/aspora/sdk-go"
)

// The row tables of the fake host: state.select / insert / update / delete answered from memory.
// They do what the platform does with the rows (_id, where equality and IN, limit, order) but
// evaluate no permissions.sheets_access rule: every row of a table given in Options.Tables is
// readable and writable. A refusal is tested with Options.TableErrors instead.

// Row is one row of a fake table as stored: JSON values (numbers are float64, "_id" too).
type Row = map[string]interface{}

func badTable(format string, a ...interface{}) error {
	return &aspora.Error{Code: "BAD_REQUEST", Message: "test context: " + fmt.Sprintf(format, a...)}
}

// initTables copies Options.Tables through JSON and gives every row without an _id the next one.
func (h *Host) initTables() {
	h.Tables = map[string][]Row{}
	h.nextID = map[string]float64{}
	for name, rows := range h.opts.Tables {
		var stored []Row
		if err := remarshal(rows, &stored); err != nil {
			panic(fmt.Sprintf("asporatest: Options.Tables[%q] is not JSON: %v", name, err))
		}
		next, seen := 1.0, map[float64]bool{}
		for _, r := range stored {
			if id, given := r["_id"]; given {
				f, ok := id.(float64)
				if !ok || f != math.Trunc(f) || seen[f] {
					panic(fmt.Sprintf("asporatest: Options.Tables[%q]: a row's _id, when given, is an integer unique in its table (not %v)", name, id))
				}
				seen[f] = true
				next = math.Max(next, f+1)
			}
		}
		for _, r := range stored {
			if _, given := r["_id"]; !given {
				r["_id"] = next
				next++
			}
		}
		if stored == nil {
			stored = []Row{}
		}
		h.Tables[name], h.nextID[name] = stored, next
	}
}

// tableOp answers one of the four ops; h.mu is held.
func (h *Host) tableOp(op string, a map[string]interface{}) (interface{}, error) {
	name, _ := a["table"].(string)
	if name == "" {
		return nil, badTable("%s: table is not a non-empty string", op)
	}
	if err, refused := h.opts.TableErrors[name]; refused {
		return nil, err
	}
	rows, ok := h.Tables[name]
	if !ok {
		return nil, &aspora.Error{Code: "NOT_FOUND", Message: fmt.Sprintf("test context: no table %s (give it in Options.Tables, an empty slice for an empty one)", name)}
	}
	where, err := fakeWhere(op, a["where"], op == "state.update" || op == "state.delete")
	if err != nil {
		return nil, err
	}
	switch op {
	case "state.select":
		return selectRows(rows, where, a)
	case "state.insert":
		list, _ := a["rows"].([]interface{})
		if len(list) == 0 {
			return nil, badTable("state.insert: rows is not a non-empty list of objects")
		}
		added := make([]Row, 0, len(list))
		for _, r := range list {
			row, ok := r.(map[string]interface{})
			if !ok {
				return nil, badTable("state.insert: a row is not an object")
			}
			if _, has := row["_id"]; has {
				return nil, badTable("state.insert: a new row has an _id: the platform gives it")
			}
			row["_id"] = h.nextID[name]
			h.nextID[name]++
			added = append(added, row)
		}
		h.Tables[name] = append(rows, added...)
		return added, nil
	case "state.update":
		set, _ := a["set"].(map[string]interface{})
		if len(set) == 0 {
			return nil, badTable("state.update: set is not a non-empty object of column → value")
		}
		if _, has := set["_id"]; has {
			return nil, badTable("state.update: set changes _id, which the platform gives")
		}
		n := 0
		for _, r := range rows {
			if matches(r, where) {
				for k, v := range set {
					r[k] = v
				}
				n++
			}
		}
		return n, nil
	default: // state.delete
		keep := []Row{}
		for _, r := range rows {
			if !matches(r, where) {
				keep = append(keep, r)
			}
		}
		h.Tables[name] = keep
		return len(rows) - len(keep), nil
	}
}

// fakeWhere checks a where clause as the platform would: an object of column → scalar or list
// of scalars (so comparing never meets a map or a slice on both sides).
func fakeWhere(op string, w interface{}, required bool) (map[string]interface{}, error) {
	if w == nil && !required {
		return nil, nil
	}
	where, ok := w.(map[string]interface{})
	if !ok {
		return nil, badTable("%s: where is not an object of column → value", op)
	}
	for column, v := range where {
		values, isList := v.([]interface{})
		if !isList {
			values = []interface{}{v}
		}
		for _, x := range values {
			switch x.(type) {
			case nil, string, float64, bool:
			default:
				return nil, badTable("%s: where[%q] is not a string, number, bool, null or a list of them", op, column)
			}
		}
	}
	return where, nil
}

// matches: every column equal (a column the row lacks is null), or one of a list's values.
func matches(r Row, where map[string]interface{}) bool {
	for column, want := range where {
		have := r[column]
		if list, ok := want.([]interface{}); ok {
			found := false
			for _, w := range list {
				found = found || scalarEqual(have, w)
			}
			if !found {
				return false
			}
		} else if !scalarEqual(have, want) {
			return false
		}
	}
	return true
}

// scalarEqual compares a row's value with a where scalar; a row's object or list equals nothing.
func scalarEqual(have, want interface{}) bool {
	switch have.(type) {
	case map[string]interface{}, []interface{}:
		return false
	}
	return have == want // JSON types: bool true is not the number 1
}

func selectRows(rows []Row, where map[string]interface{}, a map[string]interface{}) ([]Row, error) {
	out := []Row{}
	for _, r := range rows {
		if matches(r, where) {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i]["_id"].(float64) < out[j]["_id"].(float64) })
	desc, _ := a["desc"].(bool)
	if col, ok := a["orderBy"].(string); ok && col != "" {
		sort.SliceStable(out, func(i, j int) bool { // stable: ties stay by _id
			if desc {
				return orderLess(out[j][col], out[i][col])
			}
			return orderLess(out[i][col], out[j][col])
		})
	} else if desc {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	if l, given := a["limit"]; given {
		n, ok := l.(float64)
		if !ok || n < 0 || n != math.Trunc(n) {
			return nil, badTable("state.select: limit is not a non-negative integer")
		}
		if int(n) < len(out) {
			out = out[:int(n)]
		}
	}
	return out, nil
}

// orderRank: numbers, then strings, then booleans, then anything else, then null; so null sorts
// last ascending and first descending, as in PostgreSQL.
func orderRank(v interface{}) int {
	switch v.(type) {
	case float64:
		return 0
	case string:
		return 1
	case bool:
		return 2
	case nil:
		return 4
	}
	return 3
}

func orderLess(x, y interface{}) bool {
	rx, ry := orderRank(x), orderRank(y)
	if rx != ry {
		return rx < ry
	}
	switch a := x.(type) {
	case float64:
		return a < y.(float64)
	case string:
		return a < y.(string)
	case bool:
		return !a && y.(bool)
	case nil:
		return false
	}
	bx, _ := json.Marshal(x)
	by, _ := json.Marshal(y)
	return string(bx) < string(by)
}
