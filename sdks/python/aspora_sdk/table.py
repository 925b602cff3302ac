"""Row tables of shared state (``context.state.table(name)``): the state.select / insert / update /
delete host calls. The platform checks each against the skill's ``permissions.sheets_access`` row
rules and its own bounds; this module only shapes the calls and stops the mistakes that need no
round trip."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Union

from .errors import AsporaError

if TYPE_CHECKING:  # the Host protocol lives with the context, which imports this module
    from .context import Host

Cell = Union[str, int, float, bool, None]
"""What a cell holds, as in a spreadsheet: structured data goes in as JSON text."""

Row = Dict[str, Any]
"""A row: column name → cell, with the integer ``_id`` the platform gave it."""

Where = Mapping[str, Union[Cell, Sequence[Cell]]]
"""Column → value (equality) or list of values (IN); every pair must hold. ``_id`` is a column,
and None matches a row without the column as well as a null cell."""


def _bad(what: str, hint: str) -> AsporaError:
    return AsporaError("BAD_REQUEST", f"{what}: {hint}")


def _is_cell(v: Any) -> bool:
    if isinstance(v, float):
        return math.isfinite(v)  # NaN and infinities are not JSON
    return v is None or isinstance(v, (str, int, bool))


def _check_column(op: str, what: str, column: Any) -> None:
    if not isinstance(column, str) or not column:
        raise _bad(f"{op}: {what} has the column {column!r}", "a column is a non-empty string")


def check_where(op: str, where: Any, required: bool) -> Dict[str, Any]:
    """A where clause as it goes on the wire; AsporaError BAD_REQUEST for a shape the host refuses.
    required (update, delete): it must name at least one column."""
    if not isinstance(where, Mapping):
        raise _bad(f"{op}: where is {type(where).__name__}", 'give a dict of column → value or list of values, e.g. {"Status": ["NEW", "IN_PROGRESS"]}')
    if required and not where:
        raise _bad(f"{op}: where is empty", 'name the rows to change, e.g. {"Order ID": "A1"}')
    out: Dict[str, Any] = {}
    for column, value in where.items():
        _check_column(op, "where", column)
        if isinstance(value, (list, tuple)):
            if not value or not all(_is_cell(v) for v in value):
                raise _bad(f"{op}: where[{column!r}] is {list(value)!r}", "a list means IN and holds one or more strings, numbers, bools or None")
            out[column] = list(value)
        elif _is_cell(value):
            out[column] = value
        else:
            raise _bad(f"{op}: where[{column!r}] is {type(value).__name__}", "give a string, number, bool, None, or a list of them (IN)")
    return out


def _check_cells(op: str, what: str, d: Any) -> Dict[str, Any]:
    """A row (or update's set): a non-empty dict of column name → cell."""
    if not isinstance(d, Mapping) or not d:
        raise _bad(f"{op}: {what} is {'empty' if isinstance(d, Mapping) else type(d).__name__}", f'{what} is a non-empty dict of column name → value, e.g. {{"Status": "NEW"}}')
    for column, value in d.items():
        _check_column(op, what, column)
        if not _is_cell(value):
            raise _bad(f"{op}: {what}[{column!r}] is {type(value).__name__}", "a cell is a string, number, bool or None: store structured data as JSON text (json.dumps)")
    return dict(d)


class Table:
    """One row table of shared state, as ``context.state.table("assignments")`` gives it. Every call
    is checked by the platform against the skill's ``permissions.sheets_access`` rule for the
    table (read, write: all, none or a row condition such as ``Assigned Agent = {user.email}``):
    a select returns only rows the read rule allows, and a refused call raises AsporaError
    PERMISSION_DENIED whose details name the rule."""

    def __init__(self, host: "Host", name: str) -> None:
        if not isinstance(name, str) or not name:
            raise _bad(f"state.table({name!r})", 'a table name is a non-empty string, e.g. state.table("assignments")')
        self._host, self.name = host, name

    async def select(self, where: Optional[Where] = None, limit: Optional[int] = None, order_by: Optional[str] = None, desc: bool = False) -> List[Row]:
        """The rows that match where (None: every row the skill may read), each with its ``_id``;
        at most limit of them (None: the platform's default, 1000; at most 10000), ordered by the
        column order_by (descending with desc=True; a row without it comes last), else by ``_id``."""
        args: Dict[str, Any] = {"table": self.name}
        if where is not None:
            args["where"] = check_where("state.select", where, False)
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
                raise _bad(f"state.select: limit is {limit!r}", "give a positive int, or None for the platform's default")
            args["limit"] = limit
        if order_by is not None:
            _check_column("state.select", "order_by", order_by)
            args["orderBy"] = order_by
        if not isinstance(desc, bool):
            raise _bad(f"state.select: desc is {desc!r}", "give True or False")
        if desc:
            args["desc"] = True
        return _rows(await self._host.call("state.select", args), "state.select")

    async def insert(self, rows: Union[Mapping[str, Cell], Sequence[Mapping[str, Cell]]]) -> List[Row]:
        """Adds one row (a dict) or several (a list of dicts) and returns them as stored, each
        with the ``_id`` the platform gave it (a list, also for one row)."""
        many = rows if isinstance(rows, (list, tuple)) else [rows]
        if not many:
            raise _bad("state.insert: no rows", "give a dict or a non-empty list of dicts")
        wire = [_check_cells("state.insert", "a row", r) for r in many]
        return _rows(await self._host.call("state.insert", {"table": self.name, "rows": wire}), "state.insert")

    async def update(self, where: Where, set: Mapping[str, Cell]) -> int:
        """Sets the columns of set on every row that matches where (which names at least one
        column) and returns how many changed."""
        w = check_where("state.update", where, True)
        s = _check_cells("state.update", "set", set)
        return _count(await self._host.call("state.update", {"table": self.name, "where": w, "set": s}), "state.update")

    async def delete(self, where: Where) -> int:
        """Removes every row that matches where (which names at least one column); returns how many."""
        w = check_where("state.delete", where, True)
        return _count(await self._host.call("state.delete", {"table": self.name, "where": w}), "state.delete")

    def __repr__(self) -> str:
        return f"<state table {self.name}>"


def _rows(value: Any, op: str) -> List[Row]:
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise AsporaError("INTERNAL", f"{op} returned {type(value).__name__}, not a list of rows")
    return value


def _count(value: Any, op: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AsporaError("INTERNAL", f"{op} returned {type(value).__name__}, not a count of rows")
    return value
