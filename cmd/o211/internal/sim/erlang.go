package sim

import (
	"fmt"
	"math"
)

// ErlangA is the M/M/n+M queue (Palm's model, "Erlang-A"): Poisson
// arrivals at rate Lambda, n agents each serving at rate Mu
// (exponential handle times), and customers who abandon after an
// exponential patience of rate Theta if not yet served. Rates are per
// the same time unit (per second here).
//
// Source: A. Mandelbaum and S. Zeltyn, "Service engineering in action:
// the Palm/Erlang-A queue, with applications to call centers" (2007), and
// O. Garnett, A. Mandelbaum and M. Reiman, "Designing a call center with
// impatient customers", Manufacturing & Service Operations Management
// 4(3), 2002. The number in the system is a birth-death process with
// birth rate Lambda and death rate min(j,n)*Mu + max(j-n,0)*Theta in
// state j; its stationary distribution is computed here directly
// (truncated where the remaining mass is below 1e-15), which gives the
// same figures as their closed forms with incomplete gamma functions.
// By PASTA an arrival sees the stationary distribution, so:
//
//	P(W>0)  = sum_{j>=n} pi_j                  (all agents busy)
//	E[Q]    = sum_{j>n} (j-n) pi_j              (mean number waiting)
//	P(Ab)   = Theta * E[Q] / Lambda             (abandonment rate over arrival rate)
//	E[W]    = E[Q] / Lambda                     (Little's law, over all arrivals)
type ErlangA struct {
	Lambda, Mu, Theta float64
	N                 int
}

// ErlangAResult holds the model's figures.
type ErlangAResult struct {
	// PWait is the probability an arrival waits (finds all agents busy).
	PWait float64
	// PAbandon is the probability an arrival abandons.
	PAbandon float64
	// MeanWait is the mean time in queue over all arrivals (served or
	// not), in the rates' time unit.
	MeanWait float64
	// MeanQueue is the mean number waiting.
	MeanQueue float64
}

// Solve computes the model's figures. Theta must be positive (with
// Theta = 0 and Lambda >= N*Mu there is no stationary regime).
func (m ErlangA) Solve() (ErlangAResult, error) {
	if m.Lambda <= 0 || m.Mu <= 0 || m.Theta <= 0 || m.N < 1 {
		return ErlangAResult{}, fmt.Errorf("erlang-a: lambda, mu, theta and n must be positive (got %g, %g, %g, %d)", m.Lambda, m.Mu, m.Theta, m.N)
	}
	// Unnormalised pi_j, in logs to stay finite for large n.
	logp := []float64{0}
	for j := 1; ; j++ {
		death := float64(min(j, m.N))*m.Mu + float64(max(j-m.N, 0))*m.Theta
		logp = append(logp, logp[j-1]+math.Log(m.Lambda/death))
		// Past n the ratio falls below 1 for good once j is large; stop
		// when the term is negligible and falling.
		if j > m.N && death > m.Lambda && logp[j] < logp[0]-40 && logp[j] < maxOf(logp)-40 {
			break
		}
		if j > 1_000_000 {
			return ErlangAResult{}, fmt.Errorf("erlang-a: the distribution does not settle")
		}
	}
	top := maxOf(logp)
	var z, pw, eq float64
	for j, l := range logp {
		p := math.Exp(l - top)
		z += p
		if j >= m.N {
			pw += p
			eq += float64(j-m.N) * p
		}
	}
	pw, eq = pw/z, eq/z
	return ErlangAResult{PWait: pw, MeanQueue: eq, PAbandon: m.Theta * eq / m.Lambda, MeanWait: eq / m.Lambda}, nil
}

func maxOf(xs []float64) float64 {
	m := math.Inf(-1)
	for _, x := range xs {
		m = math.Max(m, x)
	}
	return m
}
