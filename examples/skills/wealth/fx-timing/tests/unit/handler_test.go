package main

import (
	"strings"
	"testing"

	aspora "github.com/aspora/sdk-go"
	"github.com/aspora/sdk-go/testing/asporatest"
)

func TestDescribePercentile(t *testing.T) {
	history := []float64{22.9, 23.0, 23.1, 23.2, 23.3, 23.4, 23.5, 23.6}
	s := Describe(history, 23.45)
	if s.Percentile != 75 {
		t.Fatalf("percentile = %v, want 75", s.Percentile)
	}
	if s.Min != 22.9 || s.Max != 23.6 {
		t.Fatalf("range = %v–%v", s.Min, s.Max)
	}
	if Framing(s.Percentile) != "better than on most days in the last 3 months" {
		t.Fatalf("framing = %q", Framing(s.Percentile))
	}
}

func TestDeadlineBeatsRate(t *testing.T) {
	ctx := asporatest.NewContext(asporatest.Options{
		Input: aspora.SkillInput{
			UserMessage: "school fees due next week, send now or wait?",
			Metadata:    map[string]interface{}{"from": "AED", "to": "INR", "amount": 5000.0, "days_to_deadline": 6.0},
		},
		FXRates: asporatest.FXRatesStub{Rate: 22.95, RateToAED: 1, History: []float64{23.0, 23.2, 23.4, 23.5}},
	})
	res, err := Handler(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Message, "sending now is the safe choice") {
		t.Fatalf("message = %q", res.Message)
	}
	if !strings.Contains(res.Message, "not a forecast") {
		t.Fatal("missing disclaimer")
	}
}
