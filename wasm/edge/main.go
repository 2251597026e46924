//go:build js && wasm

// Command edge is the Cloudflare Worker that publishes races: it serves
// the share API (package share) over a D1 database, and Cloudflare serves
// the static site beside it from the Worker's static assets (edge/wrangler.toml),
// so one deployment is the whole page plus permalinks. Build it with
// `make edge`, run it locally with `make edge-dev`.
//
// Bindings: DB (D1, tables in edge/schema.sql) and, optionally, the
// variable PUBLISH_LIMIT (publications per client per hour, default 30).
package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/syumai/workers"
	"github.com/syumai/workers/cloudflare"
	"github.com/syumai/workers/cloudflare/d1"

	"pada/wasm/edge/share"
)

const defaultLimit = 30

func main() {
	mux := http.NewServeMux()
	db, err := openDB()
	if err != nil {
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			jsonError(w, http.StatusInternalServerError, "the Worker has no D1 database bound as DB: "+err.Error())
		})
		workers.Serve(mux)
		return
	}
	limit := defaultLimit
	if v := cloudflare.Getenv("PUBLISH_LIMIT"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			limit = n
		}
	}
	h := &share.Handler{
		Store:   d1Store{db},
		Limiter: d1Limiter{db: db, n: limit, window: time.Hour},
		Client:  clientKey,
	}
	h.Register(mux)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		jsonError(w, http.StatusNotFound, "no such API endpoint: "+r.Method+" "+r.URL.Path+" (this server keeps shares only: /api/shares)")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// Static assets are answered before the Worker runs; what
		// reaches here is not one of them.
		http.Error(w, "not found", http.StatusNotFound)
	})
	workers.Serve(sameSite(mux))
}

func openDB() (*sql.DB, error) {
	c, err := d1.OpenConnector("DB")
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(c), nil
}

// sameSite refuses a publication or deletion that a page of another site
// sends: only the Worker's own page may change what it stores. Fetching
// stays open to any page.
func sameSite(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if o := r.Header.Get("Origin"); o != "" {
				if u, err := url.Parse(o); err != nil || !strings.EqualFold(u.Host, r.Host) {
					jsonError(w, http.StatusForbidden, fmt.Sprintf("origin %s may not publish or delete here", o))
					return
				}
			} else if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "same-origin" && s != "none" {
				jsonError(w, http.StatusForbidden, s+" request refused")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// clientKey names a client by a hash of the address Cloudflare saw it
// from, so that the rate-limit table holds no addresses.
func clientKey(r *http.Request) string {
	ip := r.Header.Get("CF-Connecting-IP")
	if ip == "" {
		ip = "unknown"
	}
	sum := sha256.Sum256([]byte("pada-publish:" + ip))
	return hex.EncodeToString(sum[:16])
}

func jsonError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	fmt.Fprintf(w, "{\"error\":%q}\n", msg)
}

// d1Store keeps shares in the shares table.
type d1Store struct{ db *sql.DB }

func (s d1Store) Create(ctx context.Context, sh share.Share) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO shares (id, token_sha256, created, record) VALUES (?1, ?2, ?3, ?4)`,
		sh.ID, hex.EncodeToString(sh.TokenHash[:]), sh.Created.Unix(), string(sh.Record))
	if err != nil && strings.Contains(err.Error(), "UNIQUE") {
		return share.ErrExists
	}
	return err
}

func (s d1Store) Get(ctx context.Context, id string) (share.Share, error) {
	var token, record string
	var created int64
	err := s.db.QueryRowContext(ctx, `SELECT token_sha256, created, record FROM shares WHERE id = ?1`, id).Scan(&token, &created, &record)
	if errors.Is(err, sql.ErrNoRows) {
		return share.Share{}, share.ErrNotFound
	}
	if err != nil {
		return share.Share{}, err
	}
	sh := share.Share{ID: id, Created: time.Unix(created, 0).UTC(), Record: []byte(record)}
	if b, err := hex.DecodeString(token); err != nil || len(b) != len(sh.TokenHash) {
		return share.Share{}, fmt.Errorf("share %s: stored token hash is damaged", id)
	}
	hex.Decode(sh.TokenHash[:], []byte(token))
	return sh, nil
}

func (s d1Store) Delete(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM shares WHERE id = ?1`, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return share.ErrNotFound
	}
	return nil
}

// d1Limiter counts publications per client in fixed windows in the
// publish_limits table: one row per client, rewritten per publication,
// and the rows of past windows deleted about once in 64 publications.
// D1 is one database, so every edge location sees the same count.
type d1Limiter struct {
	db     *sql.DB
	n      int
	window time.Duration
}

func (l d1Limiter) Allow(ctx context.Context, client string, now time.Time) (time.Duration, error) {
	win := now.Unix() / int64(l.window/time.Second)
	var n int
	err := l.db.QueryRowContext(ctx, `INSERT INTO publish_limits (client, win, n) VALUES (?1, ?2, 1)
		ON CONFLICT (client) DO UPDATE SET n = CASE WHEN win = excluded.win THEN n + 1 ELSE 1 END, win = excluded.win
		RETURNING n`, client, win).Scan(&n)
	if err != nil {
		return 0, err
	}
	if rand.IntN(64) == 0 {
		// Now and then, forget the clients of past windows, so that the
		// table holds about the clients of the last hour, not of all time.
		if _, err := l.db.ExecContext(ctx, `DELETE FROM publish_limits WHERE win < ?1`, win); err != nil {
			return 0, err
		}
	}
	if n <= l.n {
		return 0, nil
	}
	end := time.Unix((win+1)*int64(l.window/time.Second), 0)
	return end.Sub(now), nil
}
