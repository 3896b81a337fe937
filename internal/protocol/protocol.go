// Package protocol is drover's private wire protocol between the server, its
// workers and the runner child (`drover run-experiment`): the assignment the
// server queues for a worker, the job file a child reads, the JSON event
// lines a child writes on stdout (and a worker forwards through Redis), and
// the typed statuses, failure kinds and event types they carry.
//
// None of it is public: the REST API has its own types in package api, and
// the server converts between the two in one place (internal/server/convert.go).
// The JSON field names here are a wire format shared by processes that may
// run different builds during an upgrade; change them only compatibly.
package protocol

import (
	"encoding/json"
	"time"
)

// Status is the state of an experiment. The lifecycle is
// queued → running → succeeded | failed | cancelled.
type Status string

// Experiment statuses.
const (
	StatusQueued    Status = "queued"
	StatusRunning   Status = "running"
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
	StatusCancelled Status = "cancelled"
)

// Terminal reports whether s is final.
func (s Status) Terminal() bool {
	return s == StatusSucceeded || s == StatusFailed || s == StatusCancelled
}

// FailureKind says why an attempt or experiment failed.
type FailureKind string

// Failure kinds recorded with a failed (or cancelled) experiment.
const (
	FailureUser      FailureKind = "user"      // bad data or parameters: never retried
	FailureInfra     FailureKind = "infra"     // worker lost, child killed, transfer failed: retried up to max_retries
	FailureTimeout   FailureKind = "timeout"   // ran past its time limit
	FailureCancelled FailureKind = "cancelled" // a user asked for it
)

// EventType names the kind of an event line.
type EventType string

// Event types on the runner's stdout, through Redis, in the store and on the
// SSE stream.
const (
	EventProgress EventType = "progress"
	EventLog      EventType = "log"
	EventStatus   EventType = "status"
	EventResult   EventType = "result"
	// EventData reports how an attempt got its dataset (multinode): Bytes
	// moved and whether the worker's cache had it (CacheHit).
	EventData EventType = "data"
	// EventPickup is the worker's measure of how long a claimed attempt
	// took to start (Fraction holds the seconds); the server turns it into
	// a metric and does not store it.
	EventPickup EventType = "pickup"
	// EventPlan opens an AutoML search: Plan holds its task, scorer and
	// time budget.
	EventPlan EventType = "plan"
	// EventCandidate reports one candidate model as soon as the search has
	// scored it: Candidate holds its model, parameters and CV score.
	EventCandidate EventType = "candidate"
)

// Plan is what an AutoML search is about to do (EventPlan).
type Plan struct {
	Task          string  `json:"task"`
	Scorer        string  `json:"scorer"`
	BudgetSeconds float64 `json:"budget_seconds"`
	Rows          int     `json:"rows,omitempty"`
	Features      int     `json:"features,omitempty"`
}

// Candidate is one candidate the search has scored (EventCandidate).
// ElapsedSeconds counts from the start of the run.
type Candidate struct {
	Model          string            `json:"model"`
	Params         map[string]string `json:"params,omitempty"`
	CVScore        float64           `json:"cv_score"`
	CVStd          float64           `json:"cv_std"`
	FitSeconds     float64           `json:"fit_seconds"`
	ElapsedSeconds float64           `json:"elapsed_seconds"`
}

// Error is a failure as it travels between processes: a stable code and a
// one-line message.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Message + " (" + e.Code + ")" }

// Spec is an experiment request as the server hands it on to processors.
// Its JSON names are those of the REST api.Spec.
type Spec struct {
	DatasetID        string            `json:"dataset_id"`
	Name             string            `json:"name,omitempty"`
	Target           string            `json:"target,omitempty"`
	Task             string            `json:"task,omitempty"`
	Scorer           string            `json:"scorer,omitempty"`
	Accuracy         int               `json:"accuracy,omitempty"`
	Time             int               `json:"time,omitempty"`
	Interpretability int               `json:"interpretability,omitempty"`
	Seed             int64             `json:"seed,omitempty"`
	GPUs             int               `json:"gpus,omitempty"`
	Command          string            `json:"command,omitempty"`
	Models           []string          `json:"models,omitempty"`
	Params           map[string]string `json:"params,omitempty"`
	Folds            *int              `json:"folds,omitempty"`
	Priority         string            `json:"priority,omitempty"` // high, normal ("") or low
}

// Event is one progress, log, status, data, plan, candidate or result line
// of an attempt.
// Summary, on a succeeded result, is the engine's summary as JSON.
type Event struct {
	Time        time.Time       `json:"time"`
	Type        EventType       `json:"type"`
	Attempt     int             `json:"attempt,omitempty"`
	Fraction    float64         `json:"fraction,omitempty"`
	Level       string          `json:"level,omitempty"`
	Message     string          `json:"message,omitempty"`
	Status      Status          `json:"status,omitempty"`
	FailureKind FailureKind     `json:"failure_kind,omitempty"`
	Error       *Error          `json:"error,omitempty"`
	Summary     json.RawMessage `json:"summary,omitempty"`
	Bytes       int64           `json:"bytes,omitempty"`
	CacheHit    bool            `json:"cache_hit,omitempty"`
	Plan        *Plan           `json:"plan,omitempty"`
	Candidate   *Candidate      `json:"candidate,omitempty"`
	// Actor is the user whose request caused the event (queued, cancelled,
	// renamed, ... by alice); "" for the system. Only the server sets it.
	Actor string `json:"actor,omitempty"`
}

// Job is what the runner child reads from its --job file.
type Job struct {
	ExperimentID string `json:"experiment_id"`
	Attempt      int    `json:"attempt"`
	Spec         Spec   `json:"spec"`
	DataPath     string `json:"data_path"`
	OutputDir    string `json:"output_dir"`
	Threads      int    `json:"threads,omitempty"`
}

// Assignment is the payload the server queues for a worker: what to run and
// where its data is.
type Assignment struct {
	ExperimentID  string `json:"experiment_id"`
	Spec          Spec   `json:"spec"`
	DatasetSHA256 string `json:"dataset_sha256,omitempty"`
	DatasetSize   int64  `json:"dataset_size,omitempty"`
	// DataPath and ArtifactDir are set in singlenode mode, where workers
	// share the server's disk: the dataset file and the directory under
	// which attempt outputs go (ArtifactDir/attempt-N). In multinode mode
	// data travels through the object store instead.
	DataPath    string `json:"data_path,omitempty"`
	ArtifactDir string `json:"artifact_dir,omitempty"`
	MaxRetries  int    `json:"max_retries"`
}
