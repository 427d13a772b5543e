package auth_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/auth"
	"github.com/o211/o211/node/store"
)

// BenchmarkSignIn measures a whole sign-in with the default argon2id costs
// (auth.DefaultParams) over a real store with fsync: find the user, check
// the lockout, verify the hash, start the session, write the audit entry.
// It reports the p50 and p99 of one sign-in, with 1 and 8 clients at once
// (the hasher computes two hashes at a time; the others queue).
//
//	go test -run '^$' -bench SignIn -benchtime 200x ./node/auth
func BenchmarkSignIn(b *testing.B) {
	for _, clients := range []int{1, 8} {
		b.Run(map[int]string{1: "clients=1", 8: "clients=8"}[clients], func(b *testing.B) {
			st, err := store.Open(b.TempDir()+"/node.db", store.Options{Region: "east"})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			svc := auth.New(auth.Config{Region: "east", Users: st, Sessions: st})
			if _, err := svc.AddUser(context.Background(), o211.System("bench"), "nadia", "nadia-secret-pw", o211.RoleNavigator); err != nil {
				b.Fatal(err)
			}
			var mu sync.Mutex
			var took []time.Duration
			next := make(chan struct{})
			var wg sync.WaitGroup
			cpu0 := cpuTime()
			b.ResetTimer()
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range next {
						start := time.Now()
						if _, err := svc.SignIn(httptest.NewRecorder(), httptest.NewRequest("POST", "/console/login", nil), "nadia", "nadia-secret-pw"); err != nil {
							b.Error(err)
						}
						mu.Lock()
						took = append(took, time.Since(start))
						mu.Unlock()
					}
				}()
			}
			for range b.N {
				next <- struct{}{}
			}
			close(next)
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(ms(cpuTime()-cpu0)/float64(b.N), "cpu-ms/op")
			slices.Sort(took)
			b.ReportMetric(ms(took[len(took)/2]), "p50-ms")
			b.ReportMetric(ms(took[len(took)*99/100]), "p99-ms")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// cpuTime returns the process's user and system CPU time so far: the cost
// of a sign-in whatever else the machine runs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkHash measures argon2id alone at the default costs.
func BenchmarkHash(b *testing.B) {
	h := auth.NewHasher(auth.DefaultParams, 1)
	for range b.N {
		if _, err := h.Hash(context.Background(), "nadia-secret-pw"); err != nil {
			b.Fatal(err)
		}
	}
}
