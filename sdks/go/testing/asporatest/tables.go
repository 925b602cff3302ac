package asporatest

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	aspora "github.com/aspora/sdk-go"
)

// The row tables of the fake host: state.select / insert / update / delete answered from memory,
// with the platform's checks and limits (packages/platform/src/state/where.ts) and its answers:
// _id, where equality and IN, limit, order. They evaluate no permissions.sheets_access rule:
// every row is readable and writable. A refusal is tested with Options.TableErrors instead.

// Row is one row of a fake table as stored: cells as JSON gives them (numbers, "_id" too, are
// float64).
type Row = map[string]interface{}

// The platform's bounds (STATE_LIMITS in packages/platform/src/state/where.ts).
const (
	whereColumns, inValues, rowColumns, columnChars, cellChars = 20, 1000, 100, 64, 10000
	rowBytes, insertRows, selectMax, selectDefault, tableRows  = 64 * 1024, 1000, 10000, 1000, 100000
)

var (
	tableRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	control = regexp.MustCompile("[\x00-\x1f\x7f]")
)

func badTable(format string, a ...interface{}) error {
	return &aspora.Error{Code: "BAD_REQUEST", Message: "test context: " + fmt.Sprintf(format, a...)}
}

// tableName: "assignments_tab" (the config's spelling) and "assignments" name the same table.
func tableName(raw interface{}) (string, error) {
	s, _ := raw.(string)
	if strings.HasSuffix(s, "_tab") && len(s) > 4 {
		s = s[:len(s)-4]
	}
	if !tableRE.MatchString(s) {
		return "", badTable("table %v is not a lowercase name such as assignments", raw)
	}
	return s, nil
}

func checkColumn(c, what string) error {
	if n := utf8.RuneCountInString(c); n == 0 || n > columnChars || control.MatchString(c) {
		return badTable("%s: a column name is 1 to %d printable characters, not %q", what, columnChars, c)
	}
	return nil
}

func checkCell(v interface{}, what string) error {
	switch x := v.(type) {
	case nil, bool, float64: // through JSON: finite
		return nil
	case string:
		if utf8.RuneCountInString(x) > cellChars {
			return badTable("%s: a text cell is at most %d characters", what, cellChars)
		}
		return nil
	}
	return badTable("%s: a cell is a string, a number, a boolean or null (store structured data as JSON text)", what)
}

func checkWhere(v interface{}, required bool) (map[string]interface{}, error) {
	if v == nil {
		if required {
			return nil, badTable("where is required: name the rows to change")
		}
		return nil, nil
	}
	where, ok := v.(map[string]interface{})
	if !ok {
		return nil, badTable("where must be an object of column → value (or a list of values)")
	}
	if len(where) > whereColumns {
		return nil, badTable("where names at most %d columns", whereColumns)
	}
	if required && len(where) == 0 {
		return nil, badTable("where must name at least one column")
	}
	for c, x := range where {
		if err := checkColumn(c, "where"); err != nil {
			return nil, err
		}
		values, isList := x.([]interface{})
		if !isList {
			values = []interface{}{x}
		} else if len(values) == 0 || len(values) > inValues {
			return nil, badTable("where.%s: a list has 1 to %d values", c, inValues)
		}
		for _, y := range values {
			if err := checkCell(y, "where."+c); err != nil {
				return nil, err
			}
			if f, isNum := y.(float64); c == "_id" && (!isNum || f < 1 || f != math.Trunc(f)) {
				return nil, badTable("where._id: row ids are positive integers")
			}
		}
	}
	return where, nil
}

func checkRow(v interface{}, what string, idAllowed bool) (Row, error) {
	row, ok := v.(map[string]interface{})
	if !ok {
		return nil, badTable("%s must be an object of column → cell", what)
	}
	n := len(row)
	if _, has := row["_id"]; has && idAllowed {
		n--
	}
	if n < 1 || n > rowColumns {
		return nil, badTable("%s has 1 to %d columns", what, rowColumns)
	}
	for c, x := range row {
		if c == "_id" && idAllowed {
			continue
		}
		if err := checkColumn(c, what); err != nil {
			return nil, err
		}
		if c == "_id" {
			return nil, badTable("%s: _id is the platform's row id; it cannot be written", what)
		}
		if err := checkCell(x, what+"."+c); err != nil {
			return nil, err
		}
	}
	if b, _ := json.Marshal(row); len(b) > rowBytes {
		return nil, badTable("%s is over %d KB as JSON", what, rowBytes/1024)
	}
	return row, nil
}

// initTables copies Options.Tables through JSON and gives every row without an _id the next one
// of a sequence all tables share, as the platform's.
func (h *Host) initTables() {
	h.Tables = map[string][]Row{}
	h.tableErrors = map[string]error{}
	h.nextID = 1
	for raw, err := range h.opts.TableErrors {
		name, bad := tableName(raw)
		if bad != nil {
			panic(fmt.Sprintf("asporatest: Options.TableErrors: %v", bad))
		}
		h.tableErrors[name] = err
	}
	seen := map[string]map[float64]bool{}
	for raw, rows := range h.opts.Tables {
		name, err := tableName(raw)
		if err != nil {
			panic(fmt.Sprintf("asporatest: Options.Tables: %v", err))
		}
		var stored []Row
		if err := remarshal(rows, &stored); err != nil {
			panic(fmt.Sprintf("asporatest: Options.Tables[%q] is not JSON: %v", raw, err))
		}
		if seen[name] == nil {
			seen[name] = map[float64]bool{}
		}
		for i, r := range stored {
			if _, err := checkRow(r, fmt.Sprintf("Options.Tables[%q] row %d", raw, i+1), true); err != nil {
				panic("asporatest: " + err.Error())
			}
			if id, given := r["_id"]; given {
				f, ok := id.(float64)
				if !ok || f < 1 || f != math.Trunc(f) || seen[name][f] {
					panic(fmt.Sprintf("asporatest: Options.Tables[%q]: a row's _id, when given, is a positive integer unique in its table (not %v)", raw, id))
				}
				seen[name][f] = true
				h.nextID = math.Max(h.nextID, f+1)
			}
		}
		h.Tables[name] = append(h.Tables[name], stored...)
	}
	names := make([]string, 0, len(h.Tables))
	for name := range h.Tables {
		names = append(names, name)
	}
	sort.Strings(names) // ids in a stable order: by table name, then as given
	for _, name := range names {
		stored := h.Tables[name]
		for _, r := range stored {
			if _, given := r["_id"]; !given {
				r["_id"] = h.nextID
				h.nextID++
			}
		}
		sort.SliceStable(stored, func(i, j int) bool { return stored[i]["_id"].(float64) < stored[j]["_id"].(float64) })
	}
}

// tableOp answers one of the four ops; h.mu is held.
func (h *Host) tableOp(op string, a map[string]interface{}) (interface{}, error) {
	name, err := tableName(a["table"])
	if err != nil {
		return nil, err
	}
	if err, refused := h.tableErrors[name]; refused {
		return nil, err
	}
	rows := h.Tables[name] // a table not given is empty, as on the platform
	switch op {
	case "state.select":
		return h.selectRows(rows, a)
	case "state.insert":
		list, isList := a["rows"].([]interface{})
		if !isList {
			list = []interface{}{a["rows"]}
		}
		if len(list) == 0 || len(list) > insertRows {
			return nil, badTable("rows is 1 to %d rows", insertRows)
		}
		for i, r := range list {
			if _, err := checkRow(r, fmt.Sprintf("rows[%d]", i), false); err != nil {
				return nil, err
			}
		}
		if len(rows)+len(list) > tableRows {
			return nil, &aspora.Error{Code: "PAYLOAD_TOO_LARGE", Message: fmt.Sprintf("test context: state table %s is full (%d rows)", name, tableRows)}
		}
		added := make([]Row, 0, len(list))
		for _, r := range list {
			row := r.(map[string]interface{})
			row["_id"] = h.nextID
			h.nextID++
			added = append(added, row)
		}
		h.Tables[name] = append(rows, added...)
		return added, nil
	case "state.update":
		where, err := checkWhere(a["where"], true)
		if err != nil {
			return nil, err
		}
		set, err := checkRow(a["set"], "set", false)
		if err != nil {
			return nil, err
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
		where, err := checkWhere(a["where"], true)
		if err != nil {
			return nil, err
		}
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

// matches: every column equal (a column the row lacks is null), or one of a list's values.
// Cells and where values are scalars (both checked), so == compares JSON values: true is not 1.
func matches(r Row, where map[string]interface{}) bool {
	for column, want := range where {
		values, isList := want.([]interface{})
		if !isList {
			values = []interface{}{want}
		}
		found := false
		for _, w := range values {
			found = found || r[column] == w
		}
		if !found {
			return false
		}
	}
	return true
}

func (h *Host) selectRows(rows []Row, a map[string]interface{}) ([]Row, error) {
	where, err := checkWhere(a["where"], false)
	if err != nil {
		return nil, err
	}
	limit := selectDefault
	if l, given := a["limit"]; given {
		n, ok := l.(float64)
		if !ok || n < 1 || n > selectMax || n != math.Trunc(n) {
			return nil, badTable("limit is an integer from 1 to %d", selectMax)
		}
		limit = int(n)
	}
	desc := a["desc"] == true
	out := []Row{} // rows are kept in _id order
	for _, r := range rows {
		if matches(r, where) {
			out = append(out, r)
		}
	}
	if col, given := a["orderBy"].(string); given && col != "_id" {
		if err := checkColumn(col, "orderBy"); err != nil {
			return nil, err
		}
		// ORDER BY data -> col [DESC] NULLS LAST, id: a row without the column comes last either way.
		sort.SliceStable(out, func(i, j int) bool {
			x, hasX := out[i][col]
			y, hasY := out[j][col]
			if !hasX || !hasY {
				return hasX && !hasY
			}
			if desc {
				return orderLess(y, x)
			}
			return orderLess(x, y)
		})
	} else if desc {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	if limit < len(out) {
		out = out[:limit]
	}
	return out, nil
}

// orderRank is PostgreSQL's jsonb order: null < strings < numbers < booleans (text by byte here).
func orderRank(v interface{}) int {
	switch v.(type) {
	case nil:
		return 0
	case string:
		return 1
	case float64:
		return 2
	}
	return 3
}

func orderLess(x, y interface{}) bool {
	rx, ry := orderRank(x), orderRank(y)
	if rx != ry {
		return rx < ry
	}
	switch a := x.(type) {
	case string:
		return a < y.(string)
	case float64:
		return a < y.(float64)
	case bool:
		return !a && y.(bool)
	}
	return false
}
