package api

import (
	"context"
	"iter"
	"net/url"
	"strconv"
	"time"
)

// List pages: GET /api/v1/experiments and /api/v1/datasets answer a page
// of slim rows and a cursor for the next page.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// Sort keys of GET /api/v1/experiments (sort=); datasets sort by created
// only. The direction is Order: descending (newest, longest, highest
// first) unless OrderAsc.
const (
	SortCreated  = "created"
	SortDuration = "duration" // from start to finish; unfinished ones come last
	SortScore    = "score"    // the best model's CV score; those without one come last
	OrderAsc     = "asc"
	OrderDesc    = "desc"
)

// ExperimentRow is an experiment in a list: the experiment without its
// summary (leaderboard, metrics, notes), with the best model's score
// instead. GET /api/v1/experiments/{id} has the rest.
type ExperimentRow struct {
	ID                  string     `json:"id"`
	Spec                Spec       `json:"spec"`
	Status              string     `json:"status"`
	FailureKind         string     `json:"failure_kind,omitempty"`
	Error               *Error     `json:"error,omitempty"`
	Attempt             int        `json:"attempt"`
	Worker              string     `json:"worker,omitempty"`
	WorkerName          string     `json:"worker_name,omitempty"`
	Queue               string     `json:"queue,omitempty"`
	QueuePosition       int        `json:"queue_position,omitempty"`
	WaitReason          string     `json:"wait_reason,omitempty"`
	WaitKind            string     `json:"wait_kind,omitempty"`
	QueuePlace          string     `json:"queue_place,omitempty"`
	HigherPriorityAhead int        `json:"higher_priority_ahead,omitempty"`
	Owner               string     `json:"owner,omitempty"`
	Tags                []string   `json:"tags,omitempty"` // labels its owner gives it (PATCH)
	Progress            float64    `json:"progress"`
	Message             string     `json:"message,omitempty"`
	Task                string     `json:"task,omitempty"`   // the task the engine ran (spec.task may be "auto")
	Scorer              string     `json:"scorer,omitempty"` // the scorer of best_score
	BestModel           string     `json:"best_model,omitempty"`
	BestScore           *float64   `json:"best_score,omitempty"`
	DurationSeconds     *float64   `json:"duration_seconds,omitempty"` // from start to finish, once finished
	CreatedAt           time.Time  `json:"created_at"`
	StartedAt           *time.Time `json:"started_at,omitempty"`
	FinishedAt          *time.Time `json:"finished_at,omitempty"`
}

// ExperimentPage is one page of GET /api/v1/experiments.
type ExperimentPage struct {
	Items []ExperimentRow `json:"items"`
	// NextCursor fetches the next page; empty on the last one.
	NextCursor string `json:"next_cursor,omitempty"`
}

// DatasetRow is a dataset in a list: no column summaries.
type DatasetRow struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	Rows        int       `json:"rows"`
	ColumnCount int       `json:"column_count"`
	CreatedAt   time.Time `json:"created_at"`
	Owner       string    `json:"owner,omitempty"`
	Shared      bool      `json:"shared,omitempty"`
}

// DatasetPage is one page of GET /api/v1/datasets.
type DatasetPage struct {
	Items      []DatasetRow `json:"items"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

// ListOptions select and page a list. Zero values mean the server's
// defaults (DefaultPageSize rows, newest first, no filter). Filters other
// than Q and Owner apply to experiments only.
type ListOptions struct {
	Limit    int
	Cursor   string // the NextCursor of the previous page, with the same options
	Sort     string // SortCreated (default), SortDuration or SortScore
	Order    string // OrderDesc (default) or OrderAsc
	Q        string // text in the id or name (experiments: or target)
	Owner    string // admins: one user's only
	Status   string // comma-separated statuses
	Dataset  string // a dataset id
	Task     string // binary, multiclass, regression (the task that ran)
	Worker   string // a worker's name
	Priority string // high, normal or low
	Tag      string // experiments with this tag (exactly)
}

func (o ListOptions) query() string {
	v := url.Values{}
	if o.Limit != 0 {
		v.Set("limit", strconv.Itoa(o.Limit))
	}
	for k, s := range map[string]string{"cursor": o.Cursor, "sort": o.Sort, "order": o.Order, "q": o.Q, "owner": o.Owner,
		"status": o.Status, "dataset": o.Dataset, "task": o.Task, "worker": o.Worker, "priority": o.Priority, "tag": o.Tag} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// ListExperimentsPage returns one page of experiments.
func (c *Client) ListExperimentsPage(ctx context.Context, opts ListOptions) (*ExperimentPage, error) {
	var out ExperimentPage
	return &out, c.getJSON(ctx, "/api/v1/experiments"+opts.query(), &out)
}

// ListDatasetsPage returns one page of datasets.
func (c *Client) ListDatasetsPage(ctx context.Context, opts ListOptions) (*DatasetPage, error) {
	var out DatasetPage
	return &out, c.getJSON(ctx, "/api/v1/datasets"+opts.query(), &out)
}

// Experiments iterates over every experiment opts selects, fetching pages
// of opts.Limit rows (default DefaultPageSize) as it goes. It stops at the
// first error, which it yields.
func (c *Client) Experiments(ctx context.Context, opts ListOptions) iter.Seq2[ExperimentRow, error] {
	return func(yield func(ExperimentRow, error) bool) {
		for {
			p, err := c.ListExperimentsPage(ctx, opts)
			if err != nil {
				yield(ExperimentRow{}, err)
				return
			}
			for _, r := range p.Items {
				if !yield(r, nil) {
					return
				}
			}
			if p.NextCursor == "" || len(p.Items) == 0 {
				return
			}
			opts.Cursor = p.NextCursor
		}
	}
}

// Datasets iterates over every dataset opts selects, page by page.
func (c *Client) Datasets(ctx context.Context, opts ListOptions) iter.Seq2[DatasetRow, error] {
	return func(yield func(DatasetRow, error) bool) {
		for {
			p, err := c.ListDatasetsPage(ctx, opts)
			if err != nil {
				yield(DatasetRow{}, err)
				return
			}
			for _, r := range p.Items {
				if !yield(r, nil) {
					return
				}
			}
			if p.NextCursor == "" || len(p.Items) == 0 {
				return
			}
			opts.Cursor = p.NextCursor
		}
	}
}

func collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	out := []T{}
	for r, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// ListDatasets lists every dataset, newest first (all pages).
func (c *Client) ListDatasets(ctx context.Context) ([]DatasetRow, error) {
	return collect(c.Datasets(ctx, ListOptions{Limit: MaxPageSize}))
}

// ListExperiments lists experiments, newest first (all pages); status
// filters ("" = all, or a comma-separated list).
func (c *Client) ListExperiments(ctx context.Context, status string) ([]ExperimentRow, error) {
	return collect(c.Experiments(ctx, ListOptions{Limit: MaxPageSize, Status: status}))
}
