package main

import (
	"net/http"
	"path/filepath"
	"testing"

	"pada/wasm/edge/share/sharetest"
)

// TestAPIShares holds the native server to the share API's checks
// (the same ones the Worker is held to: wasm/edge).
func TestAPIShares(t *testing.T) {
	ta := startAPI(t, testOptions(""))
	tm := sharetest.Check(t, &sharetest.Client{Base: ta.url, HTTP: ta.client}, sharesPerWindow)
	t.Logf("serve: publish %v, fetch %v (medians), record %d bytes", tm.Publish, tm.Fetch, tm.Bytes)
}

// TestAPISharesKept: a share outlives its server, and the API's guards
// apply to it (a foreign page may not publish or delete).
func TestAPISharesKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.db")
	ta := startAPI(t, testOptions(path))
	c := &sharetest.Client{Base: ta.url, HTTP: ta.client}
	p, a := c.Publish(t, sharetest.Record(t))
	if a.Code != http.StatusCreated {
		t.Fatalf("publish: %d %s", a.Code, a.Body)
	}
	ta.Close()

	tb := startAPI(t, testOptions(path))
	c = &sharetest.Client{Base: tb.url, HTTP: tb.client}
	if a := c.Do(t, "GET", "/api/shares/"+p.ID, "", nil); a.Code != http.StatusOK {
		t.Fatalf("fetch after a restart: %d %s", a.Code, a.Body)
	}
	foreign := []string{"Origin", "https://evil.example"}
	if a := c.Do(t, "DELETE", "/api/shares/"+p.ID, "", nil, append(foreign, "Authorization", "Bearer "+p.Token)...); a.Code != http.StatusForbidden {
		t.Fatalf("delete from a foreign page: %d %s", a.Code, a.Body)
	}
	body := []byte(`{"version":1}`)
	if a := c.Do(t, "POST", "/api/shares", "application/json", body, foreign...); a.Code != http.StatusForbidden {
		t.Fatalf("publish from a foreign page: %d %s", a.Code, a.Body)
	}
	if a := c.Do(t, "DELETE", "/api/shares/"+p.ID, "", nil, "Authorization", "Bearer "+p.Token); a.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", a.Code, a.Body)
	}
}
