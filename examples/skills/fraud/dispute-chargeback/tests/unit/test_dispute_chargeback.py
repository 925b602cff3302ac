import asyncio
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "code"))

from aspora_sdk.testing import create_test_context  # noqa: E402
from handler import decide, handler  # noqa: E402

DISPUTE = {"payment_id": "pay_91f2", "amount_aed": 2350, "days_left": 6, "category": "not_received"}
PAYMENT = {"order_id": "AE136ABC00", "user_id": "u_1", "three_ds": "authenticated", "new_device": False}


class DecideTest(unittest.TestCase):
    def test_delivered_not_received_is_challenged(self):
        self.assertEqual(decide(DISPUTE, PAYMENT, {"status": "DELIVERED", "utr": "UTR8841"}, {}), "challenge")

    def test_undelivered_is_refunded(self):
        self.assertEqual(decide(DISPUTE, PAYMENT, {"status": "FAILED"}, {}), "accept")

    def test_large_or_urgent_goes_to_analyst(self):
        self.assertEqual(decide({**DISPUTE, "amount_aed": 15000}, PAYMENT, {}, {}), "analyst_review")
        self.assertEqual(decide({**DISPUTE, "days_left": 1}, PAYMENT, {}, {}), "analyst_review")

    def test_unauthorized_without_3ds_is_accepted(self):
        d = {**DISPUTE, "category": "unauthorized"}
        self.assertEqual(decide(d, {**PAYMENT, "three_ds": None}, {"status": "DELIVERED", "utr": "x"}, {"kyc_name_match": True}), "accept")


class HandlerTest(unittest.TestCase):
    def test_drafts_and_saves_case(self):
        saved = []

        async def save(**kw):
            saved.append(kw)
            return {"case_id": "FR-3310"}

        async def const(value):
            return value

        ctx = create_test_context(
            input={"user_message": "chargeback DSP-4471", "domain": "fraud", "metadata": {"dispute_id": "DSP-4471"}},
            user="analyst@aspora.com",
            apis={
                "checkout_disputes": {"get_dispute": lambda **kw: const(DISPUTE)},
                "payments_ledger": {"get_payment": lambda **kw: const(PAYMENT)},
                "payout_partners": {"get_payout_status": lambda **kw: const({"status": "DELIVERED", "utr": "UTR8841"})},
                "internal_fraud_db": {"get_user_risk": lambda **kw: const({}), "save_dispute_draft": save},
            },
            model={"content": "Decision: CHALLENGE"},
        )
        result = asyncio.run(handler(ctx))
        self.assertTrue(result.success)
        self.assertEqual(result.data["decision"], "challenge")
        self.assertEqual(saved[0]["status"], "DRAFT")


if __name__ == "__main__":
    unittest.main()
