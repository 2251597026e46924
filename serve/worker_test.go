package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"

	"pada/serve/queue"
)

// TestWorkerCredentials: a worker process with a wrong token, with none,
// or with an NKey the server does not know is refused and exits with the
// reason; the right token and the right NKey get in.
func TestWorkerCredentials(t *testing.T) {
	srv, err := queue.Start(queue.ServerOptions{Dir: t.TempDir(), Listen: "127.0.0.1:0", Token: "right-token"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	user, _ := nkeys.CreateUser()
	pub, _ := user.PublicKey()
	seed, _ := user.Seed()
	stranger, _ := nkeys.CreateUser()
	strangerSeed, _ := stranger.Seed()
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.nk"), filepath.Join(dir, "bad.nk")
	os.WriteFile(good, seed, 0o600)
	os.WriteFile(bad, strangerSeed, 0o600)
	nsrv, err := queue.Start(queue.ServerOptions{Dir: t.TempDir(), Listen: "127.0.0.1:0", NKeys: []string{pub}})
	if err != nil {
		t.Fatal(err)
	}
	defer nsrv.Close()

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"wrong token", []string{"worker", "-nats", srv.URL(), "-token", "wrong"}},
		{"no token", []string{"worker", "-nats", srv.URL()}},
		{"unknown NKey", []string{"worker", "-nats", nsrv.URL(), "-nkey", bad}},
	} {
		c := startChild(t, tc.name, tc.args...)
		err := c.wait(t, time.Minute)
		if err == nil || !strings.Contains(c.output(), "uthorization") {
			t.Errorf("%s: exit %v, output:\n%s", tc.name, err, c.output())
		}
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"right token", []string{"worker", "-nats", srv.URL(), "-token", "right-token"}},
		{"known NKey", []string{"worker", "-nats", nsrv.URL(), "-nkey", good}},
	} {
		c := startChild(t, tc.name, tc.args...)
		c.waitFor(t, "taking jobs", 0, time.Minute)
		c.kill()
	}
}
