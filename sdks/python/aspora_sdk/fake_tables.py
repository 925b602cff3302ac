"""The row tables of aspora_sdk.testing: state.select / insert / update / delete answered from
memory, with the platform's checks and limits (packages/platform/src/state/where.ts) and its
answers: ``_id``, where equality and IN, limit, order. It evaluates no permissions.sheets_access
rule: every row is readable and writable. A row rule is the platform's to enforce; a test of how a
handler takes a refusal gives the error in table_errors= instead."""
from __future__ import annotations

import json
import math
import re
from typing import Any, Dict, List, Mapping, Optional, Tuple

from .errors import AsporaError

Row = Dict[str, Any]

# The platform's bounds (STATE_LIMITS in packages/platform/src/state/where.ts).
WHERE_COLUMNS, IN_VALUES, ROW_COLUMNS, COLUMN_CHARS, CELL_CHARS = 20, 1000, 100, 64, 10_000
ROW_BYTES, INSERT_ROWS, SELECT_MAX, SELECT_DEFAULT, TABLE_ROWS = 64 * 1024, 1000, 10_000, 1000, 100_000
TABLE_RE = re.compile(r"[a-z][a-z0-9_]{0,62}")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _bad(msg: str) -> AsporaError:
    return AsporaError("BAD_REQUEST", f"test context: {msg}")


def table_name(raw: Any) -> str:
    """``assignments_tab`` (the config's spelling) and ``assignments`` name the same table."""
    name = raw[:-4] if isinstance(raw, str) and raw.endswith("_tab") and len(raw) > 4 else raw
    if not isinstance(name, str) or not TABLE_RE.fullmatch(name):
        raise _bad(f"table {raw!r} is not a lowercase name such as assignments")
    return name


def _column(c: Any, what: str) -> str:
    if not isinstance(c, str) or not 1 <= len(c) <= COLUMN_CHARS or CONTROL.search(c):
        raise _bad(f"{what}: a column name is 1 to {COLUMN_CHARS} printable characters, not {c!r}")
    return c


def _cell(v: Any, what: str) -> Any:
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        if not math.isfinite(v):
            raise _bad(f"{what}: numbers must be finite")
        return v
    if isinstance(v, str):
        if len(v) > CELL_CHARS:
            raise _bad(f"{what}: a text cell is at most {CELL_CHARS} characters")
        return v
    raise _bad(f"{what}: a cell is a string, a number, a boolean or null (store structured data as JSON text)")


def _where(v: Any, required: bool) -> Dict[str, Any]:
    if v is None:
        if required:
            raise _bad("where is required: name the rows to change")
        return {}
    if not isinstance(v, dict):
        raise _bad("where must be an object of column → value (or a list of values)")
    if len(v) > WHERE_COLUMNS:
        raise _bad(f"where names at most {WHERE_COLUMNS} columns")
    if required and not v:
        raise _bad("where must name at least one column")
    for c, x in v.items():
        _column(c, "where")
        values = x if isinstance(x, list) else [x]
        if isinstance(x, list) and not 1 <= len(x) <= IN_VALUES:
            raise _bad(f"where.{c}: a list has 1 to {IN_VALUES} values")
        for y in values:
            _cell(y, f"where.{c}")
            if c == "_id" and (isinstance(y, bool) or not isinstance(y, (int, float)) or y != int(y) or y < 1):
                raise _bad("where._id: row ids are positive integers")
    return v


def _row(v: Any, what: str, id_allowed: bool = False) -> Row:
    if not isinstance(v, dict):
        raise _bad(f"{what} must be an object of column → cell")
    columns = [c for c in v if not (id_allowed and c == "_id")]
    if not 1 <= len(columns) <= ROW_COLUMNS:
        raise _bad(f"{what} has 1 to {ROW_COLUMNS} columns")
    for c in columns:
        _column(c, what)
        if c == "_id":
            raise _bad(f"{what}: _id is the platform's row id; it cannot be written")
        _cell(v[c], f"{what}.{c}")
    if len(json.dumps(v, ensure_ascii=False).encode()) > ROW_BYTES:
        raise _bad(f"{what} is over {ROW_BYTES // 1024} KB as JSON")
    return v


def _same(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but True is not 1 (Python's == says it is)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return a == b


def _matches(row: Row, where: Mapping[str, Any]) -> bool:
    for column, want in where.items():
        have = row.get(column)  # a column the row lacks is null
        if not any(_same(have, w) for w in (want if isinstance(want, list) else [want])):
            return False
    return True


def _order_key(value: Any) -> Tuple[int, Any]:
    """PostgreSQL's jsonb order: null < strings < numbers < booleans (text by code point here)."""
    if value is None:
        return (0, 0)
    if isinstance(value, str):
        return (1, value)
    if isinstance(value, bool):
        return (3, value)
    return (2, value)


class FakeTables:
    """Tables by name (``assignments_tab`` is ``assignments``); ``tables`` is what they hold (the
    rows as stored, with ``_id``). A table not given starts empty, as on the platform."""

    def __init__(self, initial: Optional[Mapping[str, Any]], errors: Optional[Mapping[str, AsporaError]] = None) -> None:
        self.tables: Dict[str, List[Row]] = {}
        self._next_id = 1  # one sequence for every table, as the platform's
        self._errors: Dict[str, AsporaError] = {}
        for raw, e in (errors or {}).items():
            if not isinstance(e, AsporaError):
                raise TypeError(f"table_errors= maps a table name to the AsporaError its calls raise ({raw!r} does not)")
            self._errors[self._given_name(raw, "table_errors=")] = e
        for raw, rows in (initial or {}).items():
            name = self._given_name(raw, "tables=")
            if not isinstance(rows, list):
                raise TypeError(f"tables={{{raw!r}: …}} is a list of rows")
            try:
                for i, r in enumerate(rows):
                    _row(r, f"tables={{{raw!r}: …}} row {i + 1}", id_allowed=True)
            except AsporaError as e:
                raise TypeError(e.message) from None
            given = [r["_id"] for r in rows if "_id" in r]
            if any(isinstance(i, bool) or not isinstance(i, int) or i < 1 for i in given) or len(set(given)) != len(given):
                raise TypeError(f"tables={{{raw!r}: …}}: a row's _id, when given, is a positive int unique in its table")
            self.tables.setdefault(name, []).extend(dict(r) for r in rows)
            self._next_id = max([self._next_id, *(i + 1 for i in given)])
        for stored in self.tables.values():
            for r in stored:
                if "_id" not in r:
                    r["_id"] = self._next_id
                    self._next_id += 1
            stored.sort(key=lambda r: r["_id"])

    @staticmethod
    def _given_name(raw: Any, option: str) -> str:
        try:
            return table_name(raw)
        except AsporaError as e:
            raise TypeError(f"{option}: {e.message}") from None

    def _table(self, a: Mapping[str, Any]) -> Tuple[str, List[Row]]:
        name = table_name(a.get("table"))
        refusal = self._errors.get(name)
        if refusal is not None:  # a fresh error per call, as each call's return would be
            raise AsporaError(refusal.code, refusal.message, refusal.details)
        return name, self.tables.setdefault(name, [])

    def select(self, a: Mapping[str, Any]) -> List[Row]:
        _, table = self._table(a)
        where = _where(a.get("where"), False)
        limit, order_by, desc = a.get("limit"), a.get("orderBy"), a.get("desc") is True
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= SELECT_MAX):
            raise _bad(f"limit is an integer from 1 to {SELECT_MAX}")
        rows = [r for r in table if _matches(r, where)]  # table is kept in _id order
        if order_by is not None and _column(order_by, "orderBy") != "_id":
            # ORDER BY data -> col [DESC] NULLS LAST, id: a row without the column comes last either way
            have = [r for r in rows if order_by in r]
            have.sort(key=lambda r: _order_key(r[order_by]), reverse=desc)  # stable: ties stay by _id
            rows = have + [r for r in rows if order_by not in r]
        elif desc:
            rows.reverse()
        return rows[: limit or SELECT_DEFAULT]

    def insert(self, a: Mapping[str, Any]) -> List[Row]:
        _, table = self._table(a)
        rows = a.get("rows")
        rows = rows if isinstance(rows, list) else [rows]
        if not 1 <= len(rows) <= INSERT_ROWS:
            raise _bad(f"rows is 1 to {INSERT_ROWS} rows")
        for i, r in enumerate(rows):
            _row(r, f"rows[{i}]")
        if len(table) + len(rows) > TABLE_ROWS:
            raise AsporaError("PAYLOAD_TOO_LARGE", f"test context: state table {a['table']} is full ({TABLE_ROWS} rows)")
        added = []
        for r in rows:
            added.append({**r, "_id": self._next_id})
            self._next_id += 1
        table.extend(added)
        return added

    def update(self, a: Mapping[str, Any]) -> int:
        _, table = self._table(a)
        where, changes = _where(a.get("where"), True), _row(a.get("set"), "set")
        hit = [r for r in table if _matches(r, where)]
        for r in hit:
            r.update(changes)
        return len(hit)

    def delete(self, a: Mapping[str, Any]) -> int:
        _, table = self._table(a)
        where = _where(a.get("where"), True)
        keep = [r for r in table if not _matches(r, where)]
        removed = len(table) - len(keep)
        table[:] = keep
        return removed
