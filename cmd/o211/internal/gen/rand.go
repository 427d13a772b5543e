package gen

import (
	guuid "github.com/google/uuid"
	"math/rand/v2"
)

// mix is SplitMix64's finalizer: it spreads nearby inputs (seeds 1, 2, 3;
// organization 7 and 8) over unrelated 64-bit values.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// newRand returns a generator for one stream of the seed: the plan of a
// region, or one organization. Streams never depend on each other, which is
// what lets a region be generated without the rest of the province.
func newRand(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(mix(uint64(seed)), mix(stream^0x6f323131)))
}

// uuid returns a random (version 4) UUID drawn from r.
func uuid(r *rand.Rand) string {
	var u guuid.UUID
	a, b := r.Uint64(), r.Uint64()
	for i := 0; i < 8; i++ {
		u[i], u[8+i] = byte(a>>(8*i)), byte(b>>(8*i))
	}
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	return u.String()
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// weighted returns an index into weights, each drawn in proportion to its
// weight.
func weighted(r *rand.Rand, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := r.IntN(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}

func ptr(f float64) *float64 { return &f }
