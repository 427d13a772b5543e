package gateway

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-smtp"

	"github.com/o211/o211"
)

// SMTPConfig configures the e-mail channel: a listener for the mailbox the
// centre forwards its mail to, and the relay replies go out through.
type SMTPConfig struct {
	// Addr is the listen address (":0" picks a port); "" turns e-mail off.
	Addr string
	// Domain is the name the listener gives in its greeting (default: the
	// host of Addr, or "localhost").
	Domain string
	// Mailbox is the one address mail is accepted for (e.g.
	// "help@211east.example"); replies are sent from it.
	Mailbox string
	// MaxBytes bounds a message (default 1 MiB); a larger one is refused
	// (552).
	MaxBytes int64
	// Relay is the SMTP server replies are sent through (host:port); ""
	// leaves the e-mail channel without replies.
	Relay string
}

func (c *SMTPConfig) fill() {
	if c.MaxBytes <= 0 {
		c.MaxBytes = 1 << 20
	}
	if c.Domain == "" {
		c.Domain = hostOf(c.Addr)
		if c.Domain == "" || net.ParseIP(c.Domain) != nil {
			c.Domain = "localhost"
		}
	}
}

// maxEmailBody bounds the text kept of one e-mail.
const maxEmailBody = 16 << 10

// smtpServer is the e-mail listener.
type smtpServer struct {
	srv *smtp.Server
	ln  net.Listener
}

func (s *smtpServer) Close() error { return s.srv.Close() }

// startSMTP listens on SMTP.Addr and serves in the background.
func (g *Gateway) startSMTP(ctx context.Context) (*smtpServer, error) {
	if g.cfg.SMTP.Mailbox == "" {
		return nil, errors.New("gateway: an SMTP listener needs the mailbox it accepts mail for")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", g.cfg.SMTP.Addr)
	if err != nil {
		return nil, fmt.Errorf("gateway: SMTP listen on %s: %w", g.cfg.SMTP.Addr, err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &mailSession{g: g, remote: c.Conn().RemoteAddr().String()}, nil
	}))
	srv.Domain = g.cfg.SMTP.Domain
	srv.MaxMessageBytes = g.cfg.SMTP.MaxBytes
	srv.MaxRecipients = 10
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	srv.ErrorLog = smtpLog{g}
	go srv.Serve(ln)
	g.log.Info("gateway: SMTP listener started", "addr", ln.Addr().String(), "mailbox", g.cfg.SMTP.Mailbox)
	return &smtpServer{srv: srv, ln: ln}, nil
}

// smtpLog sends go-smtp's own errors to the gateway's log.
type smtpLog struct{ g *Gateway }

func (l smtpLog) Printf(format string, v ...any) {
	l.g.log.Warn("gateway: smtp: " + clip(fmt.Sprintf(format, v...), 200))
}
func (l smtpLog) Println(v ...any) { l.g.log.Warn("gateway: smtp: " + clip(fmt.Sprintln(v...), 200)) }

// mailSession is one SMTP transaction.
type mailSession struct {
	g      *Gateway
	remote string
	from   string
	rcpt   bool
}

func (s *mailSession) Reset()        { s.from, s.rcpt = "", false }
func (s *mailSession) Logout() error { return nil }

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !strings.EqualFold(strings.TrimSpace(to), s.g.cfg.SMTP.Mailbox) {
		s.g.log.Warn("gateway: e-mail refused: not for the centre's mailbox", "to", clip(to, 60), "remote", s.remote)
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox here"}
	}
	s.rcpt = true
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(io.LimitReader(r, s.g.cfg.SMTP.MaxBytes+1))
	if err != nil || int64(len(raw)) > s.g.cfg.SMTP.MaxBytes {
		io.Copy(io.Discard, r)
		s.g.log.Warn("gateway: e-mail refused: over the size limit", "from", clip(s.from, 60), "limit", s.g.cfg.SMTP.MaxBytes)
		return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "Message too big"}
	}
	m, err := ParseEmail(raw)
	if err != nil {
		s.g.log.Warn("gateway: e-mail refused: malformed", "from", clip(s.from, 60), "err", clip(err.Error(), 100))
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Malformed message: " + clip(err.Error(), 80)}
	}
	if m.From == "" {
		m.From = s.from
	}
	if !s.g.limits.Allow(strings.ToLower(m.From)) {
		s.g.log.Warn("gateway: e-mail refused: too many from one sender", "from", clip(m.From, 60))
		return &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Too many messages; try later"}
	}
	if err := s.g.receiveEmail(context.Background(), m); err != nil {
		s.g.log.Error("gateway: an e-mail could not be recorded", "from", clip(m.From, 60), "err", err)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary failure; try again"}
	}
	return nil
}

// Email is what the gateway keeps of an e-mail.
type Email struct {
	From, Subject, MessageID, Body string
	// Raw is the whole message as received.
	Raw []byte
}

// ParseEmail parses a message (RFC 5322, MIME): the sender's address, the
// subject (RFC 2047 words decoded), the message id and the text of its
// first text/plain part (else its first text/html, tags stripped),
// decoded from quoted-printable or base64 and cut to 16 KiB.
func ParseEmail(raw []byte) (*Email, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("headers: %w", err)
	}
	e := &Email{MessageID: clip(strings.TrimSpace(msg.Header.Get("Message-Id")), 200)}
	if f := msg.Header.Get("From"); f != "" {
		a, err := mail.ParseAddress(f)
		if err != nil {
			return nil, fmt.Errorf("From header: %w", err)
		}
		e.From = a.Address
	}
	dec := new(mime.WordDecoder)
	if e.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		e.Subject = msg.Header.Get("Subject")
	}
	e.Subject = clip(e.Subject, 200)
	body, err := textOf(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, 0)
	if err != nil {
		return nil, err
	}
	if !utf8.ValidString(body) {
		body = strings.ToValidUTF8(body, "\uFFFD")
	}
	e.Body = clip(strings.TrimSpace(body), maxEmailBody)
	e.Raw = raw
	return e, nil
}

// textOf returns the text of a MIME entity, looking into multipart ones
// (depth-limited).
func textOf(ctype, cte string, r io.Reader, depth int) (string, error) {
	if ctype == "" {
		ctype = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return "", fmt.Errorf("Content-Type: %w", err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		if depth >= 3 || params["boundary"] == "" {
			return "", errors.New("multipart: nested too deep or no boundary")
		}
		return textOfParts(multipart.NewReader(r, params["boundary"]), depth)
	}
	b, err := io.ReadAll(io.LimitReader(decodeCTE(cte, r), 4*maxEmailBody))
	if err != nil {
		return "", fmt.Errorf("body: %w", err)
	}
	switch mt {
	case "text/plain":
		return string(b), nil
	case "text/html":
		return stripTags(string(b)), nil
	}
	return "", nil
}

// textOfParts returns the first text/plain part's text, else the first
// text/html part's.
func textOfParts(mr *multipart.Reader, depth int) (string, error) {
	var html string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return html, nil
		} else if err != nil {
			return "", fmt.Errorf("multipart: %w", err)
		}
		ct := p.Header.Get("Content-Type")
		t, err := textOf(ct, p.Header.Get("Content-Transfer-Encoding"), p, depth+1)
		if err != nil {
			return "", err
		}
		if t != "" && (ct == "" || strings.HasPrefix(ct, "text/plain") || strings.HasPrefix(ct, "multipart/")) {
			return t, nil
		}
		if html == "" {
			html = t
		}
	}
}

func decodeCTE(cte string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &newlineStripper{r})
	}
	return r
}

// newlineStripper drops CR and LF, which base64 bodies carry.
type newlineStripper struct{ r io.Reader }

func (n *newlineStripper) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	j := 0
	for _, c := range p[:k] {
		if c != '\r' && c != '\n' {
			p[j] = c
			j++
		}
	}
	return j, err
}

var tagRE = regexp.MustCompile(`(?s)<[^>]*>`)

func stripTags(s string) string {
	return strings.Join(strings.Fields(tagRE.ReplaceAllString(s, " ")), " ")
}

// postalRE finds a postal code in a text.
var postalRE = regexp.MustCompile(`(?i)\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d\b`)

// receiveEmail records an e-mail: it continues the sender's open thread,
// or opens one, routed by a postal code found in it, and queues it. An
// e-mail for another region with a peer node is handed to it (and so are
// the sender's later ones).
func (g *Gateway) receiveEmail(ctx context.Context, m *Email) error {
	key := strings.ToLower(m.From)
	c, err := g.store.Open(o211.ChannelEmail, key)
	if err == nil && c.State == "handed" {
		return g.relay(ctx, c, PeerContact{Raw: string(m.Raw)})
	} else if errors.Is(err, ErrNotFound) {
		rt := g.cfg.Router.Route(postalRE.FindString(m.Subject+" "+m.Body), "")
		if g.peerFor(rt.Region) != "" {
			_, herr := g.handOff(ctx, rt.Region, PeerContact{Channel: o211.ChannelEmail, Raw: string(m.Raw)})
			if herr == nil {
				return g.store.Create(&Conversation{Channel: o211.ChannelEmail, Key: key, Region: rt.Region, State: "handed",
					RoutedBy: rt.RoutedBy + " (handed to " + rt.Region + ")", Subject: m.Subject})
			}
			g.log.Warn("gateway: the region that serves an e-mail could not take it; answered here", "region", rt.Region, "err", herr)
		}
	} else if err != nil {
		return err
	}
	_, err = g.receiveEmailHere(ctx, m)
	return err
}

// receiveEmailHere records an e-mail in this region and returns its
// conversation.
func (g *Gateway) receiveEmailHere(ctx context.Context, m *Email) (string, error) {
	text := m.Body
	if m.Subject != "" {
		text = "Subject: " + m.Subject + "\n\n" + m.Body
	}
	key := strings.ToLower(m.From)
	c, err := g.store.Open(o211.ChannelEmail, key)
	if err == nil {
		if _, err = g.store.Append(c.ID, Message{From: "person", Body: text, CID: m.MessageID}); err != nil {
			return c.ID, err
		}
		return c.ID, g.requeue(ctx, c)
	} else if !errors.Is(err, ErrNotFound) {
		return "", err
	}
	c = &Conversation{Channel: o211.ChannelEmail, Key: key, Region: g.cfg.Region, State: "postal",
		Language: guessLanguage(m.Subject + " " + m.Body), Subject: m.Subject}
	if err := g.store.Create(c); err != nil {
		return "", err
	}
	if _, err := g.store.Append(c.ID, Message{From: "person", Body: text, CID: m.MessageID}); err != nil {
		return c.ID, err
	}
	rt := g.route(postalRE.FindString(m.Subject+" "+m.Body), "")
	_, err = g.queueRouted(ctx, c, rt)
	return c.ID, err
}

// replyEmail sends a navigator's reply through the relay and stores it.
func (g *Gateway) replyEmail(ctx context.Context, c *Conversation, body string) (Message, error) {
	if g.cfg.SMTP.Relay == "" {
		return Message{}, o211.Errorf(o211.ECONFLICT, "No SMTP relay is configured for e-mail replies.")
	}
	subject := c.Subject
	if !strings.HasPrefix(strings.ToLower(subject), "re:") {
		subject = strings.TrimSpace("Re: " + subject)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\n", g.cfg.SMTP.Mailbox, c.Key,
		mime.QEncoding.Encode("utf-8", subject), g.cfg.Now().Format(time.RFC1123Z), newID(""), g.cfg.SMTP.Domain)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n")))
	qp.Close()
	if err := sendVia(g.cfg.SMTP.Relay, g.cfg.SMTP.Mailbox, c.Key, &b); err != nil {
		g.log.Error("gateway: sending an e-mail reply through the relay", "conversation", c.ID, "err", err)
		return Message{}, o211.Errorf(o211.EUNAVAILABLE, "The e-mail could not be sent; try again.")
	}
	return g.store.Append(c.ID, Message{From: "navigator", Body: body})
}

// sendVia sends a message through an SMTP relay, over STARTTLS when the
// relay offers it (a relay on loopback may not).
func sendVia(relay, from, to string, r io.Reader) error {
	c, err := smtp.Dial(relay)
	if err != nil {
		return err
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		c.Close()
		if c, err = smtp.DialStartTLS(relay, &tls.Config{ServerName: hostOf(relay)}); err != nil {
			return err
		}
	}
	defer c.Close()
	if err := c.SendMail(from, []string{to}, r); err != nil {
		return err
	}
	return c.Quit()
}
