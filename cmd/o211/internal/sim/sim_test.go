package sim

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/o211/o211/node"
	"github.com/o211/o211/node/auth"
	"github.com/o211/o211/node/gateway/twiliotest"
)

const testNumber = "+18005550211"

// startNode starts a real node on loopback with every channel: its
// Twilio account is a stand-in on loopback (whose phone network the
// simulator calls and texts through, and whose REST API the node
// connects calls with), its e-mail an SMTP listener. It returns the
// target to drive.
func startNode(tb testing.TB, region string) Target {
	tb.Helper()
	tw, err := twiliotest.NewServer(twiliotest.Config{Numbers: []string{testNumber}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { tw.Close() })
	n := node.New(node.Config{Region: region, DataDir: tb.TempDir(), HTTPAddr: "127.0.0.1:0", Token: "tok-" + region,
		NoSync: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Hasher: auth.NewHasher(auth.Params{Memory: 1024, Time: 1, Threads: 1}, 2),
		Gateway: node.GatewayConfig{TwilioAccountSID: tw.AccountSID(), TwilioAuthToken: tw.AuthToken(), TwilioAPI: tw.URL(),
			Number: testNumber, SMTPAddr: "127.0.0.1:0", SMTPMailbox: "help@" + region + ".211.example"}})
	if err := n.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { n.Close() })
	return Target{Region: region, URL: n.URL(), Number: testNumber, SMTP: n.Gateway().SMTPAddr(), Mailbox: "help@" + region + ".211.example",
		Phone: &twiliotest.Phone{URL: tw.URL(), AccountSID: tw.AccountSID(), AuthToken: tw.AuthToken()}}
}

// TestSim_EveryChannel runs a short busy spell through every door of a
// real node: calls through the signed voice webhooks (language digit,
// postal code spoken, hang-ups through the status callback), texts
// through the SMS webhook, chats over the WebSocket, e-mails over SMTP,
// and navigators through the console's sign-in and the queue API. Every
// contact is then in the queue's records, answered once or abandoned,
// with the node's counts the same.
func TestSim_EveryChannel(t *testing.T) {
	tg := startNode(t, "east")
	cfg := Config{Targets: []Target{tg}, Token: "tok-east", Navigators: 4, FrenchEvery: 2, FrenchShare: 0.3,
		Mix:     map[string]float64{"phone": 0.4, "text": 0.2, "chat": 0.25, "email": 0.15},
		PerHour: 300, Flat: true, Handle: 2 * time.Minute, Patience: 40 * time.Second, Duration: 15 * time.Minute, Scale: 60, Seed: 3}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	t.Logf("%d contacts %v: %d answered, %d abandoned, %d unknown; node %+v", r.Arrivals, r.ByChannel, r.Answered, r.Abandoned, r.Unknown, r.Node.Total)
	for _, ch := range []string{"phone", "text", "chat", "email"} {
		if r.ByChannel[ch] == 0 {
			t.Errorf("no %s contact in %v: every channel should have come", ch, r.ByChannel)
		}
	}
	if r.Arrivals < 40 || r.Unknown != 0 || r.Answered+r.Abandoned != r.Arrivals || r.Abandoned == 0 {
		t.Errorf("%d contacts, %d answered, %d abandoned, %d not in the queue: want every one answered or abandoned, some callers out of patience", r.Arrivals, r.Answered, r.Abandoned, r.Unknown)
	}
	if nt := r.Node.Total; nt.Arrived != r.Arrivals || nt.Answered != r.Answered || nt.Abandoned != r.Abandoned {
		t.Errorf("the node counted %d arrived, %d answered, %d abandoned; the simulator %d, %d, %d", nt.Arrived, nt.Answered, nt.Abandoned, r.Arrivals, r.Answered, r.Abandoned)
	}
	if len(r.Double) > 0 {
		t.Errorf("contacts given to two navigators: %v", r.Double)
	}
}
