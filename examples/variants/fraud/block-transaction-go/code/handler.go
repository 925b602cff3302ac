// code/handler.go — the Go variant of fraud/block-transaction.
package main

import (
	aspora "github.com/aspora/sdk-go"
)

const blockAbove = 0.8

func init() {
	aspora.RegisterTool(aspora.Tool{
		Name:        "fraudScore",
		Description: "The TRM fraud score (0 = clean, 1 = certain fraud) of a transaction",
		Parameters: map[string]interface{}{
			"type":       "object",
			"properties": map[string]interface{}{"transactionId": map[string]interface{}{"type": "string"}},
			"required":   []interface{}{"transactionId"},
		},
		Run: func(ctx *aspora.SkillContext, args map[string]interface{}) (interface{}, error) {
			var score float64
			return score, ctx.APIs.Call("trm_api", "checkTransaction", args, &score)
		},
	})
}

// Handler blocks suspicious transactions.
func Handler(ctx *aspora.SkillContext) (*aspora.SkillResult, error) {
	transactionID, _ := ctx.Input.Metadata["transactionId"].(string)
	// DECISIONS.md travels with the skill: the host reads it for the handler.
	if _, err := ctx.Tools.Read("DECISIONS.md"); err != nil {
		return nil, err
	}

	var fraudScore float64
	if err := ctx.APIs.Call("trm_api", "checkTransaction", map[string]interface{}{"transactionId": transactionID}, &fraudScore); err != nil {
		return nil, err
	}

	if fraudScore > blockAbove {
		if err := ctx.APIs.Call("internal_fraud_db", "blockTransaction", map[string]interface{}{"transactionId": transactionID, "reason": "High fraud score"}, nil); err != nil {
			return nil, err
		}
		return &aspora.SkillResult{
			Success:    true,
			Message:    "🚫 Transaction blocked due to high fraud score",
			Data:       map[string]interface{}{"fraudScore": fraudScore, "action": "blocked"},
			Confidence: 0.95,
		}, nil
	}

	return &aspora.SkillResult{
		Success:    true,
		Message:    "✅ Transaction approved",
		Data:       map[string]interface{}{"fraudScore": fraudScore, "action": "approved"},
		Confidence: 0.85,
	}, nil
}
