package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/engine/spec"
	"github.com/drover-ml/drover/internal/errcode"
	"github.com/drover-ml/drover/internal/protocol"
	"github.com/drover-ml/drover/internal/queue"
	"github.com/drover-ml/drover/internal/store"
)

// The list endpoints answer a page of slim rows and a keyset cursor:
// {"items": [...], "next_cursor": "..."}. A page costs about its own size,
// however many rows the store holds (docs/performance.md). Every parameter
// is bounded and checked; a bad one answers 400 naming it in `field`.

// maxParamText bounds q and the text filters (bytes).
const maxParamText = 200

var statuses = []protocol.Status{protocol.StatusQueued, protocol.StatusRunning, protocol.StatusSucceeded, protocol.StatusFailed, protocol.StatusCancelled}

// listParams are the parameters every list takes; the rest are per list.
var listParams = []string{"limit", "cursor", "sort", "order", "q", "owner"}

// experimentParams are the filters of the experiments list.
var experimentParams = []string{"status", "dataset", "task", "worker", "priority", "tag"}

func badParam(field, format string, args ...any) *api.Error {
	return fieldErr(errcode.BadRequest, field, fmt.Sprintf(format, args...))
}

// listQuery is what a list request asks for.
type listQuery struct {
	kind   string // "e" (experiments) or "d" (datasets)
	page   store.Page
	values url.Values // the parameters but limit and cursor, for the cursor's binding
	cursor string
	key    []byte // signs cursors: the server's cursorKey
}

// parseList reads the parameters every list takes; unknown parameters are
// refused, so that a typo is not silently a different list.
func parseList(q url.Values, kind string, sorts []string, extra ...string) (listQuery, error) {
	lq := listQuery{kind: kind, page: store.Page{Limit: api.DefaultPageSize, Sort: store.SortCreated}, values: url.Values{}}
	known := append(slices.Clone(listParams), extra...)
	for k, v := range q {
		if !slices.Contains(known, k) {
			return lq, badParam(k, "unknown parameter %q: use %s", k, strings.Join(known, ", "))
		}
		if len(v) > 1 {
			return lq, badParam(k, "parameter %q is given %d times; give it once", k, len(v))
		}
		if len(v[0]) > maxParamText {
			return lq, badParam(k, "%s is %d bytes; at most %d", k, len(v[0]), maxParamText)
		}
		if k != "limit" && k != "cursor" && v[0] != "" {
			lq.values.Set(k, v[0])
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > api.MaxPageSize {
			return lq, badParam("limit", "limit must be a whole number from 1 to %d, got %q", api.MaxPageSize, v)
		}
		lq.page.Limit = n
	}
	if v := q.Get("sort"); v != "" {
		if !slices.Contains(sorts, v) {
			return lq, badParam("sort", "sort must be one of %s, got %q", strings.Join(sorts, ", "), v)
		}
		lq.page.Sort = v
	}
	switch v := q.Get("order"); v {
	case "", api.OrderDesc:
	case api.OrderAsc:
		lq.page.Asc = true
	default:
		return lq, badParam("order", "order must be %q or %q, got %q", api.OrderAsc, api.OrderDesc, v)
	}
	lq.cursor = q.Get("cursor")
	return lq, nil
}

// owner applies the owner rules: a user lists their own rows only (owner=
// may name themselves), an admin everyone's or, with owner=, one user's.
// It returns the owner to filter on ("" for all).
func (lq listQuery) owner(who principal) (string, error) {
	o := lq.values.Get("owner")
	if who.Admin {
		return o, nil
	}
	if o != "" && o != who.Name {
		return "", fieldErr(errcode.Forbidden, "owner", "only admins may list other users' "+map[string]string{"e": "experiments", "d": "datasets"}[lq.kind])
	}
	return who.Name, nil
}

// cursorKeyFile is where, in the data directory, the key that signs
// cursors is kept: made at the first start (256 random bits, mode 0600)
// and read at every later one, so a page walk goes on across a restart.
const cursorKeyFile = "cursor.key"

// loadCursorKey reads the data directory's cursor key, making it first
// when there is none. A key file of the wrong size is an error, not
// replaced: it names the file to remove.
func loadCursorKey(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, cursorKeyFile)
	k, err := os.ReadFile(path)
	if err == nil {
		if len(k) != 32 {
			return nil, fmt.Errorf("server: %s holds %d bytes, not a 32-byte cursor key: remove it (open list cursors stop working) and start again", path, len(k))
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("server: cursor key: %w", err)
	}
	k = make([]byte, 32)
	_, _ = rand.Read(k)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadCursorKey(dataDir) // another process made it meanwhile
	}
	if err != nil {
		return nil, fmt.Errorf("server: cursor key: %w", err)
	}
	if _, err := f.Write(k); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("server: cursor key: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("server: cursor key: %w", err)
	}
	return k, nil
}

// binding is what a cursor belongs to: the list, the user and every
// parameter but limit and cursor. A cursor used with other parameters or
// by another user is refused, not misread.
func (lq listQuery) binding(who principal) string {
	return lq.kind + "\x00" + who.Name + "\x00" + lq.values.Encode()
}

// A cursor is the position of a page's last row in its sort, then an HMAC
// of the position and the binding: opaque to clients, and tamper-proof.
func (lq listQuery) encodeCursor(who principal, p store.Position) string {
	pos := strconv.FormatInt(p.Seq, 10)
	if p.Null {
		pos += "~"
	} else if lq.page.Sort != store.SortCreated {
		pos += "~" + strconv.FormatFloat(p.Key, 'g', -1, 64)
	}
	m := hmac.New(sha256.New, lq.key)
	m.Write([]byte(lq.binding(who) + "\x00" + pos))
	return base64.RawURLEncoding.EncodeToString([]byte(pos)) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:12])
}

func (lq listQuery) decodeCursor(who principal, v string) (*store.Position, error) {
	bad := badParam("cursor", "cursor is not a next_cursor of this list with these parameters ; start again without one")
	if len(v) > 128 {
		return nil, bad
	}
	p64, mac64, ok := strings.Cut(v, ".")
	pos, err1 := base64.RawURLEncoding.DecodeString(p64)
	mac, err2 := base64.RawURLEncoding.DecodeString(mac64)
	if !ok || err1 != nil || err2 != nil {
		return nil, bad
	}
	m := hmac.New(sha256.New, lq.key)
	m.Write([]byte(lq.binding(who) + "\x00" + string(pos)))
	if !hmac.Equal(mac, m.Sum(nil)[:12]) {
		return nil, bad
	}
	seq, key, hasKey := strings.Cut(string(pos), "~")
	out := &store.Position{}
	if out.Seq, err1 = strconv.ParseInt(seq, 10, 64); err1 != nil {
		return nil, bad
	}
	switch {
	case !hasKey:
		out.Key = float64(out.Seq)
	case key == "":
		out.Null = true
	default:
		if out.Key, err1 = strconv.ParseFloat(key, 64); err1 != nil {
			return nil, bad
		}
	}
	return out, nil
}

// experimentFilter reads the experiments list's filters.
func experimentFilter(v url.Values) (store.ExperimentFilter, error) {
	f := store.ExperimentFilter{DatasetID: v.Get("dataset"), Worker: v.Get("worker"), Q: v.Get("q")}
	if s := v.Get("status"); s != "" {
		for _, st := range strings.Split(s, ",") {
			st := protocol.Status(strings.TrimSpace(st))
			if !slices.Contains(statuses, st) {
				return f, badParam("status", "unknown status %q: use queued, running, succeeded, failed or cancelled (comma-separated)", st)
			}
			if !slices.Contains(f.Statuses, st) {
				f.Statuses = append(f.Statuses, st)
			}
		}
	}
	if t := v.Get("task"); t != "" {
		if !slices.Contains(spec.Tasks, t) {
			return f, badParam("task", "unknown task %q: use %s", t, strings.Join(spec.Tasks, ", "))
		}
		f.Task = t
	}
	if p := v.Get("priority"); p != "" {
		if _, err := queue.PriorityRank(p); err != nil {
			return f, badParam("priority", "unknown priority %q: use high, normal or low", p)
		}
		f.Priority = p
	}
	if t := v.Get("tag"); t != "" {
		// Tags are matched exactly as stored, so one that could not be
		// stored (too long, a character a tag may not have) is refused
		// rather than cut or cleaned into another tag.
		if len(t) > MaxTagLen {
			return f, badParam("tag", "tag is %d bytes; a tag has at most %d", len(t), MaxTagLen)
		}
		c, err := cleanTag(t)
		if err != nil {
			return f, badParam("tag", "%s", err.Error())
		}
		f.Tag = c
	}
	return f, nil
}

func (s *Server) handleListExperiments(w http.ResponseWriter, r *http.Request) {
	who := s.who(r)
	lq, err := parseList(r.URL.Query(), "e", []string{store.SortCreated, store.SortDuration, store.SortScore}, experimentParams...)
	lq.key = s.cursorKey
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f, err := experimentFilter(lq.values)
	if err == nil {
		f.Owner, err = lq.owner(who)
	}
	if err == nil && lq.cursor != "" {
		lq.page.After, err = lq.decodeCursor(who, lq.cursor)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// One more than asked for tells whether there is a next page.
	page := lq.page
	page.Limit++
	rows, err := s.store.ListExperimentPage(r.Context(), f, page)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := api.ExperimentPage{Items: make([]api.ExperimentRow, 0, len(rows))}
	if len(rows) > lq.page.Limit {
		rows = rows[:lq.page.Limit]
		out.NextCursor = lq.encodeCursor(who, rows[len(rows)-1].Pos)
	}
	list := make([]*store.Experiment, len(rows))
	for i := range rows {
		list[i] = &rows[i].Experiment
	}
	full := apiExperiments(list)
	s.annotate(r.Context(), list, full)
	for i, e := range full {
		out.Items = append(out.Items, apiExperimentRow(e, &rows[i]))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleListDatasets(w http.ResponseWriter, r *http.Request) {
	who := s.who(r)
	lq, err := parseList(r.URL.Query(), "d", []string{store.SortCreated})
	lq.key = s.cursorKey
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f := store.DatasetFilter{Q: lq.values.Get("q")}
	owner, err := lq.owner(who)
	if err == nil && lq.cursor != "" {
		lq.page.After, err = lq.decodeCursor(who, lq.cursor)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if who.Admin {
		f.Owner = owner
	} else {
		f.VisibleTo = who.Name // theirs and the shared ones
		if lq.values.Get("owner") != "" {
			f.Owner = who.Name
		}
	}
	page := lq.page
	page.Limit++
	rows, err := s.store.ListDatasetPage(r.Context(), f, page)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := api.DatasetPage{Items: make([]api.DatasetRow, 0, len(rows))}
	if len(rows) > lq.page.Limit {
		rows = rows[:lq.page.Limit]
		last := rows[len(rows)-1].Seq
		out.NextCursor = lq.encodeCursor(who, store.Position{Seq: last, Key: float64(last)})
	}
	for _, d := range rows {
		owner := d.Owner
		if owner == "" {
			owner = BootstrapAdmin
		}
		out.Items = append(out.Items, api.DatasetRow{ID: d.ID, Name: d.Name, SHA256: d.SHA256, Size: d.Size, Rows: d.Rows,
			ColumnCount: d.ColumnCount, CreatedAt: d.CreatedAt, Owner: owner, Shared: d.Shared})
	}
	writeJSON(w, http.StatusOK, out)
}

// apiExperimentRow is a list row: the experiment as users see it (queue
// place filled in) without its summary, with the best score.
func apiExperimentRow(e *api.Experiment, r *store.ExperimentRow) api.ExperimentRow {
	return api.ExperimentRow{
		ID: e.ID, Spec: e.Spec, Status: e.Status, FailureKind: e.FailureKind, Error: e.Error, Attempt: e.Attempt,
		Worker: e.Worker, WorkerName: e.WorkerName, Queue: e.Queue, QueuePosition: e.QueuePosition, WaitReason: e.WaitReason,
		WaitKind: e.WaitKind, QueuePlace: e.QueuePlace, HigherPriorityAhead: e.HigherPriorityAhead, Owner: e.Owner, Tags: e.Tags,
		Progress: e.Progress, Message: e.Message,
		Task: r.Task, Scorer: r.Scorer, BestModel: r.BestModel, BestScore: r.BestScore, DurationSeconds: r.Duration,
		CreatedAt: e.CreatedAt, StartedAt: e.StartedAt, FinishedAt: e.FinishedAt,
	}
}
