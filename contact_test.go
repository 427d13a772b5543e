package o211

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func validContact() *Contact {
	end := time.Date(2026, 11, 2, 15, 10, 0, 0, time.UTC)
	return &Contact{
		Region: "central", Status: ContactOpen, Channel: ChannelPhone,
		Start: time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC), End: &end,
		Caller: Caller{FirstName: "Amira", Callback: "(613) 555-0199", PostalCode: "k1n 5t5", AgeBand: "25-34", Language: "FR"},
		Needs: []Need{{Code: "BD-1800.2000", Status: NeedMet},
			{Code: "BH-8600.6500*YS-5000.5000", Status: NeedUnmet, Reason: ReasonWaitlistFull}},
		Referrals: []Referral{{ServiceID: "svc-1", LocationID: "loc-1"}},
		Consent:   Consent{FollowUp: true},
		FollowUp:  &FollowUp{Due: "2026-11-09"},
		Notes:     "Lives with two children.",
		Emergency: "2026-ottawa-ice-storm",
	}
}

func TestContact_Validate(t *testing.T) {
	c := validContact()
	c.Normalize()
	if err := c.Validate(); err != nil {
		t.Fatalf("valid contact: %v", err)
	}
	if c.Caller.PostalCode != "K1N 5T5" || c.Caller.Language != "fr" {
		t.Fatalf("Normalize: postal %q language %q", c.Caller.PostalCode, c.Caller.Language)
	}
	cases := []struct {
		name, field string
		edit        func(*Contact)
	}{
		{"ErrChannelRequired", "channel", func(c *Contact) { c.Channel = "" }},
		{"ErrChannelUnknown", "channel", func(c *Contact) { c.Channel = "fax" }},
		{"ErrStartRequired", "start", func(c *Contact) { c.Start = time.Time{} }},
		{"ErrEndBeforeStart", "end", func(c *Contact) { e := c.Start.Add(-time.Minute); c.End = &e }},
		{"ErrReasonOnMetNeed", "needs[0].reason", func(c *Contact) { c.Needs[0].Reason = ReasonCost }},
		{"ErrUnmetWithoutReason", "needs[1].reason", func(c *Contact) { c.Needs[1].Reason = "" }},
		{"ErrUnknownReason", "needs[1].reason", func(c *Contact) { c.Needs[1].Reason = "bored" }},
		{"ErrBadCode", "needs[0].code", func(c *Contact) { c.Needs[0].Code = "food" }},
		{"ErrNeedStatus", "needs[0].status", func(c *Contact) { c.Needs[0].Status = "" }},
		{"ErrPostalCode", "caller.postal_code", func(c *Contact) { c.Caller.PostalCode = "90210" }},
		{"ErrAgeBand", "caller.age_band", func(c *Contact) { c.Caller.AgeBand = "30" }},
		{"ErrCallback", "caller.callback", func(c *Contact) { c.Caller.Callback = "call me" }},
		{"ErrEmail", "caller.email", func(c *Contact) { c.Caller.Email = "not-an-address" }},
		{"ErrReferralService", "referrals[0].service_id", func(c *Contact) { c.Referrals[0].ServiceID = "" }},
		{"ErrFollowUpWithoutConsent", "follow_up", func(c *Contact) { c.Consent.FollowUp = false }},
		{"ErrFollowUpDue", "follow_up.due", func(c *Contact) { c.FollowUp.Due = "next week" }},
		{"ErrEmergencyTag", "emergency", func(c *Contact) { c.Emergency = "Ice storm at Mary's" }},
		{"ErrClosedWithoutEnd", "end", func(c *Contact) { c.Status = ContactClosed; c.End = nil }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := validContact()
			c.Normalize()
			tc.edit(c)
			err := c.Validate()
			e, ok := err.(*Error)
			if !ok || e.Code != EINVALID || e.Field != tc.field {
				t.Fatalf("got %v, want an EINVALID error on %s", err, tc.field)
			}
		})
	}
}

func TestAnonymise(t *testing.T) {
	c := validContact()
	c.Normalize()
	c.Start = time.Date(2026, 11, 3, 2, 0, 0, 0, time.UTC) // 21:00 on the 2nd in Toronto
	r := Anonymise(c, "r-1")
	if err := r.Validate(); err != nil {
		t.Fatalf("report of a valid contact: %v", err)
	}
	if r.Day != "2026-11-02" || r.FSA != "K1N" || r.Language != "fr" || r.AgeBand != "25-34" || r.Emergency != "2026-ottawa-ice-storm" {
		t.Fatalf("report = %+v", r)
	}
	if len(r.Needs) != 2 || !r.Needs[0].Met || r.Needs[1].Met || r.Needs[1].Reason != ReasonWaitlistFull {
		t.Fatalf("needs = %+v", r.Needs)
	}
	data := string(mustJSON(t, r))
	for _, pii := range []string{"Amira", "555", "5T5", "children", "svc-1"} {
		if strings.Contains(data, pii) {
			t.Errorf("report JSON %s holds %q", data, pii)
		}
	}
	rec := &Record{Kind: KindReport, ID: r.ID, Region: r.Region, Version: 1, Data: mustJSON(t, r)}
	obj, err := rec.Decode()
	if err != nil || obj.(*Report).FSA != "K1N" {
		t.Fatalf("Decode report record: %v %+v", err, obj)
	}
	if _, ok := LookupKind(KindReport); ok {
		t.Fatal("LookupKind knows reports: they would be exported as an HSDS table")
	}
}

func TestContact_Redact(t *testing.T) {
	c := validContact()
	c.Normalize()
	c.FollowUp.Outcome = "Called back, housed."
	r := c.Redact()
	if r.HasPersonal() {
		t.Fatalf("redacted contact still has personal fields: %+v", r)
	}
	if r.Caller.PostalCode != "K1N" || r.Caller.AgeBand != "25-34" || len(r.Needs) != 2 || r.FollowUp.Due != "2026-11-09" {
		t.Fatalf("redact lost non-personal fields: %+v", r)
	}
	if !c.HasPersonal() || c.Notes == "" {
		t.Fatal("Redact changed its receiver")
	}
}

func TestContact_PersonalHeld(t *testing.T) {
	c := validContact()
	c.Normalize()
	c.FollowUp.Outcome = "Called back, housed."
	got := strings.Join(c.PersonalHeld(), ",")
	if want := "caller.first_name,caller.callback,caller.postal_code,notes,follow_up.outcome"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if h := c.Redact().PersonalHeld(); h != nil {
		t.Fatalf("redacted contact holds %v", h)
	}
	fsaOnly := &Contact{Caller: Caller{PostalCode: "K1N", AgeBand: "25-34"}, Notes: "x"}
	if got, want := strings.Join(fsaOnly.PersonalHeld(), ","), "notes"; got != want {
		t.Fatalf("FSA-only contact: got %q, want %q", got, want)
	}
}

func TestValidTaxonomyCode(t *testing.T) {
	for _, c := range []string{"B", "BD", "BD-1800", "BD-1800.2000-100", "BH-8600.6500*YS-5000.5000", "LF-7000.8200*YF-3000"} {
		if !ValidTaxonomyCode(c) {
			t.Errorf("%q rejected", c)
		}
	}
	for _, c := range []string{"", "b", "BD-", "BD-18a", "BD--1", "BD*", "1B", "BDX-1"} {
		if ValidTaxonomyCode(c) {
			t.Errorf("%q accepted", c)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
