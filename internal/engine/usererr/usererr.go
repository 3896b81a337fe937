// Package usererr holds the one error type the engine returns for bad input
// or bad parameters: a stable machine-readable code and a one-line message.
// The top-level engine package re-exports it as engine.UserError.
package usererr

import "fmt"

// Stable codes. Callers (server, CLI) switch on these, never on messages.
const (
	EmptyFile          = "empty_file"
	NoHeader           = "no_header"
	HeaderOnly         = "header_only"
	RaggedRows         = "ragged_rows"
	InvalidUTF8        = "invalid_utf8"
	DuplicateColumn    = "duplicate_column"
	NotCSV             = "not_csv"
	TargetMissing      = "target_missing"
	TargetConstant     = "target_constant"
	TargetAllMissing   = "target_all_missing"
	TooFewRows         = "too_few_rows"
	UnknownTask        = "unknown_task"
	UnknownScorer      = "unknown_scorer"
	ScorerTaskMismatch = "scorer_task_mismatch"
	DialOutOfRange     = "dial_out_of_range"
	SingleRowClass     = "single_row_class"
	BadParam           = "bad_param"
	UnknownModel       = "unknown_model"
	NoFeatures         = "no_features"
	BadModel           = "bad_model"
	MissingColumns     = "missing_columns"
)

// Error is a problem with the user's data or parameters. It is never worth
// retrying. Message is one line.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Message }

// New returns an *Error with a formatted message.
func New(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}
