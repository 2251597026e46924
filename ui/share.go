package ui

import (
	"encoding/json"
	"fmt"

	"pada/core/run"
)

// Sharing is the page's side of the share API: whether the origin
// publishes, the Publish dialog of a finished race, and the replay of a
// published one (replay.go).
type Sharing struct {
	// Checked is set once GET api/shares answered; OK when the answer
	// said this origin publishes, MaxBytes its size limit.
	Checked, OK bool
	MaxBytes    int

	Busy    bool       // a publication or deletion is under way
	Pub     *Published // the answer to the publication (nil before)
	Msg     string     // what the last publish or delete action did
	Deleted bool       // the published share was deleted

	Loading  string  // the id of the share being fetched
	Replay   *Replay // the race shown read-only
	LoadErr  string  // why the link's share cannot be shown
	Token    string  // the delete token typed into a replay's delete box
	TokenMsg string  // what deleting from the replay did
}

// Published is the share API's answer to a publication.
type Published struct {
	ID    string `json:"id"`
	Token string `json:"token"`
	Bytes int    `json:"bytes"`
}

// Share is the vugu component (share.vugu) for the share parts of the
// page: Part "banner" (a replay's banner, or why a link's share cannot
// be shown) and Part "publish" (the Publish button and dialog).
type Share struct {
	C    *Root
	Part string
}

func unmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// CanPublish says whether the Publish button is offered: every run of
// the race has finished, and the race is not itself a replay.
func (c *Root) CanPublish() bool {
	if c.Replaying() || len(c.Runs) == 0 {
		return false
	}
	for _, r := range c.Runs {
		if r.Done == nil {
			return false
		}
	}
	return true
}

// PublishNote is the line beside the Publish button.
func (c *Root) PublishNote() string {
	sh := c.Shares
	switch {
	case sh.Busy:
		return "publishing…"
	case sh.Checked && !sh.OK:
		return "this site has no share API (static files): publishing needs `go run ./serve` or the Worker"
	case sh.Pub == nil:
		return "a permalink that replays this race (charts, ranking, τ) without training"
	}
	return ""
}

// Publish sends the finished race to the origin's share API; the answer
// comes to Published.
func (c *Root) Publish() {
	sh := &c.Shares
	if sh.Busy || !c.CanPublish() {
		return
	}
	sh.Msg, sh.Deleted = "", false
	rec, err := c.RaceRecord()
	if err != nil {
		sh.Msg = "Cannot publish: " + err.Error()
		return
	}
	body, err := json.Marshal(rec)
	if err != nil {
		sh.Msg = "Cannot publish: " + err.Error()
		return
	}
	if sh.MaxBytes > 0 && len(body) > sh.MaxBytes {
		sh.Msg = fmt.Sprintf("Cannot publish: the race's record is %d bytes and this server takes at most %d (fewer epochs or architectures make it smaller).", len(body), sh.MaxBytes)
		return
	}
	sh.Busy = true
	c.race.publish(c, string(body))
}

// Published shows the answer to a publication.
func (c *Root) Published(a Answer) {
	sh := &c.Shares
	sh.Busy = false
	var p Published
	switch {
	case a.Err != nil:
		sh.Msg = "Could not publish: " + a.Err.Error()
	case !a.JSON:
		sh.Msg = fmt.Sprintf("Could not publish (HTTP %d). %s", a.Code, NoShareAPI)
		sh.Checked, sh.OK = true, false
	case a.Code != 201:
		msg := a.apiError()
		if msg == "" {
			msg = "no reason given"
		}
		sh.Msg = fmt.Sprintf("The server refused the race (HTTP %d): %s", a.Code, msg)
	case unmarshal(a.Body, &p) != nil || !run.ValidShareID(p.ID) || p.Token == "":
		sh.Msg = "Could not publish: the server's answer is not a share"
	default:
		sh.Pub, sh.Deleted = &p, false
		sh.Msg = fmt.Sprintf("Published (%d bytes). Anyone with the link sees this race replayed; keep the delete token to take it down.", p.Bytes)
	}
}

// Permalink is the published race's link.
func (c *Root) Permalink() string {
	if c.Shares.Pub == nil {
		return ""
	}
	return c.race.pageURL() + "#share=" + queryEscape(c.Shares.Pub.ID)
}

// ShareEmbedCode is the blog widget of the published race: the embedded
// layout replaying it, with the snippet that sizes the iframe.
func (c *Root) ShareEmbedCode() string {
	if c.Shares.Pub == nil {
		return ""
	}
	src := c.race.pageURL() + "#embed=1&share=" + queryEscape(c.Shares.Pub.ID)
	return `<iframe id="pada-race" src="` + esc(src) + `" width="100%" height="640" style="border:0" title="PA&amp;DA race"></iframe>` + "\n" + EmbedScript
}

// CopyPermalink puts the permalink on the clipboard.
func (c *Root) CopyPermalink() { c.copy("permalink", c.Permalink()) }

// CopyShareEmbed puts the published race's embed code on the clipboard.
func (c *Root) CopyShareEmbed() { c.copy("embed code", c.ShareEmbedCode()) }

// DeletePublished deletes the race this page published, with its token.
func (c *Root) DeletePublished() {
	sh := &c.Shares
	if sh.Pub == nil || sh.Busy || sh.Deleted {
		return
	}
	sh.Busy = true
	c.race.deleteShare(c, sh.Pub.ID, sh.Pub.Token, false)
}

// DeleteReplayed deletes the replayed share with the token typed into
// its delete box (empty: the server says a token is needed).
func (c *Root) DeleteReplayed() {
	rp := c.Shares.Replay
	if rp == nil || c.Shares.Busy {
		return
	}
	c.Shares.Busy = true
	c.race.deleteShare(c, rp.ID, c.Shares.Token, true)
}

// ShareDeleted shows the answer to a deletion (replay: from a replay's
// delete box).
func (c *Root) ShareDeleted(a Answer, replay bool) {
	sh := &c.Shares
	sh.Busy = false
	var msg string
	switch {
	case a.Err != nil:
		msg = "Could not delete: " + a.Err.Error()
	case a.Code == 204:
		msg = "Deleted: the permalink no longer opens this race."
		if !replay {
			sh.Deleted = true
		}
	case !a.JSON:
		msg = fmt.Sprintf("Could not delete (HTTP %d). %s", a.Code, NoShareAPI)
	default:
		e := a.apiError()
		if e == "" {
			e = "no reason given"
		}
		msg = fmt.Sprintf("Not deleted (HTTP %d): %s", a.Code, e)
	}
	if replay {
		sh.TokenMsg = msg
	} else {
		sh.Msg = msg
	}
}

// SharesProbed records the answer to GET api/shares.
func (c *Root) SharesProbed(a Answer) {
	var info struct {
		Shares   bool `json:"shares"`
		MaxBytes int  `json:"max_bytes"`
	}
	c.Shares.Checked = true
	c.Shares.OK = a.Err == nil && a.Code == 200 && a.JSON && unmarshal(a.Body, &info) == nil && info.Shares
	c.Shares.MaxBytes = info.MaxBytes
}
