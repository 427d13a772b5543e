package gateway_test

import (
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/o211/o211"
	"github.com/o211/o211/node/gateway"
)

const mailbox = "help@211east.example"

// relay is an SMTP server on loopback that keeps what it receives: the
// relay the gateway sends its replies through.
type relay struct {
	addr string
	mu   sync.Mutex
	got  []relayed
}

type relayed struct {
	from string
	to   []string
	data string
}

type relaySession struct {
	r *relay
	m relayed
}

func (s *relaySession) Reset()                                   {}
func (s *relaySession) Logout() error                            { return nil }
func (s *relaySession) Mail(f string, _ *smtp.MailOptions) error { s.m.from = f; return nil }
func (s *relaySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.m.to = append(s.m.to, to)
	return nil
}
func (s *relaySession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.m.data = string(b)
	s.r.mu.Lock()
	s.r.got = append(s.r.got, s.m)
	s.r.mu.Unlock()
	return err
}

func MustStartRelay(tb testing.TB) *relay {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	r := &relay{addr: ln.Addr().String()}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &relaySession{r: r}, nil }))
	srv.Domain = "relay.test"
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	return r
}

func (r *relay) received() []relayed {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]relayed(nil), r.got...)
}

// withEmail gives an env an SMTP listener and a relay.
func withEmail(r *relay) envOption {
	return withGateway(func(c *gateway.Config) {
		c.SMTP = gateway.SMTPConfig{Addr: "127.0.0.1:0", Mailbox: mailbox, MaxBytes: 64 << 10, Relay: r.addr}
	})
}

// sendMail sends a message to the gateway's listener, as the centre's
// mail server forwarding it would.
func sendMail(e *env, from, to, msg string) error {
	c, err := smtp.Dial(e.gw.SMTPAddr())
	if err != nil {
		return err
	}
	defer c.Close()
	return c.SendMail(from, []string{to}, strings.NewReader(strings.ReplaceAll(msg, "\n", "\r\n")))
}

const frenchMail = `From: Lise Tremblay <lise@example.org>
To: help@211east.example
Subject: =?utf-8?q?Besoin_d'aide_=C3=A0_Ottawa?=
Message-ID: <m1@example.org>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Bonjour, j'habite au K1N 6N5 et j'ai besoin d'une banque alimentaire. Merci=
 beaucoup.
--b1
Content-Type: text/html; charset=utf-8

<p>Bonjour (html)</p>
--b1--
`

// An e-mail to the centre's mailbox is parsed (MIME, quoted-printable,
// RFC 2047 subject), routed by the postal code in it and queued; the
// navigator's reply goes out through the relay; the sender's next e-mail
// joins the thread.
func TestEmail_ReceivedQueuedAnswered(t *testing.T) {
	r := MustStartRelay(t)
	e := MustStartEnv(t, withEmail(r))
	if err := sendMail(e, "lise@example.org", mailbox, frenchMail); err != nil {
		t.Fatal(err)
	}
	c, it := e.waitingItem(o211.ChannelEmail, "lise@example.org")
	if it.Channel != o211.ChannelEmail || it.Language != "fr" || it.RoutedBy != "postal code K1N 6N5" || it.From != "lise@example.org" {
		t.Fatalf("queued item %+v", it)
	}
	lines := e.transcript(c.ID)
	if len(lines) != 1 || !strings.Contains(lines[0], "Subject: Besoin d'aide à Ottawa") ||
		!strings.Contains(lines[0], "alimentaire. Merci beaucoup.") || strings.Contains(lines[0], "(html)") {
		t.Fatalf("transcript %q", lines)
	}
	e.accept("nav-fr", "fr", it.ID)
	if st := e.api("POST", "/api/v1/conversations/"+c.ID+"/messages", map[string]string{"body": "Bonjour Lise,\nvoici une adresse."}, nil); st != 201 {
		t.Fatalf("reply: %d", st)
	}
	got := r.received()
	if len(got) != 1 || got[0].from != mailbox || got[0].to[0] != "lise@example.org" ||
		!strings.Contains(got[0].data, "Subject: =?utf-8?q?Re:_Besoin_d'aide_=C3=A0_Ottawa?=") ||
		!strings.Contains(got[0].data, "voici une adresse.") {
		t.Fatalf("the relay received %+v", got)
	}
	if err := sendMail(e, "lise@example.org", mailbox, "From: lise@example.org\nSubject: Re\n\nMerci!\n"); err != nil {
		t.Fatal(err)
	}
	if lines := e.transcript(c.ID); len(lines) != 3 || !strings.Contains(lines[2], "Merci!") {
		t.Fatalf("the thread: %q", lines)
	}
}

// Mail for another address, oversized or malformed mail is refused with
// the SMTP code that says why, and logged.
func TestEmail_Refused(t *testing.T) {
	r := MustStartRelay(t)
	e := MustStartEnv(t, withEmail(r))
	tests := []struct {
		name, to, msg string
		code          int
		log           string
	}{
		{"ErrOtherMailbox", "ceo@211east.example", "Subject: x\n\nhi\n", 550, "not for the centre's mailbox"},
		{"ErrOversized", mailbox, "Subject: big\n\n" + strings.Repeat("0123456789\n", 7000), 552, ""},
		{"ErrMalformedHeader", mailbox, "no header line here\n", 554, "e-mail refused: malformed"},
		{"ErrMalformedMultipart", mailbox, "Content-Type: multipart/mixed\n\n--x\n", 554, "e-mail refused: malformed"},
		{"ErrBadFrom", mailbox, "From: <<<\n\nhi\n", 554, "e-mail refused: malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := sendMail(e, "someone@example.org", tt.to, tt.msg)
			var se *smtp.SMTPError
			if !asSMTPError(err, &se) || se.Code != tt.code {
				t.Fatalf("SendMail = %v, want SMTP %d", err, tt.code)
			}
			if tt.log != "" && !strings.Contains(e.logs.String(), tt.log) {
				t.Fatalf("no log line with %q", tt.log)
			}
		})
	}
}

func asSMTPError(err error, se **smtp.SMTPError) bool { return errors.As(err, se) }

func TestParseEmail(t *testing.T) {
	tests := []struct {
		name, raw, from, subject, body string
	}{
		{"Plain", "From: a@b.example\r\nSubject: Hi\r\n\r\nHello\r\n", "a@b.example", "Hi", "Hello"},
		{"Base64", "From: a@b.example\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nw4AgYmllbnTDtHQ=\r\n", "a@b.example", "", "À bientôt"},
		{"HTMLOnly", "From: a@b.example\r\nContent-Type: text/html\r\n\r\n<p>Need <b>food</b></p>\r\n", "a@b.example", "", "Need food"},
		{"NoFrom", "Subject: x\r\n\r\nbody\r\n", "", "x", "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := gateway.ParseEmail([]byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			if m.From != tt.from || m.Subject != tt.subject || m.Body != tt.body {
				t.Fatalf("got %+v, want from %q subject %q body %q", m, tt.from, tt.subject, tt.body)
			}
		})
	}
}
