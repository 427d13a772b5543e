// Package gateway brings the people who reach 211 by phone, text, web chat
// and e-mail into the region's queue (node/queue), and carries the
// navigators' answers back on the same channel.
//
// What talks to what:
//
//	Twilio --signed webhooks--> /gateway/twilio/{voice,sms,status} --Enqueue/Abandon--> queue
//	queue --Connector.Connect--> gateway --Provider (Twilio REST API)--> the held call, a text
//	browser --WebSocket /gateway/chat--> gateway --Enqueue--> queue
//	mail server --SMTP (go-smtp)--> gateway --Enqueue--> queue; replies --SMTP relay-->
//	navigators --/api/v1/conversations--> gateway (transcripts, replies, typing, read)
//
// Routing: the person is asked for a postal code (keypad or speech on a
// call, typed in a text or the chat); the region that serves it is the
// contact's region, else the area code of the number, else a configured
// default (Router). Each queued item says why (queue.Item.RoutedBy).
//
// Every webhook's X-Twilio-Signature is checked against the full URL and
// the sorted form (Sign); a webhook already seen (same signature and call
// or message SID, or the same I-Twilio-Idempotency-Token) within the
// replay window is refused (ReplayGuard). Transcripts are kept in the
// gateway's own bbolt file (Store) and deleted once a conversation has
// been inactive for the contact retention period.
package gateway
