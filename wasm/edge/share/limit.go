package share

import (
	"context"
	"sync"
	"time"
)

// MemLimiter lets each client publish at most N shares per Window, in
// fixed windows, counted in memory (the native server: one process).
// It remembers at most MaxClients clients; when that many are inside
// their window, a new client waits for the oldest window to end.
type MemLimiter struct {
	N          int
	Window     time.Duration
	MaxClients int

	mu      sync.Mutex
	clients map[string]*window
}

type window struct {
	start time.Time
	n     int
}

// NewMemLimiter returns a limiter of n publications per window.
func NewMemLimiter(n int, per time.Duration) *MemLimiter {
	return &MemLimiter{N: n, Window: per, MaxClients: 10000}
}

// Allow implements Limiter.
func (l *MemLimiter) Allow(_ context.Context, client string, now time.Time) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.clients == nil {
		l.clients = map[string]*window{}
	}
	w := l.clients[client]
	if w != nil && now.Sub(w.start) >= l.Window {
		w.start, w.n = now, 0
	}
	if w == nil {
		if len(l.clients) >= l.MaxClients {
			oldest := now
			for c, x := range l.clients {
				if now.Sub(x.start) >= l.Window {
					delete(l.clients, c)
				} else if x.start.Before(oldest) {
					oldest = x.start
				}
			}
			if len(l.clients) >= l.MaxClients {
				return oldest.Add(l.Window).Sub(now), nil
			}
		}
		w = &window{start: now}
		l.clients[client] = w
	}
	if w.n >= l.N {
		return w.start.Add(l.Window).Sub(now), nil
	}
	w.n++
	return 0, nil
}
