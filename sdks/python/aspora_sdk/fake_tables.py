"""The row tables of aspora_sdk.testing: state.select / insert / update / delete answered from
memory. It does what the platform does with the rows (``_id``, where equality and IN, limit,
order) but evaluates no permissions.sheets_access rule: every row of a table it was given is
readable and writable. A row rule is the platform's to enforce; a test of how a handler takes a
refusal gives the error in table_errors= instead."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional, Tuple

from .errors import AsporaError

Row = Dict[str, Any]


def _bad(msg: str) -> AsporaError:
    return AsporaError("BAD_REQUEST", f"test context: {msg}")


def _same(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but True is not 1 (Python's == says it is)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return a == b


def _matches(row: Row, where: Mapping[str, Any]) -> bool:
    for column, want in where.items():
        have = row.get(column)  # a column the row lacks is null
        if isinstance(want, list):
            if not any(_same(have, w) for w in want):
                return False
        elif not _same(have, want):
            return False
    return True


def _order_key(value: Any) -> Tuple[int, Any]:
    """Numbers, then strings, then booleans, then anything else (as JSON text), then null; so null
    sorts last ascending and first descending, as in PostgreSQL."""
    if value is None:
        return (4, 0)
    if isinstance(value, bool):
        return (2, value)
    if isinstance(value, (int, float)):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    return (3, json.dumps(value, sort_keys=True))


class FakeTables:
    """Tables by name; ``tables`` is what they hold (the rows as stored, with ``_id``)."""

    def __init__(self, initial: Optional[Mapping[str, Any]], errors: Optional[Mapping[str, AsporaError]] = None) -> None:
        self.tables: Dict[str, List[Row]] = {}
        self._next: Dict[str, int] = {}
        self._errors = dict(errors or {})
        for name, e in self._errors.items():
            if not isinstance(e, AsporaError):
                raise TypeError(f"table_errors= maps a table name to the AsporaError its calls raise ({name!r} does not)")
        for name, rows in (initial or {}).items():
            if not isinstance(name, str) or not name or not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise TypeError(f"tables= maps a table name to a list of row dicts ({name!r} does not)")
            given = [r["_id"] for r in rows if "_id" in r]
            if any(isinstance(i, bool) or not isinstance(i, int) for i in given) or len(set(given)) != len(given):
                raise TypeError(f"tables={{{name!r}: …}}: a row's _id, when given, is an int unique in its table")
            next_id = max(given, default=0) + 1
            stored = []
            for r in rows:
                if "_id" not in r:
                    r, next_id = {"_id": next_id, **r}, next_id + 1
                stored.append(dict(r))
            self.tables[name], self._next[name] = stored, next_id

    def _table(self, a: Mapping[str, Any]) -> List[Row]:
        name = a.get("table")
        if not isinstance(name, str) or not name:
            raise _bad("table is not a non-empty string")
        refusal = self._errors.get(name)
        if refusal is not None:  # a fresh error per call, as each call's return would be
            raise AsporaError(refusal.code, refusal.message, refusal.details)
        if name not in self.tables:
            raise AsporaError("NOT_FOUND", f"test context: no table {name} (give it in tables=, [] for an empty one)")
        return self.tables[name]

    @staticmethod
    def _where(a: Mapping[str, Any], required: bool) -> Mapping[str, Any]:
        where = a.get("where")
        if where is None and not required:
            return {}
        if not isinstance(where, dict):
            raise _bad("where is not an object of column → value")
        return where

    def select(self, a: Mapping[str, Any]) -> List[Row]:
        rows = [r for r in self._table(a) if _matches(r, self._where(a, False))]
        rows.sort(key=lambda r: r["_id"])
        order_by, desc, limit = a.get("orderBy"), a.get("desc", False), a.get("limit")
        if order_by is not None:
            if not isinstance(order_by, str):
                raise _bad("orderBy is not a column name")
            rows.sort(key=lambda r: _order_key(r.get(order_by)), reverse=bool(desc))  # stable: ties stay by _id
        elif desc:
            rows.reverse()
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
                raise _bad("limit is not a non-negative integer")
            rows = rows[:limit]
        return rows

    def insert(self, a: Mapping[str, Any]) -> List[Row]:
        table, rows = self._table(a), a.get("rows")
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
            raise _bad("rows is not a non-empty list of objects")
        if any("_id" in r for r in rows):
            raise _bad("a new row has an _id: the platform gives it")
        name = a["table"]
        added = []
        for r in rows:
            added.append({"_id": self._next[name], **r})
            self._next[name] += 1
        table.extend(added)
        return added

    def update(self, a: Mapping[str, Any]) -> int:
        table, where, changes = self._table(a), self._where(a, True), a.get("set")
        if not isinstance(changes, dict) or not changes:
            raise _bad("set is not a non-empty object of column → value")
        if "_id" in changes:
            raise _bad("set changes _id, which the platform gives")
        hit = [r for r in table if _matches(r, where)]
        for r in hit:
            r.update(changes)
        return len(hit)

    def delete(self, a: Mapping[str, Any]) -> int:
        table, where = self._table(a), self._where(a, True)
        keep = [r for r in table if not _matches(r, where)]
        removed = len(table) - len(keep)
        table[:] = keep
        return removed
