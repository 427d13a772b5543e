package o211

import (
	"testing"
	"time"
)

func TestClosure_AlertRoundTrip(t *testing.T) {
	for _, c := range []Closure{
		{Until: "2027-01-15", En: "Closed for renovations. Back soon.", Fr: "Fermé pour rénovations."},
		{Until: "2027-01-15", Fr: "Fermé."},
		{Until: "2027-01-15", En: "Flood\n damage"},
	} {
		got, ok := ClosureOf(StatusTemporarilyClosed, c.Alert())
		want := c
		want.En = oneLine(c.En)
		if !ok || got != want {
			t.Errorf("%+v: alert %q read back as %+v, %v", c, c.Alert(), got, ok)
		}
	}
	if _, ok := ClosureOf(StatusActive, Closure{Until: "2027-01-15", En: "x"}.Alert()); ok {
		t.Error("an active service read as closed")
	}
	if _, ok := ClosureOf(StatusTemporarilyClosed, "Closed for the holidays"); ok {
		t.Error("an alert o211 did not write read as a dated closure")
	}
}

func TestClosure_On(t *testing.T) {
	c := Closure{Until: "2027-01-15"}
	// 23:30 in Toronto on the 15th is already the 16th in UTC.
	if !c.On(time.Date(2027, 1, 16, 4, 30, 0, 0, time.UTC)) {
		t.Error("the closure ended before its last day was over in Toronto")
	}
	if c.On(time.Date(2027, 1, 16, 5, 30, 0, 0, time.UTC)) {
		t.Error("the closure holds after its last day")
	}
	if err := (Closure{Until: "15/01/2027"}).Validate(); ErrorCode(err) != EINVALID {
		t.Errorf("a bad day gave %v", err)
	}
}
