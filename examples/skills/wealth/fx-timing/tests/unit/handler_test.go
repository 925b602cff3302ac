package main

import (
	"errors"
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

// fxRates fakes fx_rates_api: a quote at rate (rateToAED AED per unit of the source currency)
// and a fixed history.
func fxRates(rate, rateToAED float64, history []float64) map[string]map[string]asporatest.APIFunc {
	return map[string]map[string]asporatest.APIFunc{"fx_rates_api": {
		"Quote": func(map[string]interface{}) (interface{}, error) {
			return map[string]interface{}{"rate": rate, "rateToAED": rateToAED}, nil
		},
		"History": func(map[string]interface{}) (interface{}, error) { return history, nil },
	}}
}

func TestDeadlineBeatsRate(t *testing.T) {
	ctx := asporatest.NewContext(asporatest.Options{
		Input: aspora.SkillInput{
			UserMessage: "school fees due next week, send now or wait?",
			Metadata:    map[string]interface{}{"from": "AED", "to": "INR", "amount": 5000.0, "days_to_deadline": 6.0},
		},
		APIs: fxRates(22.95, 1, []float64{23.0, 23.2, 23.4, 23.5}),
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
	if res.Data["percentile"] != 0.0 {
		t.Fatalf("percentile = %v, want 0 (today is below every day of the history)", res.Data["percentile"])
	}
	// The handler asked for this corridor and amount, then for 90 days of history.
	calls := asporatest.HostOf(ctx).CallsTo("apis.call")
	if len(calls) != 2 || calls[0].Args["method"] != "Quote" || calls[1].Args["method"] != "History" {
		t.Fatalf("calls = %+v", calls)
	}
	q, h := calls[0].Args["args"].(map[string]interface{}), calls[1].Args["args"].(map[string]interface{})
	if q["from"] != "AED" || q["to"] != "INR" || q["amount"] != 5000.0 || h["days"] != 90.0 {
		t.Fatalf("quote args %v, history args %v", q, h)
	}
}

func TestLargeAmountWithoutDeadlineSplits(t *testing.T) {
	ctx := asporatest.NewContext(asporatest.Options{
		Input: aspora.SkillInput{Metadata: map[string]interface{}{"from": "GBP", "to": "INR", "amount": 5000.0}},
		APIs:  fxRates(110, 4.6, []float64{105, 106, 107, 108, 109}), // 5000 GBP ≈ 23,000 AED
	})
	res, err := Handler(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Message, "splitting into 2–4 transfers") || !strings.Contains(res.Message, "better than on most days") {
		t.Fatalf("message = %q", res.Message)
	}
}

func TestDeniedRatesAPIEndsWithItsCode(t *testing.T) {
	ctx := asporatest.NewContext(asporatest.Options{Input: aspora.SkillInput{Metadata: map[string]interface{}{"from": "AED", "to": "INR", "amount": 100.0}}})
	_, err := Handler(ctx) // no fake for fx_rates_api: the test host denies it, as the platform would
	var e *aspora.Error
	if !errors.As(err, &e) || e.Code != "PERMISSION_DENIED" {
		t.Fatalf("err = %v", err)
	}
}
