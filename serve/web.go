package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"pada/serve/api"
	"pada/serve/site"
)

// webCmd serves the page: it builds the wasm binaries when they are
// missing or older than their sources, then serves the site on
// 127.0.0.1 (or -addr) with wasm compressed. With -out it writes the
// static site to a folder instead and exits.
func webCmd(args []string) error {
	fs := flag.NewFlagSet("web", flag.ContinueOnError)
	port := fs.Int("port", 8080, "port to listen on")
	addr := fs.String("addr", "127.0.0.1", "address to listen on (other than loopback exposes the page to the network)")
	out := fs.String("out", "", "write the static site into this folder and exit (any static host can serve it)")
	cache := fs.String("cache", "", "folder for the built site (default: the user cache folder)")
	apiOpts := api.Flags(fs)
	jobs := webNATSFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	portSet := false
	fs.Visit(func(f *flag.Flag) { portSet = portSet || f.Name == "port" })
	host, hostPort, err := listenAddr(*addr, *port, portSet)
	if err != nil {
		return err
	}
	root, err := site.ModuleRoot()
	if err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = *cache
	}
	if dir == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			c = os.TempDir()
		}
		dir = filepath.Join(c, "pada", "web")
	}
	logf := func(format string, a ...any) { fmt.Fprintf(os.Stderr, format+"\n", a...) }
	if *out != "" {
		if err := site.Build(root, dir, logf, func(what string) func() { return progress(logf, what, progressEvery) }); err != nil {
			return err
		}
		logf("site written to %s (serve it with any static host; .wasm.gz are pre-compressed copies)", dir)
		return nil
	}
	// The port and the run store first: a port in use or a store that
	// another server holds is said at once, not after the build.
	ln, err := net.Listen("tcp", hostPort)
	if err != nil {
		return fmt.Errorf("%w (another server on this port? choose another with -port N)", err)
	}
	a, err := apiOpts.Open(host, logf) // nil with -api=false
	if err != nil {
		ln.Close()
		return err
	}
	if err := site.Build(root, dir, logf, func(what string) func() { return progress(logf, what, progressEvery) }); err != nil {
		ln.Close()
		a.Close()
		return err
	}
	h, err := site.Handler(dir)
	if err != nil {
		ln.Close()
		a.Close()
		return err
	}
	stopNATS, err := startJobs(jobs, a.Store(), logf)
	if err != nil {
		ln.Close()
		a.Close()
		return err
	}
	logf("serving the page on http://%s/", ln.Addr())
	return serveUntilSignal(api.NewHTTPServer(a.Handler(h)), ln, func() { stopNATS(); a.Close() })
}

// serveUntilSignal serves until SIGINT or SIGTERM, then stops the API
// (which checkpoints its runs, waiting at most 20 s) and lets
// open requests finish briefly; streams end with the API.
func serveUntilSignal(srv *http.Server, ln net.Listener, stop func()) error {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		stop()
		return err
	case <-ctx.Done():
	}
	stop()
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		return srv.Close()
	}
	return nil
}

// progress logs "what: N s" every interval until the returned stop is
// called, so that a slow step (a wasm build on a small machine) is seen
// to be moving.
func progress(logf func(string, ...any), what string, interval time.Duration) (stop func()) {
	t0 := time.Now()
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				logf("web: %s: %.0f s so far", what, time.Since(t0).Seconds())
			}
		}
	}()
	return func() { close(done) }
}

// progressEvery is how often a slow step reports.
var progressEvery = 10 * time.Second

// listenAddr checks -addr and -port before minutes go into building the
// site. -addr may carry its own port (127.0.0.1:9000, [::1]:9000); then
// an explicit -port must agree with it.
func listenAddr(addr string, port int, portSet bool) (host, hostPort string, err error) {
	host = addr
	if h, p, err := net.SplitHostPort(addr); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil {
			return "", "", fmt.Errorf("-addr %q: port %q is not a number", addr, p)
		}
		if portSet && n != port {
			return "", "", fmt.Errorf("-addr %q names port %d and -port says %d: give one", addr, n, port)
		}
		host, port = h, n
	}
	if port < 0 || port > 65535 {
		return "", "", fmt.Errorf("-port %d: want 0 to 65535", port)
	}
	host = strings.Trim(host, "[]") // "[::1]" without a port
	if host != "" && net.ParseIP(host) == nil && host != "localhost" {
		if _, err := net.LookupHost(host); err != nil {
			return "", "", fmt.Errorf("-addr %q: not an IP address or a known host name", addr)
		}
	}
	return host, net.JoinHostPort(host, strconv.Itoa(port)), nil
}
