package server

import (
	"encoding/json"
	"fmt"
	"github.com/drover-ml/drover/internal/errcode"
	"net/http"
	"strconv"
	"time"
)

// handleEvents streams an experiment's events as server-sent events: first
// what is stored (after ?after=SEQ or Last-Event-ID), then new ones as they
// happen. The stream ends with an "end" event once the experiment is
// finished. With ?stream=false it returns the stored events as a JSON list.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	if _, err := s.getExperiment(ctx, id); err != nil {
		s.writeError(w, r, err)
		return
	}
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		after, _ = strconv.ParseInt(v, 10, 64)
	}
	if r.URL.Query().Get("stream") == "false" {
		evs, err := s.store.Events(ctx, id, after, 0)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, apiEvents(evs))
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		s.writeError(w, r, apiErr(errcode.Internal, "streaming not supported"))
		return
	}
	changed, unsubscribe := s.hub.subscribe(id)
	defer unsubscribe()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: 2000\n\n")
	fl.Flush()
	keepalive := time.NewTicker(15 * time.Second)
	defer keepalive.Stop()
	for {
		evs, err := s.store.Events(ctx, id, after, 500)
		if err != nil {
			return
		}
		for _, ev := range evs {
			b, _ := json.Marshal(apiEvent(ev))
			fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.Seq, ev.Type, b)
			after = ev.Seq
		}
		if len(evs) > 0 {
			fl.Flush()
		}
		if len(evs) == 500 {
			continue
		}
		if e, err := s.store.GetExperiment(ctx, id); err == nil && e.Status.Terminal() {
			// Read once more: the final status event is written after the status.
			if more, _ := s.store.Events(ctx, id, after, 1); len(more) == 0 {
				b, _ := json.Marshal(apiExperiment(e))
				fmt.Fprintf(w, "event: end\ndata: %s\n\n", b)
				fl.Flush()
				return
			}
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-s.hub.done():
			// The server is stopping: the client reconnects (retry:) with
			// Last-Event-ID and misses nothing.
			return
		case <-changed:
		case <-keepalive.C:
			fmt.Fprintf(w, ": keepalive\n\n")
			fl.Flush()
		}
	}
}
