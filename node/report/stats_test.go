package report

import (
	"math"
	"math/big"
	"testing"
)

// exactUpper computes P(X >= x) for Binomial(n, num/den) in exact
// rational arithmetic.
func exactUpper(x, n int64, num, den int64) float64 {
	p := big.NewRat(num, den)
	q := new(big.Rat).Sub(big.NewRat(1, 1), p)
	sum := new(big.Rat)
	for k := x; k <= n; k++ {
		c := new(big.Int).Binomial(n, k)
		t := new(big.Rat).SetInt(c)
		t.Mul(t, new(big.Rat).SetFrac(new(big.Int).Exp(p.Num(), big.NewInt(k), nil), new(big.Int).Exp(p.Denom(), big.NewInt(k), nil)))
		t.Mul(t, new(big.Rat).SetFrac(new(big.Int).Exp(q.Num(), big.NewInt(n-k), nil), new(big.Int).Exp(q.Denom(), big.NewInt(n-k), nil)))
		sum.Add(sum, t)
	}
	f, _ := sum.Float64()
	return f
}

// TestBinomialUpper checks the tail against values summed exactly with
// integers (Python: sum(comb(n,k)*19**(n-k) for k in range(x, n+1))/20**n)
// and, for small n, against exact rational sums.
func TestBinomialUpper(t *testing.T) {
	for _, tc := range []struct {
		name string
		x, n int64
		p    float64
		want float64
	}{
		{"Zero", 0, 10, 0.3, 1},
		{"AboveN", 11, 10, 0.3, 0},
		{"EightOfTenFair", 8, 10, 0.5, 56.0 / 1024},
		{"SixtyOfHundredFair", 60, 100, 0.5, 0.028443966820490395},
		{"ThreeOfFive", 3, 5, 0.1, 0.00856}, // 10*.001*.81+5*.0001*.9+.00001
		{"FarTail", 100, 1000, 0.05, 8.410251084877303e-11},
		{"LowerHalf", 40, 100, 0.5, 0.9823998998911476},
		{"BigN", 5200, 100000, 0.05, 0.0019954800696524466},
		{"All", 20, 20, 0.9, math.Pow(0.9, 20)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := binomialUpper(tc.x, tc.n, tc.p)
			if math.Abs(got-tc.want) > 1e-9*math.Max(tc.want, 1e-300) && math.Abs(got-tc.want) > 1e-12 {
				t.Fatalf("P(X >= %d | n=%d, p=%g) = %.17g, want %.17g", tc.x, tc.n, tc.p, got, tc.want)
			}
		})
	}
	t.Run("Exact", func(t *testing.T) {
		for _, n := range []int64{1, 7, 50, 300} {
			for _, pp := range [][2]int64{{1, 9}, {1, 2}, {7, 8}, {1, 100}} {
				for x := int64(0); x <= n; x += 1 + n/25 {
					want := exactUpper(x, n, pp[0], pp[1])
					got := binomialUpper(x, n, float64(pp[0])/float64(pp[1]))
					if math.Abs(got-want) > 1e-10*want && math.Abs(got-want) > 1e-13 {
						t.Fatalf("P(X >= %d | n=%d, p=%d/%d) = %.17g, want %.17g", x, n, pp[0], pp[1], got, want)
					}
				}
			}
		}
	})
}

func TestBenjaminiHochberg(t *testing.T) {
	// R: p.adjust(c(0.01, 0.04, 0.03, 0.005, 0.5), "BH")
	p := []float64{0.01, 0.04, 0.03, 0.005, 0.5}
	want := []float64{0.025, 0.05, 0.05, 0.025, 0.5}
	got := benjaminiHochberg(p)
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("q = %v, want %v", got, want)
		}
	}
}
