// Package aspora is the Go SDK for Aspora skill handlers.
//
// A handler is a function of a *SkillContext. Every effect it has (files, APIs, the model, state,
// child skills) is a call that the platform checks against the skill's permissions and carries
// out; the handler itself runs in a sandbox with no network and no credentials. Serve runs the
// worker loop of the runtime protocol (docs/runtime-protocol.md) on file descriptor 3; the
// platform generates the main function that calls it, so a skill only writes Handler.
package aspora

import "fmt"

// SkillInput is what the skill was asked.
type SkillInput struct {
	UserMessage string `json:"userMessage"`
	Domain      string `json:"domain,omitempty"`
	// Metadata is always non-nil in a context the platform (or asporatest) built. JSON numbers
	// arrive as float64, objects as map[string]interface{}.
	Metadata map[string]interface{} `json:"metadata"`
}

// SkillResult is what a handler returns.
type SkillResult struct {
	Success bool                   `json:"success"`
	Message string                 `json:"message"`
	Data    map[string]interface{} `json:"data,omitempty"`
	// Confidence in 0..1. Zero means "not given" (it is left out of the result).
	Confidence float64 `json:"confidence,omitempty"`
}

// SkillInfo names the running skill. Role is "" when the skill has none.
type SkillInfo struct {
	Domain  string `json:"domain"`
	Name    string `json:"name"`
	Role    string `json:"role,omitempty"`
	Version string `json:"version"`
}

// User is the end user an execution runs for: whom the platform authenticated, or the user a
// channel's service token (with act-as) named; never read from the input. Team is the user's team
// for this run (the skill's owner team when the user is in it) and Role the role there; Name,
// Team and Role are "" when unknown.
type User struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
	Team  string `json:"team,omitempty"`
	Role  string `json:"role,omitempty"`
}

// Error is a failed host call (PERMISSION_DENIED, NOT_FOUND, BAD_REQUEST, TIMEOUT, UNAVAILABLE,
// BUDGET_EXCEEDED, INTERNAL). A handler that returns one (or an error wrapping one) ends the
// execution with its Code, so a denied permission shows as PERMISSION_DENIED on the record.
type Error struct {
	Code    string                 `json:"code"`
	Message string                 `json:"message"`
	Details map[string]interface{} `json:"details,omitempty"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Handler is the function a Go skill exports as `func Handler(ctx *aspora.SkillContext) (*aspora.SkillResult, error)`.
type Handler = func(ctx *SkillContext) (*SkillResult, error)
