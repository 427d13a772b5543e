package console

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// queueEvents streams the live part of the queue page as server-sent
// events: the whole of it on connecting (so a reconnected page is right
// at once), then again at each change of the queue, and at least every
// queueBeat (the waits move). Each event is the HTML of the part, which
// queue.js puts in place; its id is the queue's version.
func (c *Console) queueEvents(w http.ResponseWriter, r *http.Request) {
	a, ok := c.staff(w, r, queueRoles...)
	if !ok {
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	rc := http.NewResponseController(w)
	p := c.staffView(w, r, a, "queue.title")
	w.WriteHeader(http.StatusOK)
	beat := time.NewTicker(queueBeat)
	defer beat.Stop()
	var buf bytes.Buffer
	for {
		st, changed := c.cfg.Queue.State(a)
		p.Body = &queueBody{State: st}
		buf.Reset()
		if err := c.tpl.pages["queue"].ExecuteTemplate(&buf, "queue-live", p); err != nil {
			c.log.Error("console: rendering the live queue", "err", err)
			return
		}
		if _, err := w.Write(sseEvent(st.Version, buf.String())); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-changed:
		case <-beat.C:
		}
		// At most queueRate events a second: a busy queue changes often.
		select {
		case <-r.Context().Done():
			return
		case <-time.After(time.Second / queueRate):
		}
	}
}

// queueRate bounds the events a second of one stream.
const queueRate = 5

// queueBeat is how often the live queue is sent when nothing changed.
const queueBeat = 5 * time.Second

// sseEvent is one "queue" event with id and data (one data line a line).
func sseEvent(id uint64, data string) []byte {
	var b strings.Builder
	b.WriteString("event: queue\nid: ")
	b.WriteString(strconv.FormatUint(id, 10))
	b.WriteByte('\n')
	for _, l := range strings.Split(strings.TrimSpace(data), "\n") {
		b.WriteString("data: ")
		b.WriteString(strings.TrimRight(l, "\r"))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	return []byte(b.String())
}
