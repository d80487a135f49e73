package runtime

// Stats is a snapshot of a Host's instances, for metrics.
type Stats struct {
	// Apps is the number of apps with a pool (warm or running instances).
	Apps int
	// Running is the number of instances running an invocation now.
	Running int
	// Idle is the number of warm instances waiting for their app.
	Idle int
	// Spares is the number of fresh instances ready for any app.
	Spares int
	// Classes is the number of compiled memory classes.
	Classes int
	// Stuck is Host.Stuck.
	Stuck int
}

// Stats returns the current counts. It takes the Host's locks briefly and
// is cheap enough for every metrics scrape.
func (h *Host) Stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := Stats{Apps: len(h.pools), Stuck: h.stuck}
	for _, p := range h.pools {
		p.mu.Lock()
		s.Idle += len(p.idle)
		p.mu.Unlock()
		s.Running += len(p.sem)
	}
	for _, c := range h.classes {
		select {
		case <-c.ready: // spares is set before ready closes
			s.Classes++
			s.Spares += len(c.spares)
		default:
		}
	}
	return s
}
