"""context.state.table: the calls it sends, the mistakes it stops before sending, and the
in-memory tables of aspora_sdk.testing (no sheets_access rule applied there)."""
import asyncio
import unittest

import harness  # noqa: F401  (puts the SDK folder on sys.path)

from aspora_sdk import AsporaError, SkillContext, SkillResult, Table
from aspora_sdk.testing import Call, create_test_context


def run(coro):
    return asyncio.run(coro)


ROWS = [
    {"Order ID": "A1", "Status": "NEW", "Priority": 2, "Assigned Agent": "sarah@example.com"},
    {"Order ID": "A2", "Status": "IN_PROGRESS", "Priority": 5, "Assigned Agent": "dinesh@example.com"},
    {"Order ID": "A3", "Status": "RESOLVED", "Priority": None, "Assigned Agent": "sarah@example.com"},
    {"Order ID": "A4", "Status": "NEW", "Priority": 5, "Assigned Agent": "sarah@example.com", "Urgent": True},
    {"Order ID": "A5", "Status": "NEW", "Urgent": 1},
]


class WireTest(unittest.TestCase):
    """What each method sends: only the arguments given, in the protocol's names."""

    def test_select_sends_only_what_was_given(self) -> None:
        ctx = create_test_context(tables={"t": []})
        t = ctx.state.table("t")
        run(t.select())
        run(t.select({"Status": ("NEW", "IN_PROGRESS"), "_id": 3}, limit=1, order_by="Priority", desc=True))
        self.assertEqual(
            [c.args for c in ctx.calls_to("state.select")],
            [{"table": "t"}, {"table": "t", "where": {"Status": ["NEW", "IN_PROGRESS"], "_id": 3}, "limit": 1, "orderBy": "Priority", "desc": True}],
        )

    def test_one_row_is_sent_as_a_list_of_one(self) -> None:
        ctx = create_test_context(tables={"t": []})
        self.assertEqual(run(ctx.state.table("t").insert({"a": 1})), [{"_id": 1, "a": 1}])
        self.assertEqual(run(ctx.state.table("t").insert(({"a": 2}, {"a": 3}))), [{"_id": 2, "a": 2}, {"_id": 3, "a": 3}])
        self.assertEqual([c.args["rows"] for c in ctx.calls_to("state.insert")], [[{"a": 1}], [{"a": 2}, {"a": 3}]])

    def test_obvious_mistakes_fail_before_any_call(self) -> None:
        ctx = create_test_context(tables={"t": [{"a": 1}]})
        t = ctx.state.table("t")
        mistakes = {
            "empty table name": lambda: ctx.state.table(""),
            "table name not a str": lambda: ctx.state.table(3),  # type: ignore[arg-type]
            "where a list": lambda: run(t.select([("a", 1)])),  # type: ignore[arg-type]
            "where a str": lambda: run(t.delete("a = 1")),  # type: ignore[arg-type]
            "update without where": lambda: run(t.update(None, {"a": 2})),  # type: ignore[arg-type]
            "update of every row": lambda: run(t.update({}, {"a": 2})),
            "delete of every row": lambda: run(t.delete({})),
            "IN of nothing": lambda: run(t.select({"a": []})),
            "limit 0": lambda: run(t.select(limit=0)),
            "a cell that is a dict": lambda: run(t.insert({"a": {"nested": 1}})),
            "a cell that is a list": lambda: run(t.update({"a": 1}, {"tags": ["x"]})),
            "an empty row": lambda: run(t.insert({})),
            "where value a dict": lambda: run(t.select({"a": {"$gt": 1}})),
            "IN list of lists": lambda: run(t.select({"a": [[1]]})),
            "where value NaN": lambda: run(t.select({"a": float("nan")})),
            "empty column": lambda: run(t.select({"": 1})),
            "negative limit": lambda: run(t.select(limit=-1)),
            "limit a bool": lambda: run(t.select(limit=True)),
            "order_by empty": lambda: run(t.select(order_by="")),
            "desc not a bool": lambda: run(t.select(desc="yes")),  # type: ignore[arg-type]
            "no rows": lambda: run(t.insert([])),
            "a row not a dict": lambda: run(t.insert(["a"])),  # type: ignore[list-item]
            "a row with an empty column": lambda: run(t.insert({"": 1})),
            "empty set": lambda: run(t.update({"a": 1}, {})),
        }
        for what, mistake in mistakes.items():
            with self.assertRaises(AsporaError, msg=what) as e:
                mistake()
            self.assertEqual(e.exception.code, "BAD_REQUEST", what)
        self.assertEqual(ctx.calls, [], "a mistake the SDK can see is never sent")
        self.assertIn('state.table("assignments")', mistake_message(lambda: ctx.state.table("")), "the message says what to write")

    def test_a_value_that_is_not_a_list_of_rows_or_a_count_is_internal(self) -> None:
        class Host:
            def __init__(self, value):
                self.value = value

            async def call(self, op, args):
                return self.value

        with self.assertRaises(AsporaError) as e:
            run(Table(Host({"rows": []}), "t").select())
        self.assertEqual(e.exception.code, "INTERNAL")
        with self.assertRaises(AsporaError) as e:
            run(Table(Host(True), "t").delete({"a": 1}))
        self.assertEqual(e.exception.code, "INTERNAL")
        self.assertEqual(run(Table(Host(4), "t").update({"a": 1}, {"a": 2})), 4)


def mistake_message(fn) -> str:
    try:
        fn()
    except AsporaError as e:
        return e.message
    return ""


class FakeTablesTest(unittest.TestCase):
    def setUp(self) -> None:
        self.ctx = create_test_context(tables={"assignments_tab": [dict(r) for r in ROWS]})
        self.t = self.ctx.state.table("assignments")

    def ids(self, rows) -> list:
        return [r["_id"] for r in rows]

    def test_given_rows_get_ids_in_order_and_the_tab_suffix_names_the_same_table(self) -> None:
        self.assertEqual(self.ids(self.ctx.tables["assignments"]), [1, 2, 3, 4, 5])
        self.assertEqual(self.ids(run(self.ctx.state.table("assignments_tab").select())), [1, 2, 3, 4, 5])
        ctx = create_test_context(tables={"t": [{"_id": 7, "a": 1}, {"a": 2}]})
        self.assertEqual(self.ids(ctx.tables["t"]), [7, 8])
        self.assertEqual(run(ctx.state.table("t").insert({"a": 3}))[0]["_id"], 9)
        self.assertEqual(run(ctx.state.table("fresh").select()), [], "a table not given is empty, as on the platform")
        self.assertEqual(run(ctx.state.table("fresh").insert({"a": 1}))[0]["_id"], 10, "one sequence of ids")
        for bad in ({"t": [{"_id": 1, "a": 1}, {"_id": 1, "a": 2}]}, {"t": {"a": 1}}, {"T": []}, {"t": [{"a": {"nested": 1}}]}, {"t": [{}]}):
            with self.assertRaises(TypeError, msg=bad):
                create_test_context(tables=bad)  # type: ignore[arg-type]

    def test_where_is_equality_and_lists_are_in(self) -> None:
        t = self.t
        self.assertEqual(self.ids(run(t.select({"Status": "NEW"}))), [1, 4, 5])
        self.assertEqual(self.ids(run(t.select({"Status": ["NEW", "RESOLVED"], "Assigned Agent": "sarah@example.com"}))), [1, 3, 4])
        self.assertEqual(self.ids(run(t.select({"_id": [2, 5, 99]}))), [2, 5])
        self.assertEqual(self.ids(run(t.select({"Priority": None}))), [3, 5], "None matches a null and a missing column")
        self.assertEqual(self.ids(run(t.select({"Priority": [2, None]}))), [1, 3, 5])
        self.assertEqual(self.ids(run(t.select({"Priority": 5.0}))), [2, 4], "numbers compare as JSON numbers")
        self.assertEqual(self.ids(run(t.select({"Urgent": True}))), [4], "True is not 1")
        self.assertEqual(self.ids(run(t.select({"Urgent": 1}))), [5], "and 1 is not True")
        self.assertEqual(run(t.select({"Order ID": "A1"})), [{**ROWS[0], "_id": 1}])

    def test_order_limit_and_desc_as_the_platform_orders(self) -> None:
        t = self.t
        self.assertEqual(self.ids(run(t.select(order_by="Priority"))), [3, 1, 2, 4, 5], "null first, ties by _id, a missing cell last")
        self.assertEqual(self.ids(run(t.select(order_by="Priority", desc=True))), [2, 4, 1, 3, 5], "descending: a missing cell still last")
        self.assertEqual(self.ids(run(t.select({"Status": "NEW"}, limit=2, order_by="Priority", desc=True))), [4, 1])
        self.assertEqual(self.ids(run(t.select(limit=2))), [1, 2])
        self.assertEqual(self.ids(run(t.select(desc=True))), [5, 4, 3, 2, 1])
        self.assertEqual(self.ids(run(t.select(order_by="_id", desc=True))), [5, 4, 3, 2, 1])
        mixed = create_test_context(tables={"m": [{"v": "b"}, {"v": 10}, {"v": True}, {"v": "a"}, {"v": None}, {"w": 1}, {"v": 2.5}]})
        self.assertEqual(self.ids(run(mixed.state.table("m").select(order_by="v"))), [5, 4, 1, 7, 2, 3, 6], "null < text < numbers < booleans, then missing")
        self.assertEqual(self.ids(run(mixed.state.table("m").select(order_by="v", desc=True))), [3, 2, 7, 1, 4, 5, 6], "as PostgreSQL and PGlite order it")
        many = create_test_context(tables={"n": [{"i": i} for i in range(1200)]})
        self.assertEqual(len(run(many.state.table("n").select())), 1000, "the platform's default limit")

    def test_insert_update_delete_change_the_table(self) -> None:
        t = self.t
        added = run(t.insert([{"Order ID": "A6", "Status": "NEW"}, {"Order ID": "A7", "Status": "NEW"}]))
        self.assertEqual(self.ids(added), [6, 7])
        self.assertEqual(run(t.update({"Status": "NEW", "Assigned Agent": None}, {"Assigned Agent": "sarah@example.com"})), 3)
        self.assertEqual(self.ids(run(t.select({"Assigned Agent": "sarah@example.com", "Status": "NEW"}))), [1, 4, 5, 6, 7])
        self.assertEqual(run(t.update({"Order ID": "nope"}, {"Status": "X"})), 0)
        self.assertEqual(run(t.delete({"Status": ["RESOLVED", "IN_PROGRESS"]})), 2)
        self.assertEqual(run(t.delete({"_id": 1})), 1)
        self.assertEqual(self.ids(self.ctx.tables["assignments"]), [4, 5, 6, 7])

    def test_rows_the_handler_gets_are_copies(self) -> None:
        row = run(self.t.select({"_id": 1}))[0]
        row["Status"] = "changed in the handler"
        self.assertEqual(self.ctx.tables["assignments"][0]["Status"], "NEW")

    def test_what_the_platform_refuses_the_fake_refuses(self) -> None:
        raw = self.ctx.host.call
        refused = {
            "a table name that is not lowercase": raw("state.select", {"table": "Assignments"}),
            "an _id written": raw("state.insert", {"table": "assignments", "rows": [{"_id": 9, "a": 1}]}),
            "an _id changed": raw("state.update", {"table": "assignments", "where": {"_id": 1}, "set": {"_id": 2}}),
            "an update without where": raw("state.update", {"table": "assignments", "set": {"a": 1}}),
            "a delete of every row": raw("state.delete", {"table": "assignments", "where": {}}),
            "an _id that is not a row id": raw("state.select", {"table": "assignments", "where": {"_id": "1"}}),
            "a limit over 10000": raw("state.select", {"table": "assignments", "limit": 10_001}),
            "21 columns in where": raw("state.select", {"table": "assignments", "where": {f"c{i}": 1 for i in range(21)}}),
            "a column name over 64 characters": raw("state.select", {"table": "assignments", "where": {"c" * 65: 1}}),
            "a text cell over 10000 characters": raw("state.insert", {"table": "assignments", "rows": [{"a": "x" * 10_001}]}),
            "1001 rows at once": raw("state.insert", {"table": "assignments", "rows": [{"a": 1}] * 1001}),
            "a structured cell": raw("state.insert", {"table": "assignments", "rows": [{"a": [1]}]}),
        }
        for what, call in refused.items():
            with self.assertRaises(AsporaError, msg=what) as e:
                run(call)
            self.assertEqual(e.exception.code, "BAD_REQUEST", what)
        self.assertEqual(self.ids(self.ctx.tables["assignments"]), [1, 2, 3, 4, 5])

    def test_table_errors_stand_for_a_refused_row_rule(self) -> None:
        denied = AsporaError("PERMISSION_DENIED", "no write", {"rule": "permissions.sheets_access.agents_tab.write is none"})
        ctx = create_test_context(tables={"agents": [{"name": "x"}]}, table_errors={"agents_tab": denied})
        for _ in range(2):
            with self.assertRaises(AsporaError) as e:
                run(ctx.state.table("agents").update({"name": "x"}, {"name": "y"}))
            self.assertEqual((e.exception.code, e.exception.details), ("PERMISSION_DENIED", {"rule": "permissions.sheets_access.agents_tab.write is none"}))
        self.assertEqual(ctx.tables["agents"][0]["name"], "x")
        with self.assertRaises(TypeError):
            create_test_context(table_errors={"agents": "denied"})  # type: ignore[dict-item]


async def my_tickets(context: SkillContext) -> SkillResult:
    """A handler as a skill would write it: the user's open tickets, most urgent first."""
    tickets = context.state.table("assignments")
    rows = await tickets.select({"Assigned Agent": context.user.email, "Status": ["NEW", "IN_PROGRESS"]}, limit=10, order_by="Priority", desc=True)
    if rows:
        await tickets.update({"_id": rows[0]["_id"]}, {"Status": "IN_PROGRESS"})
    return SkillResult(True, ", ".join(r["Order ID"] for r in rows) or "nothing open", data={"count": len(rows)})


class HandlerTest(unittest.TestCase):
    def test_a_handler_reads_and_writes_its_rows(self) -> None:
        ctx = create_test_context(user="sarah@example.com", tables={"assignments": [dict(r) for r in ROWS]})
        result = run(my_tickets(ctx))
        self.assertEqual((result.message, result.data), ("A4, A1", {"count": 2}))
        self.assertEqual(ctx.tables["assignments"][3]["Status"], "IN_PROGRESS")
        self.assertEqual(ctx.calls_to("state.update"), [Call("state.update", {"table": "assignments", "where": {"_id": 4}, "set": {"Status": "IN_PROGRESS"}})])


if __name__ == "__main__":
    unittest.main()
