package api

// The share API (package share: publish a finished race as a run record,
// fetch it by id, delete it with its token) on the native server, stored
// in the run store's "shares" bucket. The Cloudflare Worker (wasm/edge)
// serves the same Handler over D1.

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"pada/serve/store"
	"pada/wasm/edge/share"
)

// Publications a client may make per hour. On loopback every client is
// this machine, so this bounds what a runaway script can fill the store
// with rather than telling people apart.
const (
	sharesPerWindow = 30
	shareWindow     = time.Hour
)

// shareRoutes adds the share API to the API's mux.
func (a *Server) shareRoutes() {
	h := &share.Handler{
		Store:   shareStore{a.st},
		Limiter: share.NewMemLimiter(sharesPerWindow, shareWindow),
		Client:  clientHost,
	}
	h.Register(a.mux)
}

// clientHost is the caller's IP address, without the port.
func clientHost(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

// shareStore is the run store as a share.Store.
type shareStore struct{ st *store.Store }

func (s shareStore) Create(_ context.Context, sh share.Share) error {
	err := s.st.PutShare(store.Share{ID: sh.ID, TokenHash: sh.TokenHash, Created: sh.Created, Record: sh.Record})
	if errors.Is(err, store.ErrShareExists) {
		return share.ErrExists
	}
	return err
}

func (s shareStore) Get(_ context.Context, id string) (share.Share, error) {
	sh, err := s.st.GetShare(id)
	if errors.Is(err, store.ErrNoShare) {
		return share.Share{}, share.ErrNotFound
	}
	return share.Share{ID: sh.ID, TokenHash: sh.TokenHash, Created: sh.Created, Record: sh.Record}, err
}

func (s shareStore) Delete(_ context.Context, id string) error {
	err := s.st.DeleteShare(id)
	if errors.Is(err, store.ErrNoShare) {
		return share.ErrNotFound
	}
	return err
}
