package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"pada/core/run"
	"pada/serve/store"
	"pada/wasm/msg"
)

// TestAPIThumbs checks that the examples an epoch event names can be
// fetched as pictures, and that bad ids get a 400 naming the parameter.
func TestAPIThumbs(t *testing.T) {
	ta := startAPI(t, testOptions(""))
	c := apiConfig(2, 3)
	id := ta.create(c)
	lines := ta.waitFor(id, store.Done)
	var ids []int
	for _, l := range lines {
		var e run.Event
		if json.Unmarshal([]byte(l), &e) == nil && e.Epoch != nil && e.Epoch.Data != nil {
			ids = append(e.Epoch.Data.Top, e.Epoch.Data.Bottom...)
		}
	}
	if len(ids) == 0 {
		t.Fatal("no epoch event named any example")
	}
	q := make([]string, len(ids))
	for i, x := range ids {
		q[i] = strconv.Itoa(x)
	}
	code, body, _ := ta.do("GET", "/api/runs/"+id+"/thumbs?ids="+strings.Join(q, ","), nil)
	var b msg.Batch
	if err := json.Unmarshal(body, &b); code != http.StatusOK || err != nil {
		t.Fatalf("thumbs: %d %s (%v)", code, body, err)
	}
	px := c.Shape.InC * c.Shape.H * c.Shape.W
	for _, x := range ids {
		if len(b.Thumbs[x]) != px || b.C*b.H*b.W != px {
			t.Errorf("example %d: %d pixels, shape %dx%dx%d; want %d", x, len(b.Thumbs[x]), b.C, b.H, b.W, px)
		}
		if l := b.Labels[x]; l < 0 || l >= c.Shape.Classes {
			t.Errorf("example %d: label %d", x, l)
		}
	}
	for _, bad := range []string{"", "x", "-1", "99999", strings.Repeat("1,", 70) + "1"} {
		code, body, _ := ta.do("GET", "/api/runs/"+id+"/thumbs?ids="+bad, nil)
		if code != http.StatusBadRequest || !strings.Contains(string(body), `"field":"ids"`) {
			t.Errorf("ids=%.20q: %d %s; want 400 naming ids", bad, code, body)
		}
	}
}
