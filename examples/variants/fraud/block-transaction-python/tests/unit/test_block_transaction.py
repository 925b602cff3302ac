import asyncio
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "code"))

from aspora_sdk.testing import create_test_context  # noqa: E402
from handler import handler  # noqa: E402


def context(score, blocked):
    async def check(**kw):
        return score

    async def block(**kw):
        blocked.append(kw)
        return {"ok": True}

    return create_test_context(
        input={"user_message": "block this payment", "domain": "fraud", "metadata": {"transactionId": "TX-88213"}},
        user="analyst@aspora.com",
        files={"DECISIONS.md": "# Decisions"},
        apis={"trm_api": {"checkTransaction": check}, "internal_fraud_db": {"blockTransaction": block}},
    )


class BlockTransactionTest(unittest.TestCase):
    def test_blocks_when_the_fraud_score_is_above_0_8(self):
        blocked = []
        result = asyncio.run(handler(context(0.93, blocked)))
        self.assertTrue(result.success)
        self.assertEqual(result.data, {"fraudScore": 0.93, "action": "blocked"})
        self.assertEqual(blocked, [{"transactionId": "TX-88213", "reason": "High fraud score"}])

    def test_approves_at_or_below_0_8_without_touching_the_fraud_db(self):
        blocked = []
        result = asyncio.run(handler(context(0.8, blocked)))
        self.assertEqual(result.data["action"], "approved")
        self.assertEqual(blocked, [])


if __name__ == "__main__":
    unittest.main()
