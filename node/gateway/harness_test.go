package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/internal/testutil"
	"github.com/o211/o211/node/auth"
	"github.com/o211/o211/node/gateway"
	"github.com/o211/o211/node/gateway/twiliotest"
	"github.com/o211/o211/node/httpx"
	"github.com/o211/o211/node/queue"
)

// centreNumber is the centre's (provincial) number in the tests.
const centreNumber = "+18772110211"

// apiToken is the navigators' API token in the tests.
const apiToken = "test-token-0123456789"

// logBuffer is a slog handler's output that tests read.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// env is a gateway of the region "east" with its real queue, served by
// the node's HTTP server on loopback, and a Twilio stand-in whose
// webhooks point at it.
type env struct {
	t      testing.TB
	qcfg   queue.Config
	gcfg   gateway.Config
	gw     *gateway.Gateway
	q      *queue.Queue
	http   *httpx.Server
	twilio *twiliotest.Server
	logs   *logBuffer
}

// envConfig says how an env differs from the default: its region, a
// Twilio stand-in shared with another env, changes to the gateway's
// configuration.
type envConfig struct {
	region string
	addr   string // the HTTP listener's (default 127.0.0.1:0)
	sync   bool   // fsync as in production (benchmarks)
	twilio *twiliotest.Server
	gw     func(*gateway.Config)
	// queue, when set, stands between the gateway and the queue (fault
	// injection).
	queue func(*queue.Queue) gateway.Queue
}

// envOption changes an env's configuration before it starts.
type envOption func(*envConfig)

// withGateway changes the gateway's configuration with f, after the
// changes of earlier options.
func withGateway(f func(*gateway.Config)) envOption {
	return func(c *envConfig) {
		prev := c.gw
		c.gw = func(g *gateway.Config) {
			if prev != nil {
				prev(g)
			}
			f(g)
		}
	}
}

func MustStartEnv(tb testing.TB, opts ...envOption) *env {
	tb.Helper()
	ec := envConfig{region: "east"}
	for _, o := range opts {
		o(&ec)
	}
	dir := tb.TempDir()
	e := &env{t: tb, logs: &logBuffer{}}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	e.qcfg = queue.Config{Path: filepath.Join(dir, "queue.db"), Region: ec.region, NoSync: !ec.sync, Logger: log}
	q, err := queue.Open(e.qcfg)
	if err != nil {
		tb.Fatal(err)
	}
	e.q = q
	tb.Cleanup(func() { q.Close() })
	addr := "127.0.0.1:0"
	if ec.addr != "" {
		addr = ec.addr
	}
	e.http = httpx.New(httpx.Config{Addr: addr, Logger: log,
		Authenticator: httpx.NewTokenAuthenticator(apiToken, ec.region), Middleware: auth.Protect(log)})
	if err := e.http.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { e.http.Close() })
	base := e.http.URL() + "/gateway/twilio/"
	if e.twilio = ec.twilio; e.twilio == nil {
		e.twilio = MustTwilio(tb, twiliotest.Config{Numbers: []string{centreNumber}})
	}
	e.twilio.SetWebhooks(base+"voice", base+"sms", base+"status")
	var gq gateway.Queue = q
	if ec.queue != nil {
		gq = ec.queue(q)
	}
	cfg := gateway.Config{Region: ec.region, Queue: gq, Path: filepath.Join(dir, "gateway.db"), NoSync: !ec.sync,
		Provider: &gateway.Twilio{AccountSID: e.twilio.AccountSID(), AuthToken: e.twilio.AuthToken(), BaseURL: e.twilio.URL()},
		Number:   centreNumber, Logger: log}
	if ec.gw != nil {
		ec.gw(&cfg)
	}
	e.gcfg = cfg
	e.gw = gateway.New(cfg)
	if err := e.gw.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { e.gw.Close() })
	e.http.Mount(e.gw, queue.NewAPI(q))
	for _, ch := range []o211.Channel{o211.ChannelPhone, o211.ChannelText, o211.ChannelChat, o211.ChannelEmail} {
		q.SetConnector(ch, e.gw)
	}
	return e
}

// restart closes the gateway and the queue and opens them again on their
// files, as a node restarting does (the HTTP server keeps the routes of
// the first gateway: tests of a restart go through the queue).
func (e *env) restart() {
	e.t.Helper()
	if err := e.gw.Close(); err != nil {
		e.t.Fatal(err)
	}
	if err := e.q.Close(); err != nil {
		e.t.Fatal(err)
	}
	q, err := queue.Open(e.qcfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { q.Close() })
	e.q, e.gcfg.Queue = q, q
	e.gw = gateway.New(e.gcfg)
	if err := e.gw.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { e.gw.Close() })
	for _, ch := range []o211.Channel{o211.ChannelPhone, o211.ChannelText, o211.ChannelChat, o211.ChannelEmail} {
		q.SetConnector(ch, e.gw)
	}
}

// waitingItem waits for the item of the person's open conversation on a
// channel (key: CallSid, phone number, session, e-mail address) to wait in
// the queue.
func (e *env) waitingItem(ch o211.Channel, key string) (*gateway.Conversation, queue.Item) {
	e.t.Helper()
	var it queue.Item
	var c *gateway.Conversation
	testutil.WaitFor(e.t, 10*time.Second, "the contact waiting in the queue", func() bool {
		var err error
		if c, err = e.gw.Store().Open(ch, key); err != nil {
			if c, err = e.gw.Store().Get(key); err != nil {
				return false
			}
		}
		var ok bool
		it, ok = e.q.Waiting(context.Background(), c.ItemID)
		return ok
	})
	return c, it
}

// accept makes a navigator available and accepts the item offered.
func (e *env) accept(nav, lang string, id string) queue.Item {
	e.t.Helper()
	ctx := context.Background()
	if err := e.q.SetPresence(ctx, queue.Navigator{ID: nav, Languages: []string{lang}}, queue.Available); err != nil {
		e.t.Fatal(err)
	}
	testutil.WaitFor(e.t, 10*time.Second, "the offer to "+nav, func() bool {
		o, ok := e.q.OfferFor(nav)
		return ok && o.Item.ID == id
	})
	it, err := e.q.Accept(ctx, nav, id)
	if err != nil {
		e.t.Fatalf("Accept: %v", err)
	}
	return it
}

// api calls the conversations API with the navigators' token.
func (e *env) api(method, path string, body any, out any) int {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.http.URL()+path, r)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// transcript returns a conversation's messages' bodies.
func (e *env) transcript(id string) []string {
	e.t.Helper()
	var v gateway.ConversationView
	if st := e.api("GET", "/api/v1/conversations/"+id, nil, &v); st != 200 {
		e.t.Fatalf("GET conversation %s: %d", id, st)
	}
	var out []string
	for _, m := range v.Messages {
		out = append(out, m.From+": "+m.Body)
	}
	return out
}

func hasLine(lines []string, s string) bool {
	for _, l := range lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}
