package contacts_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/o211/o211"
	"github.com/o211/o211/node/contacts"
	"github.com/o211/o211/node/store"
)

// View reads a contact once for a page: eight navigators' concurrent views
// each write their own audit entry, and each entry is on disk (fsync'd,
// found after the store is closed and opened again) once its shown has
// returned; a contact the caller may not open audits nothing.
func TestContacts_ViewAuditsEachViewDurably(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.db")
	st, err := store.Open(path, store.Options{Region: "east"})
	if err != nil {
		t.Fatal(err)
	}
	svc := contacts.New(contacts.Config{Store: st})
	admin := o211.WithActor(context.Background(), o211.System("test"))
	c := &o211.Contact{ID: "c-1", Region: "east", Status: o211.ContactOpen, Channel: o211.ChannelPhone, Start: start,
		Navigator: "nav-1", Caller: o211.Caller{FirstName: "Zebulon"}}
	if _, err := svc.Create(admin, c); err != nil {
		t.Fatal(err)
	}
	// Another region's reader is refused before anything is audited.
	if _, _, err := svc.View(navigator("stranger", "west"), "c-1", func(c *o211.Contact) bool { return c.Region == "west" }); o211.ErrorCode(err) != o211.ENOTFOUND {
		t.Fatalf("a refused view: %v, want ENOTFOUND", err)
	}
	if _, _, err := svc.View(context.Background(), "c-1", nil); err != store.ErrNoActor {
		t.Fatalf("a view without an actor: %v", err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			got, shown, err := svc.View(navigator(fmt.Sprintf("nav-%d", i), "east"), "c-1", func(c *o211.Contact) bool { return c.Region == "east" })
			if err == nil && got.Caller.FirstName != "Zebulon" {
				err = fmt.Errorf("view %d read %+v", i, got.Caller)
			}
			if err == nil {
				err = shown()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = store.Open(path, store.Options{Region: "east"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	page, err := st.Audit(o211.AuditQuery{ContactID: "c-1", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	readers := map[string]bool{}
	for _, e := range page.Entries {
		if e.Action == "read" {
			readers[e.Actor.Username] = true
		}
	}
	if len(readers) != 8 || readers["stranger"] {
		t.Fatalf("the audit log holds the reads of %v, want nav-0 to nav-7", readers)
	}
}

// navigator is a context whose actor is a navigator of region.
func navigator(name, region string) context.Context {
	return o211.WithActor(context.Background(), o211.Actor{ID: "user:" + name, Username: name, Role: o211.RoleNavigator, Region: region})
}
