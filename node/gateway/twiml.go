package gateway

import (
	"bytes"
	"encoding/xml"
)

// TwiML is a Twilio voice or messaging response document: the verbs, in
// order, that Twilio carries out.
type TwiML struct {
	XMLName xml.Name `xml:"Response"`
	Verbs   []any
}

// Say speaks Text in Language (a BCP 47 tag such as "fr-CA").
type Say struct {
	XMLName  xml.Name `xml:"Say"`
	Language string   `xml:"language,attr,omitempty"`
	Text     string   `xml:",chardata"`
}

// Gather collects keypad digits or speech (Input "dtmf speech") and posts
// them (Digits or SpeechResult) to Action.
type Gather struct {
	XMLName   xml.Name `xml:"Gather"`
	Input     string   `xml:"input,attr,omitempty"`
	NumDigits int      `xml:"numDigits,attr,omitempty"`
	Timeout   int      `xml:"timeout,attr,omitempty"`
	Language  string   `xml:"language,attr,omitempty"`
	Action    string   `xml:"action,attr,omitempty"`
	Method    string   `xml:"method,attr,omitempty"`
	Says      []Say
}

// Enqueue puts the call in the provider's queue Name, where it waits
// (hearing WaitURL's TwiML) until the call is redirected.
type Enqueue struct {
	XMLName xml.Name `xml:"Enqueue"`
	WaitURL string   `xml:"waitUrl,attr,omitempty"`
	Action  string   `xml:"action,attr,omitempty"`
	Name    string   `xml:",chardata"`
}

// Redirect hands the call to the TwiML at URL.
type Redirect struct {
	XMLName xml.Name `xml:"Redirect"`
	Method  string   `xml:"method,attr,omitempty"`
	URL     string   `xml:",chardata"`
}

// Dial connects the call to a Twilio Client identity, a number or a
// conference.
type Dial struct {
	XMLName    xml.Name    `xml:"Dial"`
	Client     string      `xml:"Client,omitempty"`
	Number     string      `xml:"Number,omitempty"`
	Conference *Conference `xml:"Conference,omitempty"`
}

// Conference is the conference room Name of a <Dial>; the call is the
// participant Label.
type Conference struct {
	Label        string `xml:"participantLabel,attr,omitempty"`
	Beep         string `xml:"beep,attr,omitempty"`
	StartOnEnter string `xml:"startConferenceOnEnter,attr,omitempty"`
	EndOnExit    string `xml:"endConferenceOnExit,attr,omitempty"`
	Name         string `xml:",chardata"`
}

// Hangup ends the call.
type Hangup struct {
	XMLName xml.Name `xml:"Hangup"`
}

// TextReply answers an inbound text with Body (TwiML <Message>).
type TextReply struct {
	XMLName xml.Name `xml:"Message"`
	Body    string   `xml:",chardata"`
}

// Marshal returns the document with its XML declaration.
func (t TwiML) Marshal() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	if err := xml.NewEncoder(&b).Encode(t); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
