// Package queue is a region's contact queue: the people who reached 211 by
// phone, text, chat or email wait here until a navigator who speaks their
// language (and holds the skills they need) accepts them.
//
// What talks to what:
//
//	node/gateway --Enqueue/Abandon/Waiting--> Queue <--presence/accept/decline/done/transfer-- navigators (HTTP API, console)
//	Queue --Connector.Connect (outside its lock)--> node/gateway (connects the held call, opens the conversation)
//
// Durability: every change of a contact's state (enqueued, accepted,
// transferred, done, abandoned) is written to the queue's bbolt file and
// fsync'd before the call returns, so a waiting contact is still waiting
// after a crash. Offers and navigator presence live in memory only: after
// a restart no offer stands (an offered contact is waiting again, and a
// navigator who had it cannot accept it any more) and navigators set
// their presence again. So a contact is never lost, and at any moment at
// most one navigator holds an offer that can be accepted for it.
//
// Routing: contacts wait in order of priority (higher first), then oldest
// first. A contact is offered to an available navigator who speaks its
// language, holds all its skills, has room on its channel (Config.Capacity:
// one call, up to three chats) and holds no other offer; among those, the
// one free longest. An offer not answered within Config.OfferTimeout goes
// to the next navigator and the navigator who missed it is set away. A
// declined offer goes to the next navigator.
//
// Lock order: Queue.mu only; the bbolt transaction is taken under it, and
// connectors and listeners are called after it is released.
package queue
