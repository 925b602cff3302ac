package aspora

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
)

// Table is one row table of shared state, as ctx.State.Table("assignments") gives it. Every call
// is checked by the platform against the skill's permissions.sheets_access rule for the table
// (read, write: all, none or a row condition such as "Assigned Agent = {user.email}"): a Select
// returns only rows the read rule allows, and a refused call returns an *Error with Code
// PERMISSION_DENIED whose Details name the rule.
//
// A where map gives, per column ("Assigned Agent", or "_id"), a value that must be equal (a
// string, number, bool or nil, which also matches a row without the column) or a non-empty slice
// of such values meaning IN. Every pair must hold. A cell is a string, number, bool or null, as in
// a spreadsheet: structured data goes in as JSON text.
type Table struct {
	h    Host
	name string
}

// SelectOptions shape a Select; nil means none of them.
type SelectOptions struct {
	Limit   int    // at most this many rows; 0: the platform's default, 1000 (10000 at most)
	OrderBy string // a column (a row without it comes last); "": by _id
	Desc    bool   // descending
}

// Table returns the row table name. It makes no call itself: a mistake in the name (empty) is
// the error of the first call.
func (s State) Table(name string) Table { return Table{h: s.h, name: name} }

// Name returns the table's name.
func (t Table) Name() string { return t.name }

// Select decodes the rows that match where (nil: every row the skill may read) into out, a
// pointer to a slice of maps or structs (fields tagged with the column names), or nil to discard.
// Each row carries its integer "_id".
func (t Table) Select(where map[string]interface{}, opts *SelectOptions, out interface{}) error {
	const op = "state.select"
	args, err := t.args(op)
	if err != nil {
		return err
	}
	if where != nil {
		if args["where"], err = checkWhere(op, where, false); err != nil {
			return err
		}
	}
	if opts != nil {
		if opts.Limit < 0 {
			return badRequest(op, fmt.Sprintf("Limit is %d", opts.Limit), "give a positive limit, or 0 for the platform's default")
		}
		if opts.Limit > 0 {
			args["limit"] = opts.Limit
		}
		if opts.OrderBy != "" {
			args["orderBy"] = opts.OrderBy
		}
		if opts.Desc {
			args["desc"] = true
		}
	}
	return call(t.h, op, args, out)
}

// Insert adds one row (a map or a struct) or several (a slice of them) and decodes the rows as
// stored, each with the "_id" the platform gave it, into out (a pointer to a slice; nil discards).
func (t Table) Insert(rows interface{}, out interface{}) error {
	const op = "state.insert"
	args, err := t.args(op)
	if err != nil {
		return err
	}
	if args["rows"], err = rowList(op, rows); err != nil {
		return err
	}
	return call(t.h, op, args, out)
}

// Update sets the columns of set (cells) on every row that matches where, which names at least
// one column, and returns how many changed.
func (t Table) Update(where, set map[string]interface{}) (int, error) {
	const op = "state.update"
	args, err := t.args(op)
	if err != nil {
		return 0, err
	}
	if args["where"], err = checkWhere(op, where, true); err != nil {
		return 0, err
	}
	if len(set) == 0 {
		return 0, badRequest(op, "set is empty", `give the columns to change, e.g. map[string]interface{}{"Status": "RESOLVED"}`)
	}
	for column, v := range set {
		if err := checkCell(op, "set", column, v); err != nil {
			return 0, err
		}
	}
	args["set"] = set
	var n int
	err = call(t.h, op, args, &n)
	return n, err
}

// Delete removes every row that matches where, which names at least one column, and returns how many.
func (t Table) Delete(where map[string]interface{}) (int, error) {
	const op = "state.delete"
	args, err := t.args(op)
	if err != nil {
		return 0, err
	}
	if args["where"], err = checkWhere(op, where, true); err != nil {
		return 0, err
	}
	var n int
	err = call(t.h, op, args, &n)
	return n, err
}

func (t Table) args(op string) (map[string]interface{}, error) {
	if t.name == "" {
		return nil, badRequest(op, "the table name is empty", `name the table: ctx.State.Table("assignments")`)
	}
	return map[string]interface{}{"table": t.name}, nil
}

func badRequest(op, what, hint string) *Error {
	return &Error{Code: "BAD_REQUEST", Message: fmt.Sprintf("%s: %s: %s", op, what, hint)}
}

// checkWhere stops the where maps the host refuses: an empty one for Update and Delete, an empty
// column, a value that is not a cell or a non-empty slice of them.
func checkWhere(op string, where map[string]interface{}, required bool) (map[string]interface{}, error) {
	if required && len(where) == 0 {
		return nil, badRequest(op, "where is empty", `name the rows to change, e.g. map[string]interface{}{"Order ID": "A1"}`)
	}
	for column, v := range where {
		if column == "" {
			return nil, badRequest(op, "where has an empty column name", "a column is a non-empty string")
		}
		if isScalar(v) {
			continue
		}
		if _, ok := v.([]byte); ok { // JSON would send it as base64 text, not as IN
			return nil, badRequest(op, fmt.Sprintf("where[%q] is a []byte", column), "convert it with string(...)")
		}
		rv := reflect.ValueOf(v)
		if k := rv.Kind(); k == reflect.Slice || k == reflect.Array {
			if rv.Len() == 0 {
				return nil, badRequest(op, fmt.Sprintf("where[%q] is an empty slice", column), "a slice means IN and holds one or more values")
			}
			for i := 0; i < rv.Len(); i++ {
				if !isScalar(rv.Index(i).Interface()) {
					return nil, badRequest(op, fmt.Sprintf("where[%q] lists a %T", column, rv.Index(i).Interface()), "a slice means IN and holds only strings, numbers, bools or nil")
				}
			}
			continue
		}
		return nil, badRequest(op, fmt.Sprintf("where[%q] is a %T", column, v), "give a string, number, bool, nil, or a slice of them (IN)")
	}
	return where, nil
}

func checkCell(op, what, column string, v interface{}) error {
	if column == "" {
		return badRequest(op, what+" has an empty column name", "a column is a non-empty string")
	}
	if !isScalar(v) {
		return badRequest(op, fmt.Sprintf("%s[%q] is a %T", what, column, v), "a cell is a string, number, bool or nil: store structured data as JSON text (json.Marshal, then string)")
	}
	return nil
}

func isScalar(v interface{}) bool {
	if v == nil {
		return true
	}
	if _, ok := v.(json.Number); ok {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Ptr: // a *string from a struct field: its value, or null
		return rv.IsNil() || isScalar(rv.Elem().Interface())
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		return !math.IsNaN(f) && !math.IsInf(f, 0) // not JSON
	}
	return false
}

// rowList turns one row or a slice of rows into the JSON objects state.insert sends.
func rowList(op string, rows interface{}) ([]json.RawMessage, error) {
	b, err := json.Marshal(rows)
	if err != nil {
		return nil, badRequest(op, "the rows are not JSON", err.Error())
	}
	var list []json.RawMessage
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '{' {
		list = []json.RawMessage{b}
	} else if json.Unmarshal(b, &list) != nil {
		return nil, badRequest(op, fmt.Sprintf("rows is a %T", rows), "give a map or struct (one row) or a slice of them")
	}
	if len(list) == 0 {
		return nil, badRequest(op, "no rows", "give a map or struct (one row) or a non-empty slice of them")
	}
	for _, r := range list {
		var columns map[string]interface{}
		if json.Unmarshal(r, &columns) != nil || columns == nil {
			return nil, badRequest(op, fmt.Sprintf("a row is %.40s", r), "a row is a map or a struct")
		}
		if len(columns) == 0 {
			return nil, badRequest(op, "a row is empty", "a row has one or more columns")
		}
		for column, v := range columns {
			if err := checkCell(op, "a row", column, v); err != nil {
				return nil, err
			}
		}
	}
	return list, nil
}
