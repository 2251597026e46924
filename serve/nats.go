package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"pada/serve/queue"
)

// webNATS are the flags of the NATS server that `serve web` embeds, so
// that workers on this and other machines can take the jobs of sweeps
// and ground-truth builds sent to it (`serve sweep -nats`, `serve
// groundtruth build -nats`).
type webNATS struct {
	listen, dir, token, nkeys, cert, key *string
	required                             bool // a taken port is an error, not a note
}

func webNATSFlags(fs *flag.FlagSet) webNATS {
	return webNATS{
		listen: fs.String("nats-listen", queue.DefaultListen, "where the embedded NATS JetStream server listens for workers; off: none (beyond loopback it needs -nats-token or -nats-nkeys)"),
		dir:    fs.String("nats-dir", "", "the embedded NATS server's JetStream folder (default ~/.config/pada/nats)"),
		token:  fs.String("nats-token", "", "the token workers must give (default $PADA_NATS_TOKEN)"),
		nkeys:  fs.String("nats-nkeys", "", "NKey public keys (U..., comma-separated) of the workers allowed in, instead of a token"),
		cert:   fs.String("nats-tls-cert", "", "TLS certificate (PEM) of the NATS server"),
		key:    fs.String("nats-tls-key", "", "its private key (PEM)"),
	}
}

// start starts the server unless -nats-listen is off (then srv is nil).
// A port already taken (another server, a running sweep) is only a note:
// the page does not need the queue. Credentials missing beyond loopback
// are an error.
func (n webNATS) start(logf func(string, ...any)) (srv *queue.Server, stop func(), err error) {
	if *n.listen == "off" {
		return nil, func() {}, nil
	}
	dir := *n.dir
	if dir == "" {
		d, err := dataDir()
		if err != nil {
			return nil, nil, fmt.Errorf("no -nats-dir given and %w", err)
		}
		dir = filepath.Join(d, "nats")
	}
	tok := *n.token
	if tok == "" {
		tok = os.Getenv("PADA_NATS_TOKEN")
	}
	var keys []string
	if *n.nkeys != "" {
		keys = strings.Split(*n.nkeys, ",")
	}
	srv, err = queue.Start(queue.ServerOptions{Dir: dir, Listen: *n.listen, Token: tok, NKeys: keys, TLSCert: *n.cert, TLSKey: *n.key})
	if err != nil {
		if errors.Is(err, queue.ErrAddrInUse) && !n.required {
			logf("note: no job queue: %v", err)
			return nil, func() {}, nil
		}
		return nil, nil, err
	}
	logf("job queue (NATS JetStream, files in %s) on %s: workers join with  go run ./serve worker -nats %s", dir, srv.URL(), srv.URL())
	return srv, srv.Close, nil
}

const natsUsage = `usage: go run ./serve nats [flags]

nats runs only the job queue (the NATS JetStream server that ` + "`serve web`" + `
embeds), for a machine that hands out work without serving the page:
sweeps and ground-truth builds send their runs to it with -nats URL, and
workers take them with  go run ./serve worker -nats URL .`

func natsCmd(args []string) error {
	fs := flag.NewFlagSet("nats", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), natsUsage+"\n\nflags:")
		fs.PrintDefaults()
	}
	n := webNATSFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *n.listen == "off" {
		return errors.New("-nats-listen off: nothing to run")
	}
	n.required = true
	logf := func(format string, a ...any) { fmt.Fprintf(os.Stderr, format+"\n", a...) }
	_, stop, err := n.start(logf)
	if err != nil {
		return err
	}
	defer stop()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	<-ctx.Done()
	return nil
}
