package console_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/o211/o211"
	"github.com/o211/o211/node/queue"
)

// waitFor waits (up to d) for the element sel to be visible in the tab.
func waitFor(tb testing.TB, ctx context.Context, sel string, d time.Duration) {
	tb.Helper()
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		tb.Fatalf("waiting for %s: %v", sel, err)
	}
}

// setPresence ticks the boxes sel in the live page's presence form and
// sends it, all in one turn of the page's script: the live part of the
// page is replaced by every update of the event stream, and an update
// landing between a click and the submit would otherwise replace the form
// (a stale node, or the ticks lost).
func setPresence(tb testing.TB, ctx context.Context, sel ...string) {
	tb.Helper()
	js := ""
	for _, s := range sel {
		js += "document.querySelector(" + strconv.Quote(s) + ").checked = true; "
	}
	js += `document.querySelector("#set-presence").click()`
	if _, err := chromedp.RunResponse(ctx, chromedp.Evaluate[chromedp.Void](js)); err != nil {
		tb.Fatalf("setting presence %v: %v", sel, err)
	}
}

// TestBrowser_LiveQueue: with JavaScript, a navigator's live queue page
// shows a call offered to her without reloading (the event stream), says
// so in its status line, and accepting opens the contact workspace; the
// page passes axe-core in English and French (screenshots at phone and
// desktop widths). Without JavaScript a second navigator uses the same
// page's forms: set available, see the chat offered, decline it.
func TestBrowser_LiveQueue(t *testing.T) {
	b := mustStartBrowser(t)
	n := MustStartPortal(t)
	mustAddUser(t, n, "nadia", o211.RoleNavigator)
	mustQualify(t, n, "nadia", "en", "fr")
	mustAddUser(t, n, "sam", o211.RoleNavigator)
	ctx, cancel := context.WithTimeout(b.tab(t, false), 3*time.Minute)
	defer cancel()
	signInBrowser(t, ctx, n.URL(), "nadia", "nadia-password")
	navigate(t, ctx, n.URL()+"/console/queue")
	waitFor(t, ctx, "body[data-queue-live=open]", 20*time.Second)
	setPresence(t, ctx, "#presence-available", "#language-fr")
	waitFor(t, ctx, "body[data-queue-live=open]", 20*time.Second)
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.body.setAttribute("data-same-page", "yes")`)); err != nil {
		t.Fatal(err)
	}
	n.Queue().Enqueue(context.Background(), queue.Item{Channel: o211.ChannelPhone, Language: "fr", From: "+16135550100", RoutedBy: "postal code K1N 6N5"})
	n.Queue().Enqueue(context.Background(), queue.Item{Channel: o211.ChannelChat, Language: "en", From: "chat-7"})
	waitFor(t, ctx, "#accept", 20*time.Second)
	waitFor(t, ctx, "body[data-same-page=yes]", time.Second)
	if got := text(t, ctx, "#queue-live-status"); got != "Call · French" {
		t.Errorf("status line %q; want the offer announced, Call · French", got)
	}
	if got := text(t, ctx, "#waiting caption"); got != "Waiting (2)" {
		t.Errorf("waiting caption %q", got)
	}
	checkAxe(t, ctx)
	screenshot(t, ctx, "queue-en")
	navigate(t, ctx, n.URL()+"/fr/console/queue")
	waitFor(t, ctx, "#accept", 20*time.Second)
	checkAxe(t, ctx)
	screenshot(t, ctx, "queue-fr")
	submit(t, ctx, "#accept")
	if loc := location(t, ctx); !strings.HasPrefix(loc, n.URL()+"/fr/console/contacts/new?channel=phone&from=%2B16135550100&language=fr&queue_item=") {
		t.Errorf("accepting went to %s; want the contact workspace, filled in", loc)
	}

	navigate(t, ctx, n.URL()+"/console/queue")
	setPresence(t, ctx, "#presence-away") // the chat is for someone else now
	submit(t, ctx, "#sign-out")           // the tabs share their cookies
	noJS, cancel := context.WithTimeout(b.tab(t, true), 2*time.Minute)
	defer cancel()
	signInBrowser(t, noJS, n.URL(), "sam", "sam-password")
	navigate(t, noJS, n.URL()+"/fr/console/queue") // in French this time
	if err := chromedp.Do(noJS, chromedp.Click(chromedp.CSS("#presence-available"))); err != nil {
		t.Fatal(err)
	}
	submit(t, noJS, "#set-presence")
	if got := text(t, noJS, "#offer-what"); got != "Clavardage · Anglais" {
		t.Fatalf("without JavaScript, the offer shown is %q; want Clavardage · Anglais", got)
	}
	submit(t, noJS, "#decline")
	if got := text(t, noJS, "[role=status]"); !strings.Contains(got, "Vous avez refusé le contact") {
		t.Errorf("after declining: %q", got)
	}
}
