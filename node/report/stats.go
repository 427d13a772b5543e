package report

import (
	"math"
	"sort"
)

// binomialUpper returns P(X >= x) for X ~ Binomial(n, p): the one-sided
// p-value of seeing x or more. It sums the smaller tail exactly in log
// space, term by term from the point nearest the mode outwards, stopping
// when the terms no longer change the sum.
func binomialUpper(x, n int64, p float64) float64 {
	switch {
	case x <= 0:
		return 1
	case x > n:
		return 0
	case p <= 0:
		return 0
	case p >= 1:
		return 1
	}
	mode := int64(math.Floor(float64(n+1) * p))
	if x > mode {
		return tailSum(x, n, p, x, n, 1)
	}
	// P(X >= x) = 1 - P(X <= x-1); the lower tail is the smaller one.
	return math.Max(0, 1-tailSum(x-1, n, p, 0, x-1, -1))
}

// tailSum sums the binomial probabilities of k from start, stepping by
// step, within [lo, hi], away from the mode so that terms shrink.
func tailSum(start, n int64, p float64, lo, hi, step int64) float64 {
	lp, lq := math.Log(p), math.Log1p(-p)
	first := logChoose(n, start) + float64(start)*lp + float64(n-start)*lq
	sum, term := 0.0, first
	for k := start; k >= lo && k <= hi; k += step {
		t := math.Exp(term - first)
		sum += t
		if t < 1e-17*sum {
			break
		}
		// Ratio of consecutive terms: P(k+1)/P(k) = (n-k)/(k+1) * p/q.
		if step > 0 {
			term += math.Log(float64(n-k)) - math.Log(float64(k+1)) + lp - lq
		} else {
			term += math.Log(float64(k)) - math.Log(float64(n-k+1)) + lq - lp
		}
	}
	return math.Exp(first + math.Log(sum))
}

// logChoose returns log(n choose k).
func logChoose(n, k int64) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}

// benjaminiHochberg returns the q-values (adjusted p-values controlling the
// false discovery rate) of p, in the same order.
func benjaminiHochberg(p []float64) []float64 {
	m := len(p)
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	q := make([]float64, m)
	prev := 1.0
	for r := m - 1; r >= 0; r-- {
		v := math.Min(prev, p[idx[r]]*float64(m)/float64(r+1))
		q[idx[r]] = v
		prev = v
	}
	return q
}
