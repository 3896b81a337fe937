package server

import "sync"

// hub tells event-stream readers that an experiment has something new. It
// carries no data: readers re-read the store from their last sequence
// number, so a slow reader never loses an event.
type hub struct {
	mu     sync.Mutex
	subs   map[string]map[chan struct{}]struct{}
	closed chan struct{} // closed by closeAll: streams end
	once   sync.Once
}

func newHub() *hub {
	return &hub{subs: map[string]map[chan struct{}]struct{}{}, closed: make(chan struct{})}
}

// done is closed when the server shuts down; every stream then ends.
func (h *hub) done() <-chan struct{} { return h.closed }

// subscribe returns a channel signalled whenever id changes, and a cancel func.
func (h *hub) subscribe(id string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if h.subs[id] == nil {
		h.subs[id] = map[chan struct{}]struct{}{}
	}
	h.subs[id][ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs[id], ch)
		if len(h.subs[id]) == 0 {
			delete(h.subs, id)
		}
		h.mu.Unlock()
	}
}

// notify signals every reader of id (and of "*", the all-experiments stream).
func (h *hub) notify(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, key := range []string{id, "*"} {
		for ch := range h.subs[key] {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
}

// closeAll ends every stream at shutdown (done is closed); idempotent.
func (h *hub) closeAll() { h.once.Do(func() { close(h.closed) }) }
