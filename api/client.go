package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultServer is the server URL clients use when none is given.
const DefaultServer = "http://127.0.0.1:12345"

// Client talks to a drover server. The CLI and the tests share it.
type Client struct {
	BaseURL string
	Token   string
	HTTP    *http.Client
}

// NewClient returns a client of the server at base ("" = DefaultServer).
func NewClient(base, token string) *Client {
	if base == "" {
		base = DefaultServer
	}
	return &Client{BaseURL: strings.TrimRight(base, "/"), Token: token, HTTP: &http.Client{}}
}

func (c *Client) newRequest(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
	if err != nil {
		return nil, fmt.Errorf("api: %s %s: %w", method, path, err)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	return req, nil
}

// send builds and sends one request with headers given as name, value
// pairs; see do for what it returns.
func (c *Client) send(ctx context.Context, method, path string, body io.Reader, header ...string) (*http.Response, error) {
	req, err := c.newRequest(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.do(req)
}

// do sends req and returns the response when its status is 2xx; otherwise
// the server's error as an *Error.
func (c *Client) do(req *http.Request) (*http.Response, error) {
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("api: cannot reach the drover server at %s: %w", c.BaseURL, unwrapURLError(err))
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var eb ErrorBody
	if json.Unmarshal(b, &eb) == nil && eb.Error != nil {
		eb.Error.Status = resp.StatusCode
		return nil, eb.Error
	}
	return nil, &Error{Status: resp.StatusCode, Code: "http_" + strconv.Itoa(resp.StatusCode),
		Message: fmt.Sprintf("%s %s: %s", req.Method, req.URL.Path, strings.TrimSpace(string(b)))}
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func (c *Client) getJSON(ctx context.Context, path string, out any) error {
	resp, err := c.send(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decode(resp, out)
}

func (c *Client) postJSON(ctx context.Context, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("api: encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	resp, err := c.send(ctx, http.MethodPost, path, body, "Content-Type", "application/json")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decode(resp, out)
}

func decode(resp *http.Response, out any) error {
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("api: decode %s response: %w", resp.Request.URL.Path, err)
	}
	return nil
}

// progressReader counts bytes read for a progress callback.
type progressReader struct {
	r        io.Reader
	done     int64
	total    int64
	progress func(done, total int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if p.progress != nil {
		p.progress(p.done, p.total)
	}
	return n, err
}

// UploadDataset streams the file at path to the server. progress, when
// not nil, is called as bytes go out.
func (c *Client) UploadDataset(ctx context.Context, path string, progress func(done, total int64)) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("api: open dataset: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("api: open dataset: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("api: %s is a directory, not a CSV file", path)
	}
	body := &progressReader{r: f, total: st.Size(), progress: progress}
	req, err := c.newRequest(ctx, http.MethodPost, "/api/v1/datasets?name="+url.QueryEscape(filepath.Base(path)), body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = st.Size()
	req.Header.Set("Content-Type", "text/csv")
	resp, err := c.do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var ds Dataset
	return &ds, decode(resp, &ds)
}

// GetDataset returns one dataset.
func (c *Client) GetDataset(ctx context.Context, id string) (*Dataset, error) {
	var out Dataset
	return &out, c.getJSON(ctx, "/api/v1/datasets/"+url.PathEscape(id), &out)
}

// CreateExperiment queues an experiment.
func (c *Client) CreateExperiment(ctx context.Context, spec Spec) (*Experiment, error) {
	var out Experiment
	return &out, c.postJSON(ctx, "/api/v1/experiments", spec, &out)
}

// GetExperiment returns one experiment.
func (c *Client) GetExperiment(ctx context.Context, id string) (*Experiment, error) {
	var out Experiment
	return &out, c.getJSON(ctx, "/api/v1/experiments/"+url.PathEscape(id), &out)
}

// CancelExperiment cancels a queued or running experiment.
func (c *Client) CancelExperiment(ctx context.Context, id string) (*Experiment, error) {
	var out Experiment
	return &out, c.postJSON(ctx, "/api/v1/experiments/"+url.PathEscape(id)+"/cancel", nil, &out)
}

// FinishExperiment asks a running experiment to stop its search and keep
// the best model found so far.
func (c *Client) FinishExperiment(ctx context.Context, id string) (*Experiment, error) {
	var out Experiment
	return &out, c.postJSON(ctx, "/api/v1/experiments/"+url.PathEscape(id)+"/finish", nil, &out)
}

// CreateUser creates a user (admins); the answer holds its token, shown once.
func (c *Client) CreateUser(ctx context.Context, name string, admin bool) (*NewUserToken, error) {
	var out NewUserToken
	return &out, c.postJSON(ctx, "/api/v1/users", map[string]any{"name": name, "admin": admin}, &out)
}

// ListUsers lists users (admins).
func (c *Client) ListUsers(ctx context.Context) ([]User, error) {
	var out []User
	return out, c.getJSON(ctx, "/api/v1/users", &out)
}

// RevokeUser revokes a user's token (admins).
func (c *Client) RevokeUser(ctx context.Context, name string) (*User, error) {
	var out User
	return &out, c.postJSON(ctx, "/api/v1/users/"+url.PathEscape(name)+"/revoke", nil, &out)
}

// RotateToken gives a user a new token; the old one stops working (admins).
func (c *Client) RotateToken(ctx context.Context, name string) (*NewUserToken, error) {
	var out NewUserToken
	return &out, c.postJSON(ctx, "/api/v1/users/"+url.PathEscape(name)+"/token", nil, &out)
}

// SetPassword sets a user's password for the web UI (the user or an admin).
func (c *Client) SetPassword(ctx context.Context, name, password string) (*User, error) {
	var out User
	return &out, c.postJSON(ctx, "/api/v1/users/"+url.PathEscape(name)+"/password", map[string]string{"password": password}, &out)
}

// UserLimits changes a user's quotas; nil fields stay as they are.
type UserLimits struct {
	MaxRunning  *int    `json:"max_running,omitempty"`
	MaxQueued   *int    `json:"max_queued,omitempty"`
	MaxPriority *string `json:"max_priority,omitempty"`
}

// SetUserLimits sets a user's quotas (admins).
func (c *Client) SetUserLimits(ctx context.Context, name string, l UserLimits) (*User, error) {
	var out User
	return &out, c.postJSON(ctx, "/api/v1/users/"+url.PathEscape(name)+"/limits", l, &out)
}

// PatchExperiment renames an experiment or changes its tags; nil fields
// of p are left as they are.
func (c *Client) PatchExperiment(ctx context.Context, id string, p ExperimentPatch) (*Experiment, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("api: encode request: %w", err)
	}
	resp, err := c.send(ctx, http.MethodPatch, "/api/v1/experiments/"+url.PathEscape(id), bytes.NewReader(b), "Content-Type", "application/json")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out Experiment
	return &out, decode(resp, &out)
}

// RenameExperiment sets an experiment's name ("" clears it).
func (c *Client) RenameExperiment(ctx context.Context, id, name string) (*Experiment, error) {
	return c.PatchExperiment(ctx, id, ExperimentPatch{Name: &name})
}

// DeleteDataset deletes a dataset and its file (its owner or an admin). A
// dataset that a queued or running experiment uses is refused with
// dataset_in_use (409).
func (c *Client) DeleteDataset(ctx context.Context, id string) error {
	return c.delete(ctx, "/api/v1/datasets/"+url.PathEscape(id))
}

// DeleteExperiment deletes a finished experiment with its events and
// artifacts (its owner or an admin); a queued or running one is refused
// with conflict (409): cancel it first.
func (c *Client) DeleteExperiment(ctx context.Context, id string) error {
	return c.delete(ctx, "/api/v1/experiments/"+url.PathEscape(id))
}

func (c *Client) delete(ctx context.Context, path string) error {
	resp, err := c.send(ctx, http.MethodDelete, path, nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// ShareDataset lets every user see and use a dataset.
func (c *Client) ShareDataset(ctx context.Context, id string) (*Dataset, error) {
	var out Dataset
	return &out, c.postJSON(ctx, "/api/v1/datasets/"+url.PathEscape(id)+"/share", nil, &out)
}

// SetPriority moves a queued experiment to another priority class (admins).
func (c *Client) SetPriority(ctx context.Context, id, priority string) (*Experiment, error) {
	var out Experiment
	return &out, c.postJSON(ctx, "/api/v1/experiments/"+url.PathEscape(id)+"/priority", map[string]string{"priority": priority}, &out)
}

// DrainWorker stops a worker (by name or identity) from taking new
// experiments; what it runs goes on.
func (c *Client) DrainWorker(ctx context.Context, nameOrID string) (*Worker, error) {
	var out Worker
	return &out, c.postJSON(ctx, "/api/v1/workers/"+url.PathEscape(nameOrID)+"/drain", nil, &out)
}

// ResumeWorker undoes DrainWorker.
func (c *Client) ResumeWorker(ctx context.Context, nameOrID string) (*Worker, error) {
	var out Worker
	return &out, c.postJSON(ctx, "/api/v1/workers/"+url.PathEscape(nameOrID)+"/resume", nil, &out)
}

// RemoveWorker forgets a (dead) worker; its experiments go back to the queue.
func (c *Client) RemoveWorker(ctx context.Context, nameOrID string) error {
	return c.postJSON(ctx, "/api/v1/workers/"+url.PathEscape(nameOrID)+"/remove", nil, nil)
}

// Events returns the stored events of an experiment after sequence number after.
func (c *Client) Events(ctx context.Context, id string, after int64) ([]Event, error) {
	var out []Event
	return out, c.getJSON(ctx, fmt.Sprintf("/api/v1/experiments/%s/events?stream=false&after=%d", url.PathEscape(id), after), &out)
}

// FollowEvents reads the experiment's server-sent event stream, calling fn
// for each event, until the experiment ends (it then returns its final
// state), ctx ends or fn returns an error. A dropped connection is resumed
// from the last event seen.
func (c *Client) FollowEvents(ctx context.Context, id string, after int64, fn func(Event) error) (*Experiment, error) {
	for attempt := 0; ; attempt++ {
		final, last, err := c.followOnce(ctx, id, after, fn)
		if final != nil || ctx.Err() != nil {
			return final, err
		}
		var ae *Error
		if errors.As(err, &ae) {
			return nil, err
		}
		if last > after {
			after, attempt = last, 0
		}
		if attempt >= 5 {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 500 * time.Millisecond):
		}
	}
}

func (c *Client) followOnce(ctx context.Context, id string, after int64, fn func(Event) error) (*Experiment, int64, error) {
	resp, err := c.send(ctx, http.MethodGet, fmt.Sprintf("/api/v1/experiments/%s/events?after=%d", url.PathEscape(id), after), nil,
		"Accept", "text/event-stream")
	if err != nil {
		return nil, after, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var name, data string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event:"):
			name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			data += strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " ")
		case line == "":
			if data == "" {
				name = ""
				continue
			}
			if name == "end" {
				var e Experiment
				if err := json.Unmarshal([]byte(data), &e); err != nil {
					return nil, after, fmt.Errorf("api: decode end event: %w", err)
				}
				return &e, after, nil
			}
			var ev Event
			if err := json.Unmarshal([]byte(data), &ev); err == nil {
				if ev.Seq > after {
					after = ev.Seq
				}
				if err := fn(ev); err != nil {
					return nil, after, err
				}
			}
			name, data = "", ""
		}
	}
	if err := sc.Err(); err != nil {
		return nil, after, fmt.Errorf("api: event stream: %w", err)
	}
	return nil, after, fmt.Errorf("api: event stream closed")
}

// Artifacts lists the files of a succeeded experiment.
func (c *Client) Artifacts(ctx context.Context, id string) ([]Artifact, error) {
	var out []Artifact
	return out, c.getJSON(ctx, "/api/v1/experiments/"+url.PathEscape(id)+"/artifacts", &out)
}

// DownloadArtifact streams one artifact into w.
func (c *Client) DownloadArtifact(ctx context.Context, id, name string, w io.Writer) error {
	resp, err := c.send(ctx, http.MethodGet, "/api/v1/experiments/"+url.PathEscape(id)+"/artifacts/"+name, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("api: download %s: %w", name, err)
	}
	return nil
}

// Predict sends a CSV to the experiment's model and writes the predictions CSV to w.
func (c *Client) Predict(ctx context.Context, id string, csv io.Reader, w io.Writer) error {
	return c.predict(ctx, id, "", csv, w)
}

// PredictExplained is Predict with ?explain=true: each row also carries
// every feature's contribution to the model's raw score and the bias
// (contrib.<feature>, contrib.bias; contrib.<class>.<feature> per class
// for multiclass).
func (c *Client) PredictExplained(ctx context.Context, id string, csv io.Reader, w io.Writer) error {
	return c.predict(ctx, id, "?explain=true", csv, w)
}

func (c *Client) predict(ctx context.Context, id, query string, csv io.Reader, w io.Writer) error {
	resp, err := c.send(ctx, http.MethodPost, "/api/v1/experiments/"+url.PathEscape(id)+"/predict"+query, csv, "Content-Type", "text/csv")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(w, resp.Body)
	return err
}

// SystemInfo is Resources > System Info.
func (c *Client) SystemInfo(ctx context.Context) (*SystemInfo, error) {
	var out SystemInfo
	return &out, c.getJSON(ctx, "/api/v1/system/info", &out)
}

// Me returns who the client's token authenticates as.
func (c *Client) Me(ctx context.Context) (*Me, error) {
	var out Me
	return &out, c.getJSON(ctx, "/api/v1/me", &out)
}

// Healthz checks that the server answers.
func (c *Client) Healthz(ctx context.Context) error {
	return c.getJSON(ctx, "/healthz", nil)
}
