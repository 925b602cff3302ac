# code/handler.py
from aspora_sdk import SkillContext, SkillResult, skill_handler

ANALYST_AMOUNT_AED = 10_000


def decide(dispute: dict, payment: dict, payout: dict, risk: dict) -> str:
    """Deterministic decision table from SKILL.md: accept | challenge | analyst_review."""
    if dispute["amount_aed"] > ANALYST_AMOUNT_AED or risk.get("prior_disputes", 0) >= 2 or dispute["days_left"] < 2:
        return "analyst_review"
    category = dispute["category"]
    delivered = payout.get("status") == "DELIVERED" and bool(payout.get("utr"))
    if category == "not_received":
        return "challenge" if delivered else "accept"
    if category == "unauthorized":
        strong = payment.get("three_ds") == "authenticated" and risk.get("kyc_name_match") and not payment.get("new_device")
        return "challenge" if strong and delivered else "accept"
    if category in ("duplicate", "credit_not_processed"):
        return "accept"
    return "analyst_review"


@skill_handler
async def handler(context: SkillContext) -> SkillResult:
    """Draft the response to a chargeback or refund dispute."""
    dispute_id = context.input.metadata.get("dispute_id")
    if not dispute_id:
        return SkillResult(success=True, message="Which dispute? Send the dispute ID (e.g. DSP-4471) or payment ID.", confidence=0.6)

    dispute = await context.apis.checkout_disputes.get_dispute(dispute_id=dispute_id)
    payment = await context.apis.payments_ledger.get_payment(payment_id=dispute["payment_id"])
    payout = await context.apis.payout_partners.get_payout_status(order_id=payment["order_id"])
    risk = await context.apis.internal_fraud_db.get_user_risk(user_id=payment["user_id"])

    decision = decide(dispute, payment, payout, risk)
    draft = await context.model.chat(messages=[
        {"role": "system", "content": "Draft the dispute response per SKILL.md: summary line, facts, decision, evidence pack items "
                                      "(challenge) or refund instruction (accept), and a neutral customer reply. Mask references to last 4."},
        {"role": "user", "content": str({"dispute": dispute, "payment": payment, "payout": payout, "risk": risk, "decision": decision})},
    ])
    case = await context.apis.internal_fraud_db.save_dispute_draft(
        dispute_id=dispute_id, decision=decision, draft=draft.content, status="DRAFT")

    context.log.info("dispute drafted", {"dispute_id": dispute_id, "decision": decision, "days_left": dispute["days_left"]})
    return SkillResult(
        success=True,
        message=f"⚖️ {dispute_id}: {decision.upper()} · evidence due in {dispute['days_left']} days · case {case['case_id']} (DRAFT)\n{draft.content}",
        data={"dispute_id": dispute_id, "decision": decision, "case_id": case["case_id"]},
        confidence=0.9 if decision != "analyst_review" else 0.6,
    )
