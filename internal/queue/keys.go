package queue

// keys names every Redis key of one installation. The Lua scripts build the
// same names from the prefix (scripts.go); docs/queue.md lists them all.
type keys struct{ prefix string }

func (k keys) k(s string) string            { return k.prefix + ":" + s }
func (k keys) seq() string                  { return k.k("seq") }
func (k keys) pending() string              { return k.k("pending") }
func (k keys) pendingClass(c string) string { return k.k("pending:" + c) }
func (k keys) classes() string              { return k.k("classes") }
func (k keys) exp(id string) string         { return k.k("exp:" + id) }
func (k keys) leases() string               { return k.k("leases") }
func (k keys) workers() string              { return k.k("workers") }
func (k keys) worker(id string) string      { return k.k("worker:" + id) }
func (k keys) running(id string) string     { return k.k("worker:" + id + ":running") }
func (k keys) fails(id string) string       { return k.k("worker:" + id + ":fails") }
func (k keys) names() string                { return k.k("names") }
func (k keys) waiting() string              { return k.k("waiting") }
func (k keys) wake(worker string) string    { return k.k("wake:" + worker) }
func (k keys) ctl(worker string) string     { return k.k("ctl:" + worker) }
func (k keys) results() string              { return k.k("results") }
func (k keys) events() string               { return k.k("events") }
func (k keys) stats() string                { return k.k("stats") }
func (k keys) urun() string                 { return k.k("urun") }
func (k keys) sched() string                { return k.k("sched") }
