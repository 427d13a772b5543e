package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Provider is the telephony provider of the voice and text channels: it
// checks the webhooks it sends and carries out the gateway's requests on
// its REST API. Twilio is the one the gateway ships.
type Provider interface {
	// Verify checks that an inbound webhook (the full URL the provider
	// called, its form and headers) was signed by the provider. It returns
	// ErrBadSignature when it was not.
	Verify(fullURL string, form url.Values, h http.Header) error
	// ConnectCall takes the held call ref out of the provider's queue and
	// connects it to the navigator.
	ConnectCall(ctx context.Context, ref, navigator string) error
	// SendText sends a text message and returns the provider's id of it.
	SendText(ctx context.Context, from, to, body string) (string, error)
}

// ErrBadSignature is the error of a webhook whose signature is missing or
// wrong.
var ErrBadSignature = errors.New("gateway: the webhook's signature is missing or wrong")

// DefaultTwilioAPI is the base URL of Twilio's REST API.
const DefaultTwilioAPI = "https://api.twilio.com"

// Twilio is the Provider that speaks Twilio's wire formats: webhooks
// signed with X-Twilio-Signature, and the 2010-04-01 REST API (Calls and
// Messages resources, form-encoded, HTTP basic auth with the account SID
// and auth token).
type Twilio struct {
	// AccountSID and AuthToken are the account's credentials; AuthToken
	// also keys the webhooks' signatures.
	AccountSID string
	AuthToken  string
	// BaseURL is the REST API's base URL (default DefaultTwilioAPI; tests
	// point it at twiliotest.Server).
	BaseURL string
	// Client makes the REST requests (default: a client with a 10 s
	// timeout).
	Client *http.Client
}

var _ Provider = (*Twilio)(nil)

// Verify checks the X-Twilio-Signature header.
func (t *Twilio) Verify(fullURL string, form url.Values, h http.Header) error {
	if !ValidSignature(t.AuthToken, fullURL, form, h.Get(SignatureHeader)) {
		return ErrBadSignature
	}
	return nil
}

// ConnectCall redirects the queued call ref (a CallSid) to TwiML that
// dials the navigator's Twilio Client identity: POST
// /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json with Twiml.
func (t *Twilio) ConnectCall(ctx context.Context, ref, navigator string) error {
	doc, err := TwiML{Verbs: []any{Dial{Client: navigator}}}.Marshal()
	if err != nil {
		return err
	}
	form := url.Values{"Twiml": {string(doc)}}
	_, err = t.post(ctx, "Calls/"+url.PathEscape(ref)+".json", form)
	if err != nil {
		return fmt.Errorf("twilio: connect call %s to %s: %w", ref, navigator, err)
	}
	return nil
}

// SendText sends an SMS: POST /2010-04-01/Accounts/{AccountSid}/Messages.json
// with From, To and Body. It returns the message's SID.
func (t *Twilio) SendText(ctx context.Context, from, to, body string) (string, error) {
	res, err := t.post(ctx, "Messages.json", url.Values{"From": {from}, "To": {to}, "Body": {body}})
	if err != nil {
		return "", fmt.Errorf("twilio: send a text to %s: %w", to, err)
	}
	return res.SID, nil
}

// twilioResource is the part of a Calls or Messages answer the gateway
// reads; twilioError is Twilio's error body.
type twilioResource struct {
	SID    string `json:"sid"`
	Status string `json:"status"`
}

type twilioError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  int    `json:"status"`
}

// post sends a form to the account's resource path and decodes the answer.
func (t *Twilio) post(ctx context.Context, path string, form url.Values) (*twilioResource, error) {
	var r twilioResource
	if err := t.do(ctx, http.MethodPost, path, form, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// do sends a request (a form, or none) to the account's resource path and
// decodes the JSON answer into out (nil: the answer has no body).
func (t *Twilio) do(ctx context.Context, method, path string, form url.Values, out any) error {
	base := t.BaseURL
	if base == "" {
		base = DefaultTwilioAPI
	}
	u := strings.TrimRight(base, "/") + "/2010-04-01/Accounts/" + url.PathEscape(t.AccountSID) + "/" + path
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(t.AccountSID, t.AuthToken)
	c := t.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e twilioError
		if json.Unmarshal(b, &e) == nil && e.Code != 0 {
			return fmt.Errorf("%s: error %d: %s", resp.Status, e.Code, e.Message)
		}
		return fmt.Errorf("%s", resp.Status)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decoding the answer: %w", err)
	}
	return nil
}
