// Package usererr holds the one error type the engine returns for bad input
// or bad parameters: a stable machine-readable code (registered in
// internal/errcode, with its HTTP status and meaning), a one-line message
// and, for a bad spec, the field at fault. The top-level engine package
// re-exports it as engine.UserError.
package usererr

import (
	"fmt"

	"github.com/drover-ml/drover/internal/errcode"
)

// Stable codes. Callers (server, CLI) switch on these, never on messages.
const (
	EmptyFile          = errcode.EmptyFile
	NoHeader           = errcode.NoHeader
	HeaderOnly         = errcode.HeaderOnly
	RaggedRows         = errcode.RaggedRows
	InvalidUTF8        = errcode.InvalidUTF8
	DuplicateColumn    = errcode.DuplicateColumn
	NotCSV             = errcode.NotCSV
	TargetMissing      = errcode.TargetMissing
	TargetConstant     = errcode.TargetConstant
	TargetAllMissing   = errcode.TargetAllMissing
	TooFewRows         = errcode.TooFewRows
	UnknownTask        = errcode.UnknownTask
	TaskTargetMismatch = errcode.TaskTargetMismatch
	UnknownScorer      = errcode.UnknownScorer
	ScorerTaskMismatch = errcode.ScorerTaskMismatch
	DialOutOfRange     = errcode.DialOutOfRange
	SingleRowClass     = errcode.SingleRowClass
	BadParam           = errcode.BadParam
	UnknownModel       = errcode.UnknownModel
	NoFeatures         = errcode.NoFeatures
	BadModel           = errcode.BadModel
	MissingColumns     = errcode.MissingColumns
)

// Error is a problem with the user's data or parameters. It is never worth
// retrying. Message is one line; Field, when set, names the spec field at
// fault ("target", "params.max_depth").
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// New returns an *Error with a formatted message.
func New(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}
