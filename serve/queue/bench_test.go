package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// BenchmarkJob is the queue's cost of one job: submitted, taken by a
// worker whose handler returns at once, its result published, acked and
// read back, one job in flight at a time, on a loopback server with file
// storage. A ground-truth run of the mini schedule is ~25 CPU-s: compare.
func BenchmarkJob(b *testing.B) {
	s, err := Start(ServerOptions{Dir: b.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	q, err := Connect(ctx, s.URL(), Options{Name: "c", AckWait: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	w, err := Connect(ctx, s.URL(), Options{Name: "w"})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	go w.Work(ctx, func(context.Context, Job, func()) (json.RawMessage, error) { return json.RawMessage(`1`), nil })
	results := make(chan Result)
	go q.Results(ctx, "bench", func(r Result) error {
		results <- r
		return nil
	})
	b.ResetTimer()
	for i := range b.N {
		if err := q.Submit(ctx, Job{ID: fmt.Sprint("j", i), Batch: "bench", Kind: "noop", Body: json.RawMessage(`0`)}); err != nil {
			b.Fatal(err)
		}
		<-results
	}
}
