package ui

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"pada/core/run"
)

// Replay is a published race the page shows read-only: its runs are
// rebuilt from the record's events, so every chart, the ranking and the
// tau intervals are the original's, and nothing trains.
type Replay struct {
	ID      string
	Record  run.Record
	Created time.Time // when it was published (zero when the server did not say)
}

// Replaying reports whether the page shows a published race (or is
// fetching one) instead of racing.
func (c *Root) Replaying() bool { return c.State.Share != "" || c.Shares.Replay != nil }

// RaceSettings are the settings of the race as "train it yourself" loads
// them: the hash without what only changes how the page looks.
func (s State) RaceSettings() string {
	s.Embed, s.Auto, s.Theme, s.Big, s.Views, s.Share, s.Backend = false, false, "", false, nil, "", Default().Backend
	return s.Hash()
}

// RaceRecord is the finished race as a run record, validated as a server
// will validate it.
func (c *Root) RaceRecord() (run.Record, error) {
	rec := run.Record{Version: run.RecordVersion, Space: run.Spaces[0], Code: run.CodeVersion(), Settings: c.State.RaceSettings()}
	if len(c.Runs) == 0 {
		return rec, errors.New("there is no race to publish: race first")
	}
	for _, r := range c.Runs {
		if r.Done == nil || r.Started == nil {
			return rec, fmt.Errorf("%s has not finished: only a finished race can be published", r.Label())
		}
		rr := run.RecordRun{Label: r.Label(), Config: r.Started.Config, Kernels: r.Started.Backend, Events: r.Events, Ranking: []run.RankRow{}}
		for _, p := range r.Ranked {
			row := run.RankRow{Arch: p.Arch, Pred: p.Pred}
			if p.Truth >= 0 {
				t := p.Truth
				row.Truth = &t
			}
			rr.Ranking = append(rr.Ranking, row)
		}
		rr.Examples = r.recordExamples()
		rec.Runs = append(rec.Runs, rr)
	}
	return rec, rec.Validate()
}

// shownExamples is how many of the most and of the least sampled
// examples the data chart pictures.
const shownExamples = 8

// recordExamples are the thumbnails the run's data chart shows (the
// first shownExamples of the last epoch's most and least sampled), for
// its record; nil when it shows none.
func (r *Run) recordExamples() *run.RecordExamples {
	n := len(r.Epochs)
	if n == 0 || r.Epochs[n-1].Data == nil || len(r.Thumbs) == 0 {
		return nil
	}
	d := r.Epochs[n-1].Data
	x := &run.RecordExamples{C: r.TC, H: r.TH, W: r.TW}
	seen := map[int]bool{}
	for _, ids := range [][]int{d.Top, d.Bottom} {
		for _, id := range ids[:min(len(ids), shownExamples)] {
			px, ok := r.Thumbs[id]
			if !ok || seen[id] || len(px) != x.C*x.H*x.W {
				continue
			}
			seen[id] = true
			label, ok := r.Labels[id]
			if !ok || r.Started == nil || label < 0 || label >= len(r.Started.Classes) {
				label = -1
			}
			x.Items = append(x.Items, run.RecordExample{ID: id, Label: label, Pixels: px})
		}
	}
	if len(x.Items) == 0 || x.C != 1 && x.C != 3 || x.H < 1 || x.H > run.MaxRecordThumbSide || x.W < 1 || x.W > run.MaxRecordThumbSide {
		return nil // nothing to show, or a shape a record cannot carry
	}
	return x
}

// ReplayRuns rebuilds a record's runs by applying their events in order,
// as the page applied them while the race ran.
func ReplayRuns(rec run.Record) []*Run {
	var out []*Run
	for i, rr := range rec.Runs {
		r := NewRun(samplerOf(rr), i)
		r.Config = rr.Config
		if x := rr.Examples; x != nil {
			r.Thumbs, r.Labels, r.TC, r.TH, r.TW = map[int][]byte{}, map[int]int{}, x.C, x.H, x.W
			for _, e := range x.Items {
				r.Thumbs[e.ID] = e.Pixels
				if e.Label >= 0 {
					r.Labels[e.ID] = e.Label
				}
			}
		}
		for _, e := range rr.Events {
			r.Event(e)
		}
		if len(r.Ranked) == 0 {
			// A record written without rank events (not by the page)
			// still has its ranking rows.
			for _, row := range rr.Ranking {
				p := RankPoint{Arch: row.Arch, Pred: row.Pred, Truth: -1}
				if row.Truth != nil {
					p.Truth = *row.Truth
				}
				r.Ranked = append(r.Ranked, p)
			}
		}
		switch r.Status {
		case StatusDone, StatusError:
		default:
			r.Status = StatusStopped // a run recorded before it ended
		}
		out = append(out, r)
	}
	return out
}

// samplerOf is the page's sampler name for a recorded run: the one its
// config and label match, else the record's label itself (Label shows
// an unknown name as it is).
func samplerOf(rr run.RecordRun) string {
	for _, s := range Samplers {
		if s.Path == rr.Config.Sampler.Path && s.Data == rr.Config.Sampler.Data && s.Label == rr.Label {
			return s.Name
		}
	}
	return rr.Label
}

// ShowReplay replaces the race with a published one.
func (c *Root) ShowReplay(id string, rec run.Record, created time.Time) {
	c.race.stop()
	c.Runs = ReplayRuns(rec)
	c.Shares.Replay = &Replay{ID: id, Record: rec, Created: created}
	c.Shares.Loading, c.Shares.LoadErr = "", ""
	c.Paused, c.Confirm, c.Note = false, false, ""
}

// followShare makes the page show what State.Share names: it fetches a
// new share, and leaves a replay when the link no longer names one.
func (c *Root) followShare() {
	sh := &c.Shares
	id := c.State.Share
	if id != "" && (sh.Loading == id || sh.Replay != nil && sh.Replay.ID == id) {
		return
	}
	if sh.Replay != nil || sh.Loading != "" {
		c.Runs = nil
	}
	sh.Replay, sh.Loading, sh.LoadErr, sh.Token, sh.TokenMsg = nil, "", "", "", ""
	if id == "" {
		c.race.loadTrainer() // a page opened from a share link has none yet
		return
	}
	c.race.stop()
	c.Runs = nil
	sh.Loading = id
	c.race.loadShare(c, id)
}

// Answer is what a share API request got back.
type Answer struct {
	Code int
	Body string
	JSON bool   // the answer was application/json (a static host answers no JSON)
	Date string // Last-Modified
	Err  error  // the request did not complete
}

// apiError is the error message of a JSON error answer ("" when none).
func (a Answer) apiError() string {
	var e struct {
		Error string `json:"error"`
	}
	if a.JSON && unmarshal(a.Body, &e) == nil {
		return e.Error
	}
	return ""
}

// NoShareAPI is what the page says on an origin that has no share API.
const NoShareAPI = "This site has no share API (it is served as static files), so it cannot publish races or open share links. " +
	"Publishing needs the page served by `go run ./serve` or by the Cloudflare Worker (README: Publishing a race)."

// ShareFetched shows the answer to fetching share id: the replay, or
// why it cannot be shown.
func (c *Root) ShareFetched(id string, a Answer) {
	sh := &c.Shares
	if sh.Loading != id {
		return // the link moved on meanwhile
	}
	sh.Loading = ""
	switch {
	case a.Err != nil:
		sh.LoadErr = "Could not fetch the published race: " + a.Err.Error()
		return
	case !a.JSON:
		sh.LoadErr = fmt.Sprintf("Could not open the published race (HTTP %d). %s", a.Code, NoShareAPI)
		return
	case a.Code != 200:
		msg := a.apiError()
		if msg == "" {
			msg = fmt.Sprintf("HTTP %d", a.Code)
		}
		sh.LoadErr = fmt.Sprintf("This published race cannot be opened (HTTP %d): %s", a.Code, msg)
		return
	}
	rec, err := run.DecodeRecord([]byte(a.Body))
	var ve *run.VersionError
	switch {
	case errors.As(err, &ve):
		sh.LoadErr = fmt.Sprintf("This published race is a version %d record; this page replays version %d records, so it cannot be shown here.", ve.Got, run.RecordVersion)
		return
	case err != nil:
		sh.LoadErr = "This published race is malformed and cannot be shown: " + err.Error()
		return
	}
	created, _ := time.Parse(time.RFC1123, a.Date) // http.TimeFormat; zero when absent
	c.ShowReplay(id, rec, created)
}

// ShareErr is the message about the link's share ("" when none).
func (c *Root) ShareErr() string {
	if e := c.Err("share"); e != "" {
		return "This link's share cannot be opened: " + e
	}
	return c.Shares.LoadErr
}

// ReplayLine says what the replayed race is: when it was published, by
// which code, on which kernels.
func (c *Root) ReplayLine() string {
	rp := c.Shares.Replay
	if rp == nil {
		return ""
	}
	var parts []string
	if !rp.Created.IsZero() {
		parts = append(parts, "published "+rp.Created.UTC().Format("2 Jan 2006 15:04 UTC"))
	}
	parts = append(parts, "code "+shortCode(rp.Record.Code))
	var kernels []string
	for _, rr := range rp.Record.Runs {
		if k := rr.Kernels; k != "" && !slices.Contains(kernels, k) {
			kernels = append(kernels, k)
		}
	}
	if len(kernels) > 0 {
		parts = append(parts, "kernels "+strings.Join(kernels, ", "))
	}
	return strings.Join(parts, " · ") + ". Replayed from its record: nothing trains."
}

// shortCode abbreviates a VCS revision to 12 characters, keeping a
// "+dirty" mark.
func shortCode(code string) string {
	rev, dirty, _ := strings.Cut(code, "+")
	if len(rev) == 40 && strings.Trim(rev, "0123456789abcdef") == "" {
		rev = rev[:12]
	}
	if dirty != "" {
		rev += "+" + dirty
	}
	return rev
}

// TrainHref is the link that loads the replayed race's settings into the
// normal page (the hash without share=). The settings are read and
// written again through the props table, so only known settings with
// valid values reach the link.
func (c *Root) TrainHref() string {
	s := Default()
	if rp := c.Shares.Replay; rp != nil {
		s, _ = ParseHash(rp.Record.Settings)
	}
	s.Share, s.Embed, s.Auto = "", false, false
	s.Theme, s.Big = c.State.Theme, c.State.Big
	h := s.Hash()
	if h != "" {
		h = "#" + h
	} else {
		h = "#"
	}
	return c.race.pageURL() + h
}

// TrainTarget opens "train it yourself" in a new tab from an embedded
// page, in this one otherwise.
func (c *Root) TrainTarget() string {
	if c.State.Embed {
		return "_blank"
	}
	return "_self"
}

// ReplayTitle is the record's caption ("" when none).
func (c *Root) ReplayTitle() string {
	if rp := c.Shares.Replay; rp != nil {
		return rp.Record.Title
	}
	return ""
}

// RecordHref is where the replayed race's record can be downloaded.
func (c *Root) RecordHref() string {
	if rp := c.Shares.Replay; rp != nil {
		return "api/shares/" + rp.ID
	}
	return ""
}
