package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Stream and consumer names, and the subjects they hold: jobs.<batch>,
// results.<batch>.<job>.
const (
	JobsStream    = "PADA_JOBS"
	ResultsStream = "PADA_RESULTS"
	consumerName  = "workers"
	pingSubject   = "pada.workers.ping"
)

// Defaults of the jobs consumer.
const (
	DefaultAckWait    = time.Minute
	DefaultMaxDeliver = 3
)

// Creds are how a client proves itself: a token, or an NKey seed file;
// CAFile, if set, is the certificate authority a TLS server is checked
// against.
type Creds struct {
	Token    string
	NKeySeed string // path of a file holding an NKey user seed (SU...)
	CAFile   string
}

// Options of Connect.
type Options struct {
	Creds
	// Name is this client's name in the server's monitoring and in the
	// Worker field of the results it publishes.
	Name string
	// AckWait sets the jobs consumer: how long a job may go without a
	// sign of life before it is delivered again. Zero keeps the consumer
	// as it is (DefaultAckWait when it is new): workers leave it zero
	// and take the coordinator's.
	AckWait time.Duration
	// MaxDeliver is how often the jobs this client submits are
	// delivered before they are parked (0: DefaultMaxDeliver).
	MaxDeliver int
	// Logf, if set, hears what a worker cannot tell through a result: a
	// result or an ack that did not reach the server (the job then runs
	// again elsewhere).
	Logf func(format string, a ...any)
}

// Job is one unit of work.
type Job struct {
	ID    string          `json:"id"`    // unique within its batch; letters, digits, - and _
	Batch string          `json:"batch"` // the sweep or build it belongs to
	Kind  string          `json:"kind"`  // what the worker does with Body
	Body  json.RawMessage `json:"body"`
	// MaxDeliver is how often the job is delivered before it is parked;
	// Submit sets it. The limit travels with the job, not in the
	// server's consumer, so that a job whose workers all died is parked
	// by the next worker that receives it, with no coordinator needed
	// to hear of it (the server's own limit would leave it in the queue,
	// undelivered, with a one-off advisory nobody may be listening to).
	MaxDeliver int `json:"max_deliver,omitempty"`
}

// Result is what became of a job.
type Result struct {
	JobID  string          `json:"job"`
	Batch  string          `json:"batch"`
	Kind   string          `json:"kind"`
	Body   json.RawMessage `json:"body,omitempty"`
	Error  string          `json:"error,omitempty"`
	Parked bool            `json:"parked,omitempty"` // failed on every delivery: given up
	// Job is a parked job's body, so that whoever records the failure
	// knows what failed.
	Job      json.RawMessage `json:"job_body,omitempty"`
	Worker   string          `json:"worker"`
	Attempt  int             `json:"attempt"` // which delivery produced it (1 = the first)
	Seconds  float64         `json:"seconds"` // the handler's wall time
	Finished time.Time       `json:"finished"`
}

// Handler does a job. progress tells the queue the job is alive; the
// worker also calls it on its own every third of the ack wait, so a
// handler needs it only to say so sooner. An error is a failed delivery:
// the job is delivered again, or parked with the error after MaxDeliver.
type Handler func(ctx context.Context, j Job, progress func()) (json.RawMessage, error)

// Queue is a connection to the jobs and results streams.
type Queue struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	name    string
	jobs    jetstream.Consumer
	ackWait time.Duration
	maxDel  int // of the jobs this client submits
	logf    func(string, ...any)
}

var token = regexp.MustCompile(`^[A-Za-z0-9_-]{1,200}$`)

// checkToken refuses a batch or job ID that cannot be a subject token.
func checkToken(what, s string) error {
	if !token.MatchString(s) {
		return fmt.Errorf("queue: %s %q: want 1-200 letters, digits, - or _", what, s)
	}
	return nil
}

// Connect connects to the server at url and makes sure the streams and
// the jobs consumer exist.
func Connect(ctx context.Context, url string, o Options) (*Queue, error) {
	return dial(ctx, url, o)
}

func dial(ctx context.Context, url string, o Options, extra ...nats.Option) (*Queue, error) {
	nopts := append([]nats.Option{nats.Name(o.Name), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond)}, extra...)
	if o.Token != "" && o.NKeySeed != "" {
		return nil, errors.New("queue: give a token or an NKey seed, not both")
	}
	if o.Token != "" {
		nopts = append(nopts, nats.Token(o.Token))
	}
	if o.NKeySeed != "" {
		opt, err := nats.NkeyOptionFromSeed(o.NKeySeed)
		if err != nil {
			return nil, fmt.Errorf("queue: NKey seed %s: %w", o.NKeySeed, err)
		}
		nopts = append(nopts, opt)
	}
	if o.CAFile != "" {
		nopts = append(nopts, nats.RootCAs(o.CAFile))
	}
	nc, err := nats.Connect(url, nopts...)
	if err != nil {
		return nil, fmt.Errorf("queue: connecting to %s: %w", url, err)
	}
	q := &Queue{nc: nc, name: o.Name, logf: o.Logf}
	if q.logf == nil {
		q.logf = func(string, ...any) {}
	}
	if err := q.setup(ctx, o); err != nil {
		nc.Close()
		return nil, err
	}
	return q, nil
}

func (q *Queue) setup(ctx context.Context, o Options) error {
	js, err := jetstream.New(q.nc)
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	q.js = js
	for _, cfg := range []jetstream.StreamConfig{
		{Name: JobsStream, Subjects: []string{"jobs.>"}, Retention: jetstream.WorkQueuePolicy,
			Storage: jetstream.FileStorage, Duplicates: time.Hour},
		{Name: ResultsStream, Subjects: []string{"results.>"}, Retention: jetstream.LimitsPolicy,
			Storage: jetstream.FileStorage, Duplicates: time.Hour, MaxAge: 90 * 24 * time.Hour},
	} {
		if _, err := js.Stream(ctx, cfg.Name); errors.Is(err, jetstream.ErrStreamNotFound) {
			_, err = js.CreateStream(ctx, cfg)
			if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
				return fmt.Errorf("queue: creating stream %s: %w", cfg.Name, err)
			}
		} else if err != nil {
			return fmt.Errorf("queue: stream %s: %w", cfg.Name, err)
		}
	}
	c, err := js.Consumer(ctx, JobsStream, consumerName)
	var ci jetstream.ConsumerConfig
	switch {
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		ci = jetstream.ConsumerConfig{Durable: consumerName, AckPolicy: jetstream.AckExplicitPolicy,
			AckWait: DefaultAckWait, MaxDeliver: -1, MaxAckPending: -1}
	case err != nil:
		return fmt.Errorf("queue: jobs consumer: %w", err)
	default:
		ci = c.CachedInfo().Config
	}
	update := c == nil
	if o.AckWait > 0 && o.AckWait != ci.AckWait {
		ci.AckWait, update = o.AckWait, true
	}
	if ci.MaxDeliver != -1 {
		// The server delivers without limit; each job carries its own
		// (Job.MaxDeliver). A queue made by an earlier version had the
		// limit in the consumer.
		ci.MaxDeliver, update = -1, true
	}
	if update {
		if c, err = js.CreateOrUpdateConsumer(ctx, JobsStream, ci); err != nil {
			return fmt.Errorf("queue: jobs consumer: %w", err)
		}
	}
	q.jobs = c
	q.ackWait, q.maxDel = ci.AckWait, o.MaxDeliver
	if q.maxDel <= 0 {
		q.maxDel = DefaultMaxDeliver
	}
	return nil
}

// Close closes the connection.
func (q *Queue) Close() { q.nc.Close() }

// Submit queues a job. A job submitted again (a sweep restarted) within
// the stream's duplicate window is not queued twice.
func (q *Queue) Submit(ctx context.Context, j Job) error {
	if err := checkToken("batch", j.Batch); err != nil {
		return err
	}
	if err := checkToken("job ID", j.ID); err != nil {
		return err
	}
	if j.MaxDeliver <= 0 {
		j.MaxDeliver = q.maxDel
	}
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	if _, err := q.js.Publish(ctx, "jobs."+j.Batch, b, jetstream.WithMsgID(j.Batch+"."+j.ID)); err != nil {
		return fmt.Errorf("queue: submitting job %s: %w", j.ID, err)
	}
	return nil
}

// Work takes jobs one at a time and runs h on each until ctx is done
// (then it returns nil, leaving an unfinished job to be delivered again)
// or the connection is lost for good. It answers pings (see Workers)
// while it runs.
func (q *Queue) Work(ctx context.Context, h Handler) error {
	sub, err := q.nc.Subscribe(pingSubject, func(m *nats.Msg) { m.Respond([]byte(q.name)) })
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	defer sub.Unsubscribe()
	for ctx.Err() == nil {
		batch, err := q.jobs.Fetch(1, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if q.nc.IsClosed() {
				return fmt.Errorf("queue: connection closed: %w", err)
			}
			time.Sleep(200 * time.Millisecond)
			continue
		}
		for m := range batch.Messages() {
			if err := q.handle(ctx, m, h); err != nil {
				// A result or an ack lost on the way (the server
				// restarting, the network): the job is delivered again,
				// and its result is recorded once. Not a reason to stop
				// taking jobs.
				q.logf("queue: %v\n", err)
				if q.nc.IsClosed() {
					return fmt.Errorf("queue: connection closed: %w", err)
				}
			}
		}
	}
	return nil
}

// handle runs one delivery of a job.
func (q *Queue) handle(ctx context.Context, m jetstream.Msg, h Handler) error {
	meta, err := m.Metadata()
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	var j Job
	if err := json.Unmarshal(m.Data(), &j); err != nil {
		// Not a job of ours: park it at once.
		return q.finish(ctx, m, Result{JobID: "unreadable-" + fmt.Sprint(meta.Sequence.Stream), Batch: "unreadable",
			Error: fmt.Sprintf("job message %d is not a job: %v", meta.Sequence.Stream, err), Parked: true,
			Attempt: int(meta.NumDelivered)}, true)
	}
	if limit := j.maxDeliver(); int(meta.NumDelivered) > limit {
		// Every delivery it was allowed went to a worker that never
		// finished it (killed, hung, cut off from the server).
		return q.finish(ctx, m, Result{JobID: j.ID, Batch: j.Batch, Kind: j.Kind, Parked: true, Job: j.Body, Attempt: limit,
			Error: fmt.Sprintf("delivered %d times and never finished: its workers died or stopped answering (ack wait %s)", limit, q.ackWait)}, true)
	}
	jctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	progress := func() {
		mu.Lock()
		defer mu.Unlock()
		m.InProgress()
	}
	go func() {
		t := time.NewTicker(max(q.ackWait/3, 100*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-jctx.Done():
				return
			case <-t.C:
				progress()
			}
		}
	}()
	start := time.Now()
	body, herr := runHandler(jctx, h, j, progress)
	cancel()
	if herr != nil && ctx.Err() != nil {
		// Stopped mid-job: leave it to another delivery.
		m.Nak()
		return nil
	}
	r := Result{JobID: j.ID, Batch: j.Batch, Kind: j.Kind, Body: body, Attempt: int(meta.NumDelivered),
		Seconds: time.Since(start).Seconds()}
	if herr != nil {
		r.Body = nil
		r.Error = herr.Error()
		if int(meta.NumDelivered) < j.maxDeliver() {
			// Try again, on this worker or another, after a pause.
			return m.NakWithDelay(time.Second)
		}
		r.Parked, r.Job = true, j.Body
	}
	return q.finish(ctx, m, r, r.Parked)
}

// maxDeliver is the job's delivery limit; a job queued by an earlier
// version carries none and gets the default.
func (j Job) maxDeliver() int {
	if j.MaxDeliver > 0 {
		return j.MaxDeliver
	}
	return DefaultMaxDeliver
}

// runHandler runs h, turning a panic into an error so that a poison job
// is parked instead of killing every worker it reaches.
func runHandler(ctx context.Context, h Handler, j Job, progress func()) (body json.RawMessage, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the job panicked: %v", p)
		}
	}()
	return h(ctx, j, progress)
}

// finish publishes r, then acks the job (terminates it when parked). A
// crash between the two publishes r again on the next delivery, under
// the same message ID. Both are tried again for a while when the server
// does not answer (it may be restarting: a job's result is worth
// waiting for); what still fails is returned, and the job is then
// delivered again.
func (q *Queue) finish(ctx context.Context, m jetstream.Msg, r Result, parked bool) error {
	r.Worker = q.name
	r.Finished = time.Now().UTC()
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	subj := "results." + r.Batch + "." + r.JobID
	// A job that finished as the worker was told to stop is still
	// worth its result: publish it without the worker's context.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishWait)
	defer cancel()
	err = retry(pctx, func(actx context.Context) error {
		_, err := q.js.Publish(actx, subj, b, jetstream.WithMsgID(r.Batch+"."+r.JobID))
		return err
	})
	if err != nil {
		m.Nak()
		return fmt.Errorf("publishing the result of %s: %w", r.JobID, err)
	}
	// The ack is tried for less long: a server that restarted with an
	// older state of the consumer may never answer it (then the job runs
	// once more, and its second result is dropped as a repeat).
	actx, acancel := context.WithTimeout(pctx, 2*attemptWait)
	defer acancel()
	err = retry(actx, func(actx context.Context) error {
		if parked {
			return m.TermWithReason(r.Error)
		}
		// Wait for the server to confirm, so that a worker stopping
		// right after does not leave its finished job to run again.
		return m.DoubleAck(actx)
	})
	if err != nil {
		return fmt.Errorf("acking %s (its result is published; it may run again): %w", r.JobID, err)
	}
	return nil
}

// finishWait bounds how long finish keeps trying; attemptWait is one
// try's share of it.
var finishWait, attemptWait = time.Minute, 5 * time.Second

// retry calls f until it succeeds or ctx is done, each call with its own
// deadline, pausing between them.
func retry(ctx context.Context, f func(context.Context) error) error {
	for {
		actx, cancel := context.WithTimeout(ctx, attemptWait)
		err := f(actx)
		cancel()
		if err == nil || errors.Is(err, nats.ErrConnectionClosed) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Results calls fn with every result of batch that the stream holds, in
// the order they were published, then with each new one, until ctx is
// done or fn fails. The stream keeps results across restarts, so a
// coordinator that restarts reads them all again: fn must record each
// job once (by its ID).
func (q *Queue) Results(ctx context.Context, batch string, fn func(Result) error) error {
	if err := checkToken("batch", batch); err != nil {
		return err
	}
	c, err := q.js.OrderedConsumer(ctx, ResultsStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"results." + batch + ".>"}})
	if err != nil {
		return fmt.Errorf("queue: reading results: %w", err)
	}
	it, err := c.Messages()
	if err != nil {
		return fmt.Errorf("queue: reading results: %w", err)
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	defer it.Stop()
	for {
		m, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("queue: reading results: %w", err)
		}
		var r Result
		if err := json.Unmarshal(m.Data(), &r); err != nil {
			return fmt.Errorf("queue: result %s is not a result: %w", m.Subject(), err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
}

// Workers asks the workers that are taking jobs to answer within wait
// and returns their names.
func (q *Queue) Workers(ctx context.Context, wait time.Duration) ([]string, error) {
	inbox := q.nc.NewRespInbox()
	sub, err := q.nc.SubscribeSync(inbox)
	if err != nil {
		return nil, err
	}
	defer sub.Unsubscribe()
	if err := q.nc.PublishRequest(pingSubject, inbox, nil); err != nil {
		return nil, err
	}
	var names []string
	deadline := time.Now().Add(wait)
	for {
		left := time.Until(deadline)
		if left <= 0 || ctx.Err() != nil {
			return names, nil
		}
		m, err := sub.NextMsg(left)
		if errors.Is(err, nats.ErrTimeout) {
			return names, nil
		}
		if err != nil {
			return names, err
		}
		names = append(names, string(m.Data))
	}
}

// Pending is the number of jobs of batch waiting or in progress. A job
// whose result was just published may count for a moment longer: the
// result is published before the job is acked.
func (q *Queue) Pending(ctx context.Context, batch string) (uint64, error) {
	s, err := q.js.Stream(ctx, JobsStream)
	if err != nil {
		return 0, err
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter("jobs."+batch))
	if err != nil {
		return 0, err
	}
	return info.State.Subjects["jobs."+batch], nil
}

// Answer answers requests on subject with fn until stop is called: the
// way a coordinator tells its clients what it holds (serve web's run
// store answers which sweep runs it recorded).
func (q *Queue) Answer(subject string, fn func(req []byte) []byte) (stop func(), err error) {
	sub, err := q.nc.Subscribe(subject, func(m *nats.Msg) { m.Respond(fn(m.Data)) })
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	return func() { sub.Unsubscribe() }, nil
}

// ErrNoAnswer is returned by Ask when nobody answers on the subject.
var ErrNoAnswer = errors.New("nobody answers")

// Ask sends req on subject and returns the first answer.
func (q *Queue) Ask(ctx context.Context, subject string, req []byte) ([]byte, error) {
	m, err := q.nc.RequestWithContext(ctx, subject, req)
	if errors.Is(err, nats.ErrNoResponders) {
		return nil, fmt.Errorf("queue: %s: %w", subject, ErrNoAnswer)
	}
	if err != nil {
		return nil, fmt.Errorf("queue: %s: %w", subject, err)
	}
	return m.Data, nil
}

// Follow calls fn with every result the results stream holds and each new
// one, through the durable consumer named durable, until ctx is done: a
// result fn takes (returns nil) is acked and not seen again by that
// consumer, even across restarts of the server or of this client; one
// that fn fails on is offered again after a pause (fn should fail only on
// what may pass later, such as a store that cannot be written now).
// Delivery is at least once: fn must record each job once (by its ID).
func (q *Queue) Follow(ctx context.Context, durable string, fn func(Result) error) error {
	if err := checkToken("consumer", durable); err != nil {
		return err
	}
	c, err := q.js.CreateOrUpdateConsumer(ctx, ResultsStream, jetstream.ConsumerConfig{Durable: durable,
		AckPolicy: jetstream.AckExplicitPolicy, AckWait: time.Minute, MaxAckPending: 64})
	if err != nil {
		return fmt.Errorf("queue: results consumer %s: %w", durable, err)
	}
	for ctx.Err() == nil {
		batch, err := c.Fetch(16, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if q.nc.IsClosed() {
				return fmt.Errorf("queue: connection closed: %w", err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		for m := range batch.Messages() {
			var r Result
			if err := json.Unmarshal(m.Data(), &r); err != nil {
				q.logf("queue: result %s is not a result (skipped): %v\n", m.Subject(), err)
				m.Ack()
				continue
			}
			if err := fn(r); err != nil {
				q.logf("queue: result of %s: %v (offered again)\n", r.JobID, err)
				m.NakWithDelay(5 * time.Second)
				continue
			}
			m.Ack()
		}
	}
	return nil
}

// HostName names this process for Options.Name: host and process ID.
func HostName() string {
	h, _ := os.Hostname()
	return strings.ReplaceAll(fmt.Sprintf("%s-%d", h, os.Getpid()), ".", "_")
}
