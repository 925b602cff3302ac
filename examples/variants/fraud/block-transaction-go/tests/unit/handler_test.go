package main

import (
	"reflect"
	"testing"

	aspora "github.com/aspora/sdk-go"
	"github.com/aspora/sdk-go/testing/asporatest"
)

func context(score float64, blocked *[]map[string]interface{}) *aspora.SkillContext {
	return asporatest.NewContext(asporatest.Options{
		Input: aspora.SkillInput{UserMessage: "block this payment", Domain: "fraud", Metadata: map[string]interface{}{"transactionId": "TX-88213"}},
		User:  &aspora.User{Email: "analyst@aspora.com"},
		Files: map[string]string{"DECISIONS.md": "# Decisions"},
		APIs: map[string]map[string]asporatest.APIFunc{
			"trm_api": {"checkTransaction": func(map[string]interface{}) (interface{}, error) { return score, nil }},
			"internal_fraud_db": {"blockTransaction": func(args map[string]interface{}) (interface{}, error) {
				*blocked = append(*blocked, args)
				return map[string]interface{}{"ok": true}, nil
			}},
		},
	})
}

func TestBlocksWhenTheFraudScoreIsAbove08(t *testing.T) {
	var blocked []map[string]interface{}
	res, err := Handler(context(0.93, &blocked))
	if err != nil || !res.Success {
		t.Fatalf("res %+v err %v", res, err)
	}
	if want := map[string]interface{}{"fraudScore": 0.93, "action": "blocked"}; !reflect.DeepEqual(res.Data, want) {
		t.Fatalf("data %v, want %v", res.Data, want)
	}
	if want := []map[string]interface{}{{"transactionId": "TX-88213", "reason": "High fraud score"}}; !reflect.DeepEqual(blocked, want) {
		t.Fatalf("blocked %v, want %v", blocked, want)
	}
}

func TestApprovesAtOrBelow08WithoutTouchingTheFraudDB(t *testing.T) {
	var blocked []map[string]interface{}
	res, err := Handler(context(0.8, &blocked))
	if err != nil || res.Data["action"] != "approved" || len(blocked) != 0 {
		t.Fatalf("res %+v err %v blocked %v", res, err, blocked)
	}
}
