package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/errcode"
	"github.com/drover-ml/drover/internal/protocol"
	"github.com/drover-ml/drover/internal/store"
)

// Bounds of what PATCH /api/v1/experiments/{id} takes.
const (
	// MaxExperimentName is the longest experiment name kept, in bytes; a
	// longer one is cut at a character boundary, as upload names are.
	MaxExperimentName = 200
	// MaxTags is how many tags an experiment may have.
	MaxTags = 32
	// MaxTagLen is the longest tag, in bytes (cut at a character boundary).
	MaxTagLen = 64
)

// tagPunct are the characters a tag may have besides letters and digits.
const tagPunct = "-_.:/+=@#"

// cleanExperimentName is a name as stored: control and bidi control
// characters and invalid UTF-8 removed, spaces trimmed, cut to
// MaxExperimentName bytes.
func cleanExperimentName(name string) string {
	return strings.TrimSpace(cleanLabel(strings.TrimSpace(name), MaxExperimentName))
}

// cleanTag is a tag as stored, or an error naming what is wrong with it.
// Like names, it loses control and bidi characters and is cut at a
// character boundary; what is left must be letters, digits and tagPunct.
func cleanTag(tag string) (string, error) {
	t := strings.TrimSpace(cleanLabel(strings.TrimSpace(tag), MaxTagLen))
	if t == "" {
		return "", fmt.Errorf("tag %q is empty", tag)
	}
	for _, r := range t {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(tagPunct, r) {
			return "", fmt.Errorf("tag %q: %q is not allowed; a tag has letters, digits and %s", tag, r, tagPunct)
		}
	}
	return t, nil
}

// cleanTags cleans each tag, drops repeats (first kept) and names the
// field at fault in its error.
func cleanTags(field string, tags []string) ([]string, error) {
	out := make([]string, 0, len(tags))
	for i, tag := range tags {
		t, err := cleanTag(tag)
		if err != nil {
			return nil, fieldErr(errcode.BadRequest, field+"["+strconv.Itoa(i)+"]", err.Error())
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// handlePatchExperiment renames an experiment and sets its tags, in any
// state (its owner or an admin). The experiment's log records each change
// with who made it.
func (s *Server) handlePatchExperiment(w http.ResponseWriter, r *http.Request) {
	ctx, who := r.Context(), s.who(r)
	var req api.ExperimentPatch
	if err := decodeJSON(w, r, &req, 1<<16, "experiment change"); err != nil {
		s.writeError(w, r, err)
		return
	}
	var set, add, remove []string
	var err error
	if req.Tags != nil {
		if set, err = cleanTags("tags", *req.Tags); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if add, err = cleanTags("add_tags", req.AddTags); err != nil {
		s.writeError(w, r, err)
		return
	}
	if remove, err = cleanTags("remove_tags", req.RemoveTags); err != nil {
		s.writeError(w, r, err)
		return
	}
	e, err := s.getExperiment(ctx, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var events []protocol.Event
	e, err = s.store.UpdateExperiment(ctx, e.ID, func(e *store.Experiment) error {
		events = nil
		if req.Name != nil {
			if name := cleanExperimentName(*req.Name); name != e.Spec.Name {
				msg := fmt.Sprintf("renamed to %q by %s", name, who.Name)
				if name == "" {
					msg = "name cleared by " + who.Name
				}
				e.Spec.Name = name
				events = append(events, protocol.Event{Type: protocol.EventLog, Level: "info", Message: msg, Actor: who.Name})
			}
		}
		tags := slices.Clone(e.Tags)
		if req.Tags != nil {
			tags = set
		}
		for _, t := range add {
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
		tags = slices.DeleteFunc(tags, func(t string) bool { return slices.Contains(remove, t) })
		if len(tags) > MaxTags {
			return fieldErr(errcode.BadRequest, "tags", fmt.Sprintf("%d tags; an experiment has at most %d", len(tags), MaxTags))
		}
		if !slices.Equal(tags, e.Tags) {
			msg := "tags set to " + strings.Join(tags, ", ") + " by " + who.Name
			if len(tags) == 0 {
				msg = "tags cleared by " + who.Name
			}
			e.Tags = tags
			events = append(events, protocol.Event{Type: protocol.EventLog, Level: "info", Message: msg, Actor: who.Name})
		}
		if len(events) == 0 {
			return store.ErrUnchanged
		}
		return nil
	})
	if err != nil {
		s.writeError(w, r, notFound(err, "experiment", r.PathValue("id")))
		return
	}
	for _, ev := range events {
		s.event(ctx, e.ID, ev)
	}
	if len(events) > 0 {
		s.log.Info("experiment changed", slog.String("id", e.ID), slog.String("by", who.Name),
			slog.String("name", e.Spec.Name), slog.Any("tags", e.Tags))
	}
	out := apiExperiment(e)
	s.annotate(ctx, []*store.Experiment{e}, []*api.Experiment{out})
	writeJSON(w, http.StatusOK, out)
}
