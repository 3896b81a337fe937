package server

import (
	"net/http"

	"github.com/drover-ml/drover/api"
)

// handleMe answers who the request authenticated as and what that user may
// ask for (the UI offers high priority only to those who may use it).
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	who := s.who(r)
	writeJSON(w, http.StatusOK, api.Me{Name: who.Name, Admin: who.Admin, MaxPriority: s.maxPriority(r.Context(), who)})
}
