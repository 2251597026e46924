// Package queue spreads jobs (the runs of a sweep, the architecture x
// seed runs of a ground-truth build) over worker processes on one or
// several machines, on NATS JetStream: an embedded nats-server with file
// storage, a work-queue stream of jobs and a stream of their results.
//
// Delivery is at least once: a job whose worker dies is delivered again
// after the ack wait, and a worker that dies after publishing a result
// but before acking its job publishes it again on the next delivery. A
// result is therefore keyed by its job's ID (the stream drops a repeat
// within its duplicate window) and whoever records results records each
// job's first and ignores the others.
package queue

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// DefaultListen is where the embedded server listens unless told: NATS's
// usual port, on loopback.
const DefaultListen = "127.0.0.1:4222"

// ServerOptions configure the embedded server.
type ServerOptions struct {
	// Dir holds JetStream's files: the queued jobs and the results
	// survive a restart from the same Dir.
	Dir string
	// Listen is host:port ("" = DefaultListen; port 0 picks a free one).
	// A host other than loopback needs Token or NKeys.
	Listen string
	// Token, if not empty, is the secret every client must present.
	Token string
	// NKeys are the public keys (U...) of users allowed in by signing
	// with their seed; with Token, either is enough.
	NKeys []string
	// TLSCert and TLSKey, if set, make clients speak TLS.
	TLSCert, TLSKey string
}

// ErrAddrInUse is returned by Start when the address cannot be listened on
// (another server has it).
var ErrAddrInUse = errors.New("the address is taken")

// Server is a running embedded NATS server with JetStream.
type Server struct {
	ns    *server.Server
	url   string
	token string
	self  nkeys.KeyPair // the server's own clients sign with it when NKeys are required
}

// Start starts the embedded server and waits until it takes connections.
func Start(o ServerOptions) (*Server, error) {
	if o.Dir == "" {
		return nil, errors.New("queue: the server needs a storage folder")
	}
	listen := o.Listen
	if listen == "" {
		listen = DefaultListen
	}
	host, portStr, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("queue: listen address %q: %w", listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("queue: listen address %q: bad port", listen)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	if !Loopback(host) && o.Token == "" && len(o.NKeys) == 0 {
		return nil, fmt.Errorf("queue: listening on %q (beyond loopback) needs credentials: a token or NKeys", host)
	}
	opts := &server.Options{
		ServerName: "pada",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   o.Dir,
		NoSigs:     true,
		NoLog:      true,
		// A job's result carries a run's events; allow 8 MiB messages.
		MaxPayload: 8 << 20,
		// Sync every write: a result or an ack the server confirmed must
		// survive a kill -9 of the process that embeds it (the file store
		// otherwise flushes in the background), or a restarted sweep
		// waits for a result that was acknowledged and lost. Jobs and
		// results are a few per run, so the cost is small.
		SyncAlways: true,
	}
	if o.Token != "" && len(o.NKeys) > 0 {
		// One authorisation mechanism per server: a token user beside
		// the NKey users.
		return nil, errors.New("queue: give a token or NKeys, not both")
	}
	opts.Authorization = o.Token
	var self nkeys.KeyPair
	if len(o.NKeys) > 0 {
		// A user for the clients in this process (Connect), known only
		// to it.
		kp, err := nkeys.CreateUser()
		if err != nil {
			return nil, fmt.Errorf("queue: %w", err)
		}
		pub, _ := kp.PublicKey()
		opts.Nkeys = append(opts.Nkeys, &server.NkeyUser{Nkey: pub})
		self = kp
	}
	for _, k := range o.NKeys {
		if !nkeys.IsValidPublicUserKey(k) {
			return nil, fmt.Errorf("queue: %q is not an NKey user's public key (U...)", k)
		}
		opts.Nkeys = append(opts.Nkeys, &server.NkeyUser{Nkey: k})
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return nil, errors.New("queue: TLS needs both a certificate and its key")
	}
	if o.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSCert, o.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("queue: TLS: %w", err)
		}
		opts.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		opts.TLS = true
	}
	if port != server.RANDOM_PORT {
		// The server would only log a port it cannot take.
		l, err := net.Listen("tcp", net.JoinHostPort(host, portStr))
		if err != nil {
			return nil, fmt.Errorf("queue: %w: %v", ErrAddrInUse, err)
		}
		l.Close()
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("queue: the NATS server on %s did not start (port taken, or %s not writable?)", listen, o.Dir)
	}
	u := ns.ClientURL()
	if o.TLSCert != "" {
		if p, err := url.Parse(u); err == nil {
			p.Scheme = "tls"
			u = p.String()
		}
	}
	return &Server{ns: ns, url: u, token: o.Token, self: self}, nil
}

// Connect connects a client in this process to the server, in process
// and with the server's own credentials (the web server's recorder of
// sweep runs).
func (s *Server) Connect(ctx context.Context, o Options) (*Queue, error) {
	extra := []nats.Option{nats.InProcessServer(s.ns)}
	o.Creds = Creds{Token: s.token}
	if s.self != nil {
		pub, _ := s.self.PublicKey()
		extra = append(extra, nats.Nkey(pub, s.self.Sign))
	}
	return dial(ctx, s.url, o, extra...)
}

// URL is the address clients connect to.
func (s *Server) URL() string { return s.url }

// Close stops the server and waits until it has.
func (s *Server) Close() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}

// Loopback reports whether host (a name or an address) is loopback only.
func Loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
