// Package main: wealth/fx-timing handler.
package main

import (
	"fmt"
	"math"

	aspora "github.com/aspora/sdk-go"
)

// Stats describes today's rate against recent history (higher rate = better for the sender).
type Stats struct {
	Min, Max, Mean, Percentile, Volatility float64
}

func Describe(history []float64, today float64) Stats {
	s := Stats{Min: math.Inf(1), Max: math.Inf(-1)}
	below, sum, sq := 0, 0.0, 0.0 // count under today, sum of rates, sum of squared daily changes
	for i, r := range history {
		s.Min, s.Max, sum = math.Min(s.Min, r), math.Max(s.Max, r), sum+r
		if r < today {
			below++
		}
		if i > 0 {
			ch := (r - history[i-1]) / history[i-1]
			sq += ch * ch
		}
	}
	s.Mean = sum / float64(len(history))
	s.Percentile = math.Round(100 * float64(below) / float64(len(history)))
	s.Volatility = math.Sqrt(sq / float64(len(history)-1))
	return s
}

func Framing(p float64) string {
	switch {
	case p >= 75:
		return "better than on most days in the last 3 months"
	case p >= 25:
		return "typical for the last 3 months"
	default:
		return "weaker than usual for the last 3 months"
	}
}

func Handler(ctx *aspora.SkillContext) (*aspora.SkillResult, error) {
	from, _ := ctx.Input.Metadata["from"].(string)
	to, _ := ctx.Input.Metadata["to"].(string)
	amount, _ := ctx.Input.Metadata["amount"].(float64)
	daysToDeadline, hasDeadline := ctx.Input.Metadata["days_to_deadline"].(float64)

	// fx_rates_api.Quote: today's Aspora customer rate, and what one unit of `from` is in AED.
	var quote struct {
		Rate      float64 `json:"rate"`
		RateToAED float64 `json:"rateToAED"`
	}
	if err := ctx.APIs.Call("fx_rates_api", "Quote", map[string]interface{}{"from": from, "to": to, "amount": amount}, &quote); err != nil {
		return nil, err
	}
	// fx_rates_api.History: daily closing rates, oldest first.
	var history []float64
	if err := ctx.APIs.Call("fx_rates_api", "History", map[string]interface{}{"from": from, "to": to, "days": 90}, &history); err != nil {
		return nil, err
	}
	if len(history) < 2 {
		return nil, fmt.Errorf("fx_rates_api.History returned %d rates for %s/%s; at least 2 are needed", len(history), from, to)
	}
	s := Describe(history, quote.Rate)

	advice := "Want a rate alert for a target rate? (expires in 30 days)"
	switch {
	case hasDeadline && daysToDeadline <= 10:
		advice = fmt.Sprintf("Your payment is due in %.0f days → sending now is the safe choice.", daysToDeadline)
	case amount*quote.RateToAED >= 20000:
		advice = "For a large amount, splitting into 2–4 transfers over the next weeks averages out the rate."
	}

	return &aspora.SkillResult{
		Success: true,
		Message: fmt.Sprintf("💱 %s → %s today: %.2f · you'd receive %.0f %s\nLast 90 days: %.2f – %.2f · today is %s (%.0fth percentile)\nvs 90-day average: %+.0f %s on this amount\n%s\nRates move unpredictably; this is not a forecast.",
			from, to, quote.Rate, amount*quote.Rate, to, s.Min, s.Max, Framing(s.Percentile), s.Percentile, amount*(quote.Rate-s.Mean), to, advice),
		Data: map[string]interface{}{
			"percentile": s.Percentile, "volatility": s.Volatility, "mean_90d": s.Mean, "rate": quote.Rate,
		},
		Confidence: 0.9,
	}, nil
}
