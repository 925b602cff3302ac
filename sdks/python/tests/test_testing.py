"""aspora_sdk.testing: the fakes answer from what the test gives and record what the handler did."""
import asyncio
import os
import tempfile
import unittest

import harness  # noqa: F401  (puts the SDK folder on sys.path)

from aspora_sdk import AsporaError, SkillInput, SkillResult, SkillUser
from aspora_sdk.testing import Call, LogEntry, create_test_context


def run(coro):
    return asyncio.run(coro)


class FakesTest(unittest.TestCase):
    def setUp(self) -> None:
        async def get(id):
            return {"id": id, "amount": 42, "tags": ("a", "b")}

        def refund(**kw):
            raise AsporaError("BUDGET_EXCEEDED", "over")

        self.ctx = create_test_context(
            input={"user_message": "refund p1", "metadata": {"id": "p1"}},
            user={"email": "sarah@example.com", "team": "ecm-ops", "role": "field"},
            secrets={"TOKEN": "t"},
            files={"DECISIONS.md": "# Decisions\nrefund under 50\n", "/shared/runbooks/r.md": "refund steps"},
            apis={"payments": {"get": get, "refund": refund, "broken": lambda **kw: {}["missing"]}},
            model={"content": "sure"},
            state={"seen": 2},
        )

    def test_context_fields(self) -> None:
        ctx = self.ctx
        self.assertEqual((ctx.input.user_message, ctx.input.domain, ctx.input.metadata), ("refund p1", None, {"id": "p1"}))
        self.assertEqual(ctx.user, SkillUser(id="sarah@example.com", email="sarah@example.com", team="ecm-ops", role="field"))
        self.assertEqual((ctx.skill.domain, ctx.skill.name, ctx.skill.role, ctx.skill.version), ("test", "skill", None, "0.0.0"))
        self.assertEqual(ctx.execution_id, "test-execution")
        self.assertEqual(ctx.secrets["TOKEN"], "t")
        with self.assertRaises(TypeError):
            ctx.secrets["TOKEN"] = "changed"  # type: ignore[index]
        self.assertNotIn("TOKEN", repr(ctx))

    def test_user_is_none_without_one_and_never_an_input_field(self) -> None:
        self.assertIsNone(create_test_context().user)
        self.assertEqual(create_test_context(user="dinesh@example.com").user.email, "dinesh@example.com")
        with self.assertRaisesRegex(TypeError, "context.user"):
            create_test_context(input={"user_id": "sarah@example.com"})
        with self.assertRaisesRegex(TypeError, "user="):
            create_test_context(user={"mail": "typo@example.com"})

    def test_files(self) -> None:
        ctx = self.ctx
        self.assertTrue(run(ctx.tools.read("./DECISIONS.md")).startswith("# Decisions"))
        self.assertEqual(run(ctx.tools.read("/skill/DECISIONS.md")), run(ctx.tools.read("DECISIONS.md")))
        with self.assertRaises(AsporaError) as e:
            run(ctx.tools.read("nope.md"))
        self.assertEqual(e.exception.code, "NOT_FOUND")
        matches = run(ctx.tools.grep("refund"))
        self.assertEqual([(m.path, m.line) for m in matches], [("/shared/runbooks/r.md", 1), ("DECISIONS.md", 2)])
        self.assertEqual(len(run(ctx.tools.grep("refund", "/shared/"))), 1)
        run(ctx.tools.write("/scratch/out.txt", "done"))
        self.assertEqual(ctx.written, {"/scratch/out.txt": "done"})
        self.assertEqual(run(ctx.tools.read("/scratch/out.txt")), "done")
        self.assertEqual(run(ctx.tools.bash("ls", timeout_ms=500)).exit_code, 0)
        self.assertEqual(ctx.calls_to("tools.bash"), [Call("tools.bash", {"command": "ls", "timeoutMs": 500})])
        with self.assertRaises(AsporaError) as e:
            run(ctx.tools.web_fetch("https://example.com"))
        self.assertEqual(e.exception.code, "PERMISSION_DENIED")

    def test_apis(self) -> None:
        ctx = self.ctx
        p = run(ctx.apis.payments.get(id="p1"))
        self.assertEqual(p, {"id": "p1", "amount": 42, "tags": ["a", "b"]})  # through JSON, as on the platform
        self.assertEqual(run(ctx.apis["payments"]["get"]({"id": "p2"}))["id"], "p2")
        codes = []
        for call in (lambda: ctx.apis.payments.refund(id="p1"), lambda: ctx.apis.ledger.post(), lambda: ctx.apis.payments.broken()):
            try:
                run(call())
            except AsporaError as e:
                codes.append(e.code)
        self.assertEqual(codes, ["BUDGET_EXCEEDED", "PERMISSION_DENIED", "INTERNAL"])
        self.assertEqual(
            [c.args for c in ctx.calls_to("apis.call")][:2],
            [{"api": "payments", "method": "get", "args": {"id": "p1"}}, {"api": "payments", "method": "get", "args": {"id": "p2"}}],
        )
        with self.assertRaises(AsporaError) as e:
            run(ctx.apis.payments.get(id={1, 2}))
        self.assertEqual(e.exception.code, "BAD_REQUEST")

    def test_model_state_logs_metrics(self) -> None:
        ctx = self.ctx
        r = run(ctx.model.chat([{"role": "user", "content": "hi"}], max_tokens=10, task_type="routing"))
        self.assertEqual((r.content, r.model, r.usage.prompt_tokens, r.tool_calls), ("sure", "test-model", 0, None))
        self.assertEqual(ctx.calls_to("model.chat")[0].args, {"messages": [{"role": "user", "content": "hi"}], "maxTokens": 10, "taskType": "routing"})
        self.assertEqual(run(ctx.state.get("seen")), 2)
        self.assertIsNone(run(ctx.state.get("other")))
        run(ctx.state.set("seen", 3))
        self.assertEqual(ctx.stored, {"seen": 3})
        ctx.log.info("checked", {"n": 1})
        ctx.log.warning("careful")
        self.assertEqual(ctx.logs, [LogEntry("info", "checked", {"n": 1}), LogEntry("warn", "careful", None)])
        ctx.metrics.set("refunds", 1)
        self.assertEqual(ctx.metrics, {"refunds": 1})
        with self.assertRaises(ValueError):
            ctx.metrics.set("bad", float("nan"))
        with self.assertRaises(AsporaError) as e:
            run(ctx.invoke("fraud/check", {"user_message": "x"}))
        self.assertEqual(e.exception.code, "PERMISSION_DENIED")


class OptionsTest(unittest.TestCase):
    def test_model_function_and_invoke_fake(self) -> None:
        seen = []

        async def child(skill: str, inp: SkillInput) -> SkillResult:
            seen.append((skill, inp.user_message, inp.metadata))
            return SkillResult(True, f"{skill}:{inp.user_message}", confidence=0.7)

        ctx = create_test_context(model=lambda req: f"{len(req['messages'])} messages", invoke=child, skill={"name": "x", "role": "manager"})
        self.assertEqual(run(ctx.model.chat([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])).content, "2 messages")
        r = run(ctx.invoke("fraud/check", {"userMessage": "tx", "metadata": {"k": 1}}))
        self.assertEqual((r.success, r.message, r.confidence), (True, "fraud/check:tx", 0.7))
        self.assertEqual(seen, [("fraud/check", "tx", {"k": 1})])
        self.assertEqual(ctx.calls_to("invoke")[0].args, {"skill": "fraud/check", "input": {"userMessage": "tx", "metadata": {"k": 1}}})
        self.assertEqual((ctx.skill.name, ctx.skill.role, ctx.skill.domain), ("x", "manager", "test"))

    def test_input_forms(self) -> None:
        self.assertEqual(create_test_context(user_message="hi").input, SkillInput(user_message="hi"))
        self.assertEqual(create_test_context(SkillInput("a", metadata={"m": 1})).input.metadata, {"m": 1})
        self.assertEqual(create_test_context().input.metadata, {})
        with self.assertRaises(TypeError) as e:
            create_test_context(input={"usr_message": "typo"})
        self.assertIn("usr_message", str(e.exception))


if __name__ == "__main__":
    unittest.main()


class SkillFilesTest(unittest.TestCase):
    def test_a_read_not_in_files_reaches_the_skills_own_folder_and_nothing_outside_it(self) -> None:
        with tempfile.TemporaryDirectory() as root:
            skill = os.path.join(root, "skill")
            os.makedirs(os.path.join(skill, "assets"))
            with open(os.path.join(skill, "assets", "limits.json"), "w") as f:
                f.write('{"max":50}')
            with open(os.path.join(root, "outside.txt"), "w") as f:
                f.write("secret")
            os.symlink(os.path.join(root, "outside.txt"), os.path.join(skill, "assets", "link.txt"))
            given = create_test_context(skill_dir=skill, files={"assets/limits.json": "given wins"})
            self.assertEqual(run(given.tools.read("assets/limits.json")), "given wins")
            ctx = create_test_context(skill_dir=skill)
            self.assertEqual(run(ctx.tools.read("assets/limits.json")), '{"max":50}')
            self.assertEqual(run(ctx.tools.read("/skill/assets/limits.json")), '{"max":50}')
            for path in ("../outside.txt", "assets/../../outside.txt", os.path.join(root, "outside.txt"), "assets/link.txt", "assets"):
                with self.assertRaises(AsporaError) as e:
                    run(ctx.tools.read(path))
                self.assertEqual(e.exception.code, "NOT_FOUND", path)
            with self.assertRaises(AsporaError) as e:
                run(create_test_context(skill_dir=False).tools.read("assets/limits.json"))
            self.assertIn("aspora test", str(e.exception))
