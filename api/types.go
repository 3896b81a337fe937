// Package api is drover's public REST contract: the JSON types of the REST
// API and the Go client that speaks it (the CLI and the tests use it).
// Nothing internal lives here: the server↔worker↔child protocol is
// internal/protocol, the store's rows are internal/store's, the engine's
// results are internal/engine's; the server converts at its edge
// (internal/server/convert.go).
package api

import (
	"encoding/json"
	"time"
)

// Experiment statuses. The lifecycle is queued → running → succeeded | failed | cancelled.
const (
	StatusQueued    = "queued"
	StatusRunning   = "running"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
)

// Failure kinds recorded with a failed (or cancelled) experiment.
const (
	FailureUser      = "user"      // bad data or parameters: never retried
	FailureInfra     = "infra"     // worker lost, child killed, transfer failed: retried up to max_retries
	FailureTimeout   = "timeout"   // ran past its time limit
	FailureCancelled = "cancelled" // a user asked for it
)

// Terminal reports whether status is final.
func Terminal(status string) bool {
	return status == StatusSucceeded || status == StatusFailed || status == StatusCancelled
}

// Error is the body of every non-2xx response:
// {"error": {"code": ..., "message": ..., "field": ...}}. Code is stable
// (docs/api.md lists every one); Field, when set, names the request field
// at fault, e.g. "target" or "params.max_depth".
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	Status  int    `json:"-"`
}

func (e *Error) Error() string { return e.Message + " (" + e.Code + ")" }

// ErrorBody wraps Error as it travels in JSON.
type ErrorBody struct {
	Error *Error `json:"error"`
}

// Column describes one dataset column.
type Column struct {
	Name      string     `json:"name"`
	Type      string     `json:"type"` // "numeric" or "categorical"
	Missing   int        `json:"missing"`
	Distinct  int        `json:"distinct"`
	Histogram *Histogram `json:"histogram,omitempty"`
}

// Histogram is a small per-column summary for the UI. For numeric columns
// Edges has len(Counts)+1 entries; for categorical ones Labels names the top levels.
type Histogram struct {
	Edges  []float64 `json:"edges,omitempty"`
	Labels []string  `json:"labels,omitempty"`
	Counts []int     `json:"counts"`
}

// Dataset is an uploaded CSV file, stored once under its SHA-256.
type Dataset struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	SHA256    string    `json:"sha256"`
	Size      int64     `json:"size"`
	Rows      int       `json:"rows"`
	Columns   []Column  `json:"columns"`
	CreatedAt time.Time `json:"created_at"`
	Owner     string    `json:"owner,omitempty"`  // user who uploaded it
	Shared    bool      `json:"shared,omitempty"` // every user may see and use it
}

// User is an account (GET /api/v1/users, admins only). Tokens and password
// hashes are never shown.
type User struct {
	Name        string     `json:"name"`
	Admin       bool       `json:"admin"`
	MaxRunning  int        `json:"max_running"`  // -1 = server default, 0 = no limit
	MaxQueued   int        `json:"max_queued"`   // -1 = server default, 0 = no limit
	MaxPriority string     `json:"max_priority"` // "" = normal (admins: high)
	HasPassword bool       `json:"has_password"`
	CreatedAt   time.Time  `json:"created_at"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
}

// Me is who a request authenticated as (GET /api/v1/me) and the highest
// priority class that user may ask for: high for admins, else the user's
// max_priority or normal.
type Me struct {
	Name        string `json:"name"`
	Admin       bool   `json:"admin"`
	MaxPriority string `json:"max_priority"`
}

// NewUserToken answers user creation and token rotation: the token is
// shown this once.
type NewUserToken struct {
	Name  string `json:"name"`
	Token string `json:"token"`
	Admin bool   `json:"admin,omitempty"`
}

// Spec is what a user asks for when creating an experiment.
type Spec struct {
	DatasetID        string            `json:"dataset_id"`
	Name             string            `json:"name,omitempty"`
	Target           string            `json:"target,omitempty"`
	Task             string            `json:"task,omitempty"`   // auto|binary|multiclass|regression
	Scorer           string            `json:"scorer,omitempty"` // "" = task default
	Accuracy         int               `json:"accuracy,omitempty"`
	Time             int               `json:"time,omitempty"`
	Interpretability int               `json:"interpretability,omitempty"`
	Seed             int64             `json:"seed,omitempty"`
	GPUs             int               `json:"gpus,omitempty"`
	Command          string            `json:"command,omitempty"` // bring-your-own recipe
	Models           []string          `json:"models,omitempty"`
	Params           map[string]string `json:"params,omitempty"`
	Folds            *int              `json:"folds,omitempty"`
	// Priority is the experiment's class: high, normal (default) or low. A
	// free processor takes the oldest runnable experiment of the highest
	// class. Only admins (or users whose max_priority allows it) may ask
	// for high.
	Priority string `json:"priority,omitempty"`
}

// LeaderboardEntry is one model tried by the engine.
type LeaderboardEntry struct {
	Model      string            `json:"model"`
	Params     map[string]string `json:"params"`
	CVScore    float64           `json:"cv_score"`
	CVStd      float64           `json:"cv_std"`
	FitSeconds float64           `json:"fit_seconds"`
}

// Summary is what a finished engine run reports.
type Summary struct {
	Task        string             `json:"task"`
	Scorer      string             `json:"scorer"`
	Leaderboard []LeaderboardEntry `json:"leaderboard"`
	Best        LeaderboardEntry   `json:"best"`
	Metrics     map[string]float64 `json:"metrics,omitempty"`
	Rows        int                `json:"rows,omitempty"`
	Features    int                `json:"features,omitempty"`
	// Notes say what the search cut short or skipped, and why.
	Notes []string `json:"notes,omitempty"`
	// Threshold (binary tasks with cross-validation) reports the decision
	// threshold that maximises F1 on the out-of-fold predictions.
	Threshold *Threshold `json:"threshold,omitempty"`
}

// Threshold is a binary task's decision threshold report. A row is
// predicted positive when P(positive) ≥ the threshold.
type Threshold struct {
	Positive    string          `json:"positive"`     // the positive class
	F1Threshold float64         `json:"f1_threshold"` // maximises out-of-fold F1
	F1          float64         `json:"f1"`           // out-of-fold F1 there
	Confusion   ConfusionMatrix `json:"confusion"`    // out of fold, at f1_threshold
	// Used is the threshold predict applies: f1_threshold when the scorer
	// is f1, the accuracy-maximising one when it is accuracy, else 0.5.
	Used float64 `json:"used"`
}

// ConfusionMatrix counts binary outcomes.
type ConfusionMatrix struct {
	TP int `json:"tp"`
	FP int `json:"fp"`
	TN int `json:"tn"`
	FN int `json:"fn"`
}

// Experiment is the server's view of one experiment.
type Experiment struct {
	ID            string `json:"id"`
	Spec          Spec   `json:"spec"`
	Status        string `json:"status"`
	FailureKind   string `json:"failure_kind,omitempty"`
	Error         *Error `json:"error,omitempty"`
	Attempt       int    `json:"attempt"`
	Worker        string `json:"worker,omitempty"`      // identity of the worker running (or that ran) the attempt
	WorkerName    string `json:"worker_name,omitempty"` // its stable name (worker_name, or host-derived)
	Queue         string `json:"queue,omitempty"`       // "cpu" or "gpu"
	QueuePosition int    `json:"queue_position,omitempty"`
	WaitReason    string `json:"wait_reason,omitempty"`
	// WaitKind classifies WaitReason: no_worker, no_gpu, capability and
	// quota last until someone acts (they raise an Alert); busy and
	// claiming pass by themselves.
	WaitKind string `json:"wait_kind,omitempty"`
	// QueuePlace says both for people: "#3 in CPU queue (normal): 1
	// high-priority experiment ahead; all 4 processors busy".
	QueuePlace string `json:"queue_place,omitempty"`
	// HigherPriorityAhead counts queued experiments of a higher class
	// ahead of it in its queue.
	HigherPriorityAhead int `json:"higher_priority_ahead,omitempty"`
	// Owner is the user who created it; the bootstrap admin ("admin") for
	// experiments of a drover without users.
	Owner string `json:"owner,omitempty"`
	// Tags are labels its owner gives it (PATCH /api/v1/experiments/{id});
	// the name is Spec.Name.
	Tags       []string   `json:"tags,omitempty"`
	Progress   float64    `json:"progress"`
	Message    string     `json:"message,omitempty"`
	Summary    *Summary   `json:"summary,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// Event types on the runner's stdout, in the store and on the SSE stream.
const (
	EventProgress = "progress"
	EventLog      = "log"
	EventStatus   = "status"
	EventResult   = "result"
	// EventData reports how an attempt got its dataset (multinode): Bytes
	// moved and whether the worker's cache had it (CacheHit).
	EventData = "data"
	// EventPlan opens an AutoML search: Plan holds its task, scorer and
	// time budget.
	EventPlan = "plan"
	// EventCandidate reports one candidate model as soon as the search has
	// scored it (the live leaderboard): Candidate holds it.
	EventCandidate = "candidate"
)

// Plan is what an AutoML search is about to do (a plan event).
type Plan struct {
	Task          string  `json:"task"`
	Scorer        string  `json:"scorer"`
	BudgetSeconds float64 `json:"budget_seconds"` // the whole run's time budget
	Rows          int     `json:"rows,omitempty"`
	Features      int     `json:"features,omitempty"`
}

// Candidate is one candidate the search has scored (a candidate event):
// its leaderboard row and the seconds since the run started.
type Candidate struct {
	Model          string            `json:"model"`
	Params         map[string]string `json:"params,omitempty"`
	CVScore        float64           `json:"cv_score"`
	CVStd          float64           `json:"cv_std"`
	FitSeconds     float64           `json:"fit_seconds"`
	ElapsedSeconds float64           `json:"elapsed_seconds"`
}

// Event is one progress, log, status, plan, candidate or result line of an attempt.
type Event struct {
	Seq         int64           `json:"seq,omitempty"`
	Time        time.Time       `json:"time"`
	Type        string          `json:"type"`
	Attempt     int             `json:"attempt,omitempty"`
	Fraction    float64         `json:"fraction,omitempty"`
	Level       string          `json:"level,omitempty"`
	Message     string          `json:"message,omitempty"`
	Status      string          `json:"status,omitempty"`
	FailureKind string          `json:"failure_kind,omitempty"`
	Error       *Error          `json:"error,omitempty"`
	Summary     json.RawMessage `json:"summary,omitempty"`
	Bytes       int64           `json:"bytes,omitempty"`
	CacheHit    bool            `json:"cache_hit,omitempty"`
	Plan        *Plan           `json:"plan,omitempty"`
	Candidate   *Candidate      `json:"candidate,omitempty"`
	// Actor is the user whose request caused the event ("alice" queued,
	// cancelled, renamed, finished, ...); empty for the system.
	Actor string `json:"actor,omitempty"`
}

// ExperimentPatch is the body of PATCH /api/v1/experiments/{id}: fields
// left nil are unchanged. Tags replaces the tags; AddTags and RemoveTags
// change them (applied after Tags), so two clients adding tags at once
// lose neither.
type ExperimentPatch struct {
	Name       *string   `json:"name,omitempty"`
	Tags       *[]string `json:"tags,omitempty"`
	AddTags    []string  `json:"add_tags,omitempty"`
	RemoveTags []string  `json:"remove_tags,omitempty"`
}

// Artifact is one file an experiment produced.
type Artifact struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// Worker is one processor pool as shown by system info.
type Worker struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Host         string   `json:"host"`
	Processors   int      `json:"processors"`
	Running      []string `json:"running"`
	GPUs         int      `json:"gpus"`
	FreeGPUs     int      `json:"free_gpus"`
	Capabilities []string `json:"capabilities,omitempty"`
	Health       string   `json:"health"` // healthy | suspect | unhealthy | quarantined
	// State is "active", or "draining (2 running)" / "drained" after drover
	// worker drain: a draining worker takes nothing new.
	State    string `json:"state,omitempty"`
	Draining bool   `json:"draining,omitempty"`
	// RunningOthers counts, for a user who is not an admin, the
	// experiments of other users it runs (their ids are not shown).
	RunningOthers int        `json:"running_others,omitempty"`
	LastSeen      *time.Time `json:"last_seen,omitempty"`
	StartedAt     *time.Time `json:"started_at,omitempty"`
}

// QueueDepth counts queued experiments by queue.
type QueueDepth struct {
	CPU int `json:"cpu"`
	GPU int `json:"gpu"`
}

// SystemInfo is Resources > System Info.
type SystemInfo struct {
	Version         string     `json:"version"`
	WorkerMode      string     `json:"worker_mode"`
	TotalProcessors int        `json:"total_processors"`
	BusyProcessors  int        `json:"busy_processors"`
	Workers         []Worker   `json:"workers"`
	Queue           QueueDepth `json:"queue"`
	CPUCores        int        `json:"cpu_cores"`
	// Alerts are what can never run, or waits on a person, as of now.
	Alerts []Alert `json:"alerts"`
	// Experiments counts the experiments the caller may see by status
	// (queued, running, succeeded, failed, cancelled; every one present).
	Experiments map[string]int `json:"experiments"`
	// Datasets counts the datasets the caller may see.
	Datasets int `json:"datasets"`
}

// Alert is a group of queued experiments that wait for the same reason,
// one that lasts until someone acts: "12 experiments need a GPU and no
// worker online has one".
type Alert struct {
	Kind        string   `json:"kind"`  // no_worker | no_gpu | capability | quota
	Level       string   `json:"level"` // "error": can never run as things are; "warning": waits on a person
	Message     string   `json:"message"`
	Count       int      `json:"count"`
	Experiments []string `json:"experiments"` // the oldest few, at most 10
}
