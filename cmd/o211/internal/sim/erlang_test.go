package sim

import (
	"math"
	"testing"
)

// TestErlangA_KnownFigures checks the model against figures that follow
// from simpler models: with patience very long it is Erlang-C (M/M/n),
// whose P(wait) and mean wait have closed forms; with patience rate equal
// to the service rate everyone present leaves at the same rate, so the
// number present is that of M/M/infinity, Poisson.
func TestErlangA_KnownFigures(t *testing.T) {
	t.Run("ErlangCLimit", func(t *testing.T) {
		// n=2, a=lambda/mu=1: Erlang C = (a^n/n! * n/(n-a)) / (sum_{k<n} a^k/k! + a^n/n! * n/(n-a)) = (1/2*2)/(2+1) = 1/3.
		r, err := ErlangA{Lambda: 1, Mu: 1, Theta: 1e-9, N: 2}.Solve()
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(r.PWait-1.0/3) > 1e-4 {
			t.Fatalf("P(wait) = %.6f; want Erlang C's 1/3", r.PWait)
		}
		// Erlang C mean wait: C/(n*mu - lambda) = (1/3)/1.
		if math.Abs(r.MeanWait-1.0/3) > 1e-3 {
			t.Fatalf("E[W] = %.6f; want 1/3", r.MeanWait)
		}
	})
	t.Run("PatienceEqualsService", func(t *testing.T) {
		// With theta = mu every customer present leaves at rate mu
		// (served or not): the number present is M/M/infinity, Poisson
		// with mean a. For n=1, a=2: P(wait) = 1 - e^-2,
		// E[Q] = E[(X-1)+] = a - 1 + e^-a.
		r, err := ErlangA{Lambda: 2, Mu: 1, Theta: 1, N: 1}.Solve()
		if err != nil {
			t.Fatal(err)
		}
		if want := 1 - math.Exp(-2); math.Abs(r.PWait-want) > 1e-9 {
			t.Fatalf("P(wait) = %.9f; want %.9f", r.PWait, want)
		}
		if want := 1 + math.Exp(-2); math.Abs(r.MeanQueue-want) > 1e-9 {
			t.Fatalf("E[Q] = %.9f; want %.9f", r.MeanQueue, want)
		}
		if want := (1 + math.Exp(-2)) / 2; math.Abs(r.PAbandon-want) > 1e-9 {
			t.Fatalf("P(abandon) = %.9f; want %.9f", r.PAbandon, want)
		}
	})
	t.Run("BadInput", func(t *testing.T) {
		if _, err := (ErlangA{Lambda: 1, Mu: 1, Theta: 0, N: 1}).Solve(); err == nil {
			t.Fatal("theta 0: no error")
		}
	})
}
