package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/drover-ml/drover/internal/protocol"
)

// Sort keys of experiment lists. Every one is a keyset on an index that
// ends in seq (the creation order), which breaks ties.
const (
	SortCreated  = "created"  // seq
	SortDuration = "duration" // finished_at - started_at, seconds; unknown until finished
	SortScore    = "score"    // the best model's cross-validated score; none until succeeded
)

// sortColumn is the column of a sort key.
var sortColumn = map[string]string{SortCreated: "seq", SortDuration: "duration", SortScore: "best_score"}

// Position is a keyset cursor: where the last row of a page stood in its
// sort. Rows without a value of the sort key (Null) come after every row
// with one, in either direction.
type Position struct {
	Null bool
	Key  float64
	Seq  int64
}

// Page selects one page of a list: up to Limit rows after After (nil: from
// the start), by Sort (SortCreated when empty), descending unless Asc.
type Page struct {
	Limit int
	Sort  string
	Asc   bool
	After *Position
}

func (p Page) dir() (op, order string) {
	if p.Asc {
		return ">", "ASC"
	}
	return "<", "DESC"
}

// likeArg is q as a LIKE pattern that matches it anywhere, literally.
func likeArg(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}

// ftsClause is the q filter through the trigram index, where the index
// cannot drive the query (see queryRows).
const ftsClause = `seq IN (SELECT rowid FROM experiments_fts WHERE experiments_fts MATCH ?)`

// ftsPhrase is q as an FTS5 string: one phrase, taken literally.
func ftsPhrase(q string) string {
	return `"` + strings.ReplaceAll(q, `"`, `""`) + `"`
}

// ExperimentRow is an experiment as a list shows it: without the summary
// (leaderboard, metrics), with the best model's score instead.
type ExperimentRow struct {
	Experiment
	Seq       int64
	Pos       Position // the row's place in the page's sort, for the next cursor
	Task      string   // the task the engine ran (else the spec's)
	Scorer    string   // the scorer of BestScore
	BestModel string   // the best model's family
	BestScore *float64 // its cross-validated score; nil without a summary
	Duration  *float64 // seconds from start to finish; nil until finished
}

// ExperimentFilter narrows a list of experiments. Zero fields do not
// filter. Owner is the one filter a caller must set for a user who may see
// only their own experiments.
type ExperimentFilter struct {
	Owner     string
	Statuses  []protocol.Status
	DatasetID string
	Task      string
	Worker    string // the worker's name
	Priority  string
	Tag       string // one of its tags, exactly (experiment_tags, 0008)
	Q         string // in the id, name or target, case-insensitively
}

// experimentRowCols are the columns of a list row: every column but the
// summary, of which only the best model and scorer are read.
var experimentRowCols = strings.Replace(experimentCols, "summary", "NULL", 1) +
	`, seq, task, json_extract(summary, '$.scorer'), json_extract(summary, '$.best.model'), best_score, duration`

// where is the filter as SQL conditions (without the statuses, which
// ListExperimentPage reads one index range each) and the two filters
// that queryRows may drive a page by: for a q of 3 characters or more the
// FTS5 match, and the tag.
func (f ExperimentFilter) where() ([]string, []any, drivers) {
	var w []string
	var args []any
	d := drivers{tag: f.Tag}
	for _, c := range []struct{ col, v string }{
		{"owner", f.Owner}, {"dataset_id", f.DatasetID}, {"task", f.Task}, {"worker_name", f.Worker}, {"priority", f.Priority},
	} {
		if c.v != "" {
			w, args = append(w, c.col+" = ?"), append(args, c.v)
		}
	}
	if utf8.RuneCountInString(f.Q) >= 3 {
		// Matched in the trigram index experiments_fts (0009): a phrase
		// of q's trigrams is q found anywhere in name, target or id,
		// without regard to case (Unicode folding; LIKE folds ASCII only).
		d.match = ftsPhrase(f.Q)
	} else if f.Q != "" {
		// Matched in experiments_search (owner, name, target, id): a pass
		// through a narrow index, not through the table and its summaries.
		sub := `SELECT seq FROM experiments INDEXED BY experiments_search WHERE `
		if f.Owner != "" {
			sub += `owner = ? AND `
			args = append(args, f.Owner)
		}
		sub += `(name LIKE ? ESCAPE '\' OR target LIKE ? ESCAPE '\' OR id LIKE ? ESCAPE '\')`
		q := likeArg(f.Q)
		w, args = append(w, `seq IN (`+sub+`)`), append(args, q, q, q)
	}
	return w, args, d
}

// drivers are the filters with an index of their own (experiments_fts,
// experiment_tags) that can drive a page: queryRows walks one of them in
// seq order when the page is sorted by seq, and otherwise adds them as
// conditions.
type drivers struct {
	match string // FTS5 phrase of q; "" for none
	tag   string
	// tagProbe: the tag has many experiments (over tagProbeMin), so it is
	// checked row by row (EXISTS, a primary-key lookup) as the sort's
	// index is walked, instead of its rows being collected and sorted.
	tagProbe bool
}

// tagCount is the number of experiments tagged tag, counted up to limit.
func (s *Store) tagCount(ctx context.Context, tag string, limit int) (int, error) {
	var n int
	if err := s.rd.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM experiment_tags WHERE tag = ? LIMIT ?)`, tag, limit).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: list experiments: %w", err)
	}
	return n, nil
}

// tagProbeMin is the number of tagged experiments over which a page in
// another sort than seq probes the tag row by row: the walk then meets a
// tagged row often, while collecting them all would cost their number.
var tagProbeMin = 2000 // a var for the tests

// ListExperimentPage returns up to p.Limit experiments after the cursor, in
// the page's sort. Each status of the filter is a range of its own, and
// rows without a sort value (a duration, a score) a second one; the ranges
// are merged here, so a page costs about its own size however many rows
// the store holds.
func (s *Store) ListExperimentPage(ctx context.Context, f ExperimentFilter, p Page) ([]ExperimentRow, error) {
	if p.Sort == "" {
		p.Sort = SortCreated
	}
	col, ok := sortColumn[p.Sort]
	if !ok {
		return nil, fmt.Errorf("store: unknown sort %q", p.Sort)
	}
	base, baseArgs, d := f.where()
	if d.tag != "" && (col != "seq" || d.match != "") {
		n, err := s.tagCount(ctx, d.tag, tagProbeMin+1)
		if err != nil {
			return nil, err
		}
		d.tagProbe = n > tagProbeMin
	}
	statuses := []string{""}
	if len(f.Statuses) > 0 {
		statuses = statuses[:0]
		for _, st := range f.Statuses {
			if !slices.Contains(statuses, string(st)) {
				statuses = append(statuses, string(st))
			}
		}
	}
	var out []ExperimentRow
	for _, st := range statuses {
		w, args := slices.Clone(base), slices.Clone(baseArgs)
		if st != "" {
			w, args = append(w, "status = ?"), append(args, st)
		}
		rows, err := s.experimentRange(ctx, w, args, d, col, p)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	if len(statuses) > 1 {
		slices.SortFunc(out, func(a, b ExperimentRow) int { return comparePos(a.Pos, b.Pos, p.Asc) })
		out = out[:min(len(out), p.Limit)]
	}
	return out, nil
}

// comparePos orders positions as a page does: values first, in the
// direction, then the rows without one; seq breaks ties the same way.
func comparePos(a, b Position, asc bool) int {
	if a.Null != b.Null {
		if a.Null {
			return 1
		}
		return -1
	}
	c := cmp.Compare(a.Key, b.Key)
	if c == 0 {
		c = cmp.Compare(a.Seq, b.Seq)
	}
	if !asc {
		c = -c
	}
	return c
}

// experimentRange reads one range: the rows with a sort value after the
// cursor, then (when the page is not full) those without one.
func (s *Store) experimentRange(ctx context.Context, where []string, args []any, d drivers, col string, p Page) ([]ExperimentRow, error) {
	op, order := p.dir()
	var out []ExperimentRow
	if p.After == nil || !p.After.Null {
		w, a := slices.Clone(where), slices.Clone(args)
		orderBy := `seq ` + order
		if col == "seq" {
			if p.After != nil {
				w, a = append(w, "seq "+op+" ?"), append(a, p.After.Seq)
			}
		} else {
			w = append(w, col+" IS NOT NULL")
			if p.After != nil {
				w, a = append(w, "("+col+", seq) "+op+" (?, ?)"), append(a, p.After.Key, p.After.Seq)
			}
			orderBy = col + ` ` + order + `, seq ` + order
		}
		rows, err := s.queryRows(ctx, w, a, d, orderBy, p.Limit, col)
		if err != nil {
			return nil, err
		}
		out = rows
	}
	if col == "seq" || len(out) >= p.Limit {
		return out, nil
	}
	w, a := append(slices.Clone(where), col+" IS NULL"), slices.Clone(args)
	if p.After != nil && p.After.Null {
		w, a = append(w, "seq "+op+" ?"), append(a, p.After.Seq)
	}
	rows, err := s.queryRows(ctx, w, a, d, `seq `+order, p.Limit-len(out), col)
	if err != nil {
		return nil, err
	}
	return append(out, rows...), nil
}

// queryRows reads up to limit rows matching where and d in orderBy's
// order. In a page sorted by seq, the trigram index (for a q match) or
// else experiment_tags (for a tag) drives the query through a join, in
// seq order, so that the page stops at its limit instead of collecting
// every match first; the filters not driving are conditions.
func (s *Store) queryRows(ctx context.Context, where []string, args []any, d drivers, orderBy string, limit int, col string) ([]ExperimentRow, error) {
	from := `experiments`
	// Placeholders in the FROM clause come first, then the conditions'
	// in order: conds and condArgs are put before where and args.
	var fromArgs, condArgs []any
	var conds []string
	dir, bySeq := strings.CutPrefix(orderBy, "seq ")
	tagDrives := false
	switch {
	case d.match != "" && bySeq:
		from = `(SELECT rowid AS fts_seq FROM experiments_fts WHERE experiments_fts MATCH ?) AS m CROSS JOIN experiments ON experiments.seq = m.fts_seq`
		fromArgs, orderBy = []any{d.match}, "m.fts_seq "+dir
	case d.tag != "" && bySeq:
		from = `(SELECT seq AS tag_seq FROM experiment_tags WHERE tag = ?) AS t CROSS JOIN experiments ON experiments.seq = t.tag_seq`
		fromArgs, orderBy, tagDrives = []any{d.tag}, "t.tag_seq "+dir, true
	}
	if d.match != "" && len(fromArgs) == 0 {
		conds, condArgs = append(conds, ftsClause), append(condArgs, d.match)
	}
	if d.tag != "" && !tagDrives {
		c := `seq IN (SELECT seq FROM experiment_tags WHERE tag = ?)`
		if d.tagProbe {
			c = `EXISTS (SELECT 1 FROM experiment_tags AS p WHERE p.tag = ? AND p.seq = experiments.seq)`
		}
		conds, condArgs = append(conds, c), append(condArgs, d.tag)
	}
	where = append(conds, where...)
	args = append(append(fromArgs, condArgs...), args...)
	cond := ""
	if len(where) > 0 {
		cond = ` WHERE ` + strings.Join(where, " AND ")
	}
	q := `SELECT ` + experimentRowCols + ` FROM ` + from + cond + ` ORDER BY ` + orderBy + ` LIMIT ?`
	if !bySeq {
		// When SQLite has to sort the matching rows (no index gives the
		// order with these filters), it sorts every row with all the
		// columns of the list, summaries read included: sort only seq
		// and the key, then read the columns of the page's rows.
		q = `SELECT ` + experimentRowCols + ` FROM experiments WHERE seq IN (SELECT seq FROM ` + from + cond +
			` ORDER BY ` + orderBy + ` LIMIT ?) ORDER BY ` + orderBy
	}
	rows, err := s.rd.QueryContext(ctx, q, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: list experiments: %w", err)
	}
	defer rows.Close()
	out := []ExperimentRow{}
	for rows.Next() {
		var r ExperimentRow
		var task, scorer, model sql.NullString
		var score, dur sql.NullFloat64
		e, err := scanExperiment(extraScanner{rows, []any{&r.Seq, &task, &scorer, &model, &score, &dur}})
		if err != nil {
			return nil, fmt.Errorf("store: list experiments: %w", err)
		}
		r.Experiment = *e
		r.Task, r.Scorer, r.BestModel = task.String, scorer.String, model.String
		if score.Valid {
			r.BestScore = &score.Float64
		}
		if dur.Valid {
			r.Duration = &dur.Float64
		}
		r.Pos = Position{Seq: r.Seq, Key: float64(r.Seq)}
		switch col {
		case "best_score":
			r.Pos = Position{Seq: r.Seq, Key: score.Float64, Null: !score.Valid}
		case "duration":
			r.Pos = Position{Seq: r.Seq, Key: dur.Float64, Null: !dur.Valid}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// extraScanner scans experimentCols and then extra destinations.
type extraScanner struct {
	r     scanner
	extra []any
}

func (x extraScanner) Scan(dest ...any) error { return x.r.Scan(append(dest, x.extra...)...) }

// DatasetRow is a dataset as a list shows it: no column summaries.
type DatasetRow struct {
	Seq         int64
	ID          string
	Name        string
	SHA256      string
	Size        int64
	Rows        int
	ColumnCount int
	CreatedAt   time.Time
	Owner       string
	Shared      bool
}

// DatasetFilter narrows a list of datasets. VisibleTo, when set, keeps the
// datasets that user owns or that are shared; Owner keeps one owner's.
type DatasetFilter struct {
	VisibleTo string
	Owner     string
	Q         string // in the id or name, case-insensitively
}

// ListDatasetPage returns up to p.Limit datasets after the cursor, by
// upload order (p.Sort is ignored: datasets sort by creation only).
func (s *Store) ListDatasetPage(ctx context.Context, f DatasetFilter, p Page) ([]DatasetRow, error) {
	op, order := p.dir()
	var where []string
	var args []any
	if p.After != nil {
		where, args = append(where, "seq "+op+" ?"), append(args, p.After.Seq)
	}
	if f.VisibleTo != "" {
		where, args = append(where, "(owner = ? OR shared = 1)"), append(args, f.VisibleTo)
	}
	if f.Owner != "" {
		where, args = append(where, "owner = ?"), append(args, f.Owner)
	}
	if f.Q != "" {
		where = append(where, `(id LIKE ? ESCAPE '\' OR name LIKE ? ESCAPE '\')`)
		q := likeArg(f.Q)
		args = append(args, q, q)
	}
	q := `SELECT seq, id, name, sha256, size, rows, column_count, created_at, owner, shared FROM datasets`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY seq ` + order + ` LIMIT ?`
	rows, err := s.rd.QueryContext(ctx, q, append(args, p.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: list datasets: %w", err)
	}
	defer rows.Close()
	out := []DatasetRow{}
	for rows.Next() {
		var d DatasetRow
		var created string
		if err := rows.Scan(&d.Seq, &d.ID, &d.Name, &d.SHA256, &d.Size, &d.Rows, &d.ColumnCount, &created, &d.Owner, &d.Shared); err != nil {
			return nil, fmt.Errorf("store: list datasets: %w", err)
		}
		d.CreatedAt = parseTime(created)
		out = append(out, d)
	}
	return out, rows.Err()
}

// The counts below read experiment_counts, which triggers keep (migration
// 0007): a few rows, however many experiments the store holds.

// CountQueued counts the queued experiments of each queue ("cpu", "gpu").
func (s *Store) CountQueued(ctx context.Context) (map[string]int, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT queue, SUM(n) FROM experiment_counts WHERE status = ? GROUP BY queue`, string(protocol.StatusQueued))
	if err != nil {
		return nil, fmt.Errorf("store: count queued: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var q string
		var n int
		if err := rows.Scan(&q, &n); err != nil {
			return nil, fmt.Errorf("store: count queued: %w", err)
		}
		out[q] += n
	}
	return out, rows.Err()
}

// CountByStatus counts experiments by status: every one, or with owner
// set that user's only.
func (s *Store) CountByStatus(ctx context.Context, owner string) (map[protocol.Status]int, error) {
	q, args := `SELECT status, SUM(n) FROM experiment_counts GROUP BY status`, []any{}
	if owner != "" {
		q, args = `SELECT status, SUM(n) FROM experiment_counts WHERE owner = ? GROUP BY status`, []any{owner}
	}
	rows, err := s.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: count experiments: %w", err)
	}
	defer rows.Close()
	out := map[protocol.Status]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("store: count experiments: %w", err)
		}
		out[protocol.Status(st)] = n
	}
	return out, rows.Err()
}

// CountDatasets counts the datasets visibleTo may see (every one when "").
func (s *Store) CountDatasets(ctx context.Context, visibleTo string) (int, error) {
	q, args := `SELECT COUNT(*) FROM datasets`, []any{}
	if visibleTo != "" {
		q, args = `SELECT COUNT(*) FROM datasets WHERE owner = ? OR shared = 1`, []any{visibleTo}
	}
	var n int
	if err := s.rd.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count datasets: %w", err)
	}
	return n, nil
}

// CountQueuedOf counts the queued experiments owned by one of owners.
func (s *Store) CountQueuedOf(ctx context.Context, owners ...string) (int, error) {
	if len(owners) == 0 {
		return 0, nil
	}
	args := []any{string(protocol.StatusQueued)}
	for _, o := range owners {
		args = append(args, o)
	}
	var n sql.NullInt64
	err := s.rd.QueryRowContext(ctx, `SELECT SUM(n) FROM experiment_counts WHERE status = ? AND owner IN (?`+strings.Repeat(",?", len(owners)-1)+`)`, args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count queued: %w", err)
	}
	return int(n.Int64), nil
}

// ActiveOwners lists the owners of queued and running experiments ("" for
// experiments recorded without one).
func (s *Store) ActiveOwners(ctx context.Context) ([]string, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT DISTINCT owner FROM experiment_counts WHERE status IN (?, ?) AND n > 0`,
		string(protocol.StatusQueued), string(protocol.StatusRunning))
	if err != nil {
		return nil, fmt.Errorf("store: active owners: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			return nil, fmt.Errorf("store: active owners: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// LastInteraction is when an experiment was last created or finished
// (zero when there is none): the newest row and the experiments_finished
// index, no scan.
func (s *Store) LastInteraction(ctx context.Context) (time.Time, error) {
	var created, finished sql.NullString
	err := s.rd.QueryRowContext(ctx, `SELECT (SELECT created_at FROM experiments ORDER BY seq DESC LIMIT 1), (SELECT MAX(finished_at) FROM experiments)`).Scan(&created, &finished)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: last interaction: %w", err)
	}
	last := parseTime(created.String)
	if f := parseTime(finished.String); f.After(last) {
		last = f
	}
	return last, nil
}
