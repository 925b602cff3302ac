# code/handler.py — the Python variant of fraud/block-transaction.
from aspora_sdk import SkillContext, SkillResult, skill_handler, tool

BLOCK_ABOVE = 0.8


@skill_handler
async def handler(context: SkillContext) -> SkillResult:
    """Block suspicious transactions."""
    transaction_id = context.input.metadata.get("transactionId")
    # DECISIONS.md travels with the skill: the host reads it for the handler.
    await context.tools.read(path="DECISIONS.md")

    fraud_score = await context.apis.trm_api.checkTransaction(transactionId=transaction_id)

    if fraud_score > BLOCK_ABOVE:
        await context.apis.internal_fraud_db.blockTransaction(transactionId=transaction_id, reason="High fraud score")
        return SkillResult(
            success=True,
            message="🚫 Transaction blocked due to high fraud score",
            data={"fraudScore": fraud_score, "action": "blocked"},
            confidence=0.95,
        )

    return SkillResult(
        success=True,
        message="✅ Transaction approved",
        data={"fraudScore": fraud_score, "action": "approved"},
        confidence=0.85,
    )


@tool(
    description="The TRM fraud score (0 = clean, 1 = certain fraud) of a transaction",
    parameters={"type": "object", "properties": {"transactionId": {"type": "string"}}, "required": ["transactionId"]},
)
async def fraudScore(context: SkillContext, transactionId: str):  # noqa: N802 - the tool's public name
    return await context.apis.trm_api.checkTransaction(transactionId=transactionId)
