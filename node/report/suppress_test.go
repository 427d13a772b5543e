package report

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"
)

// supCells lists the suppressed cells of a mask as "r,c".
func supCells(t *table, m *mask) []string {
	var out []string
	for i := 0; i < t.R; i++ {
		for j := 0; j < t.C; j++ {
			if m.Cells[i*t.C+j] {
				out = append(out, fmt.Sprintf("%d,%d", i, j))
			}
		}
	}
	return out
}

func TestSuppress(t *testing.T) {
	for _, tc := range []struct {
		name  string
		t     table
		cells []string // suppressed cells
		rows  []int    // suppressed row totals
		cols  []int    // suppressed column totals
		grand bool
	}{
		{name: "NothingSmall",
			t:     table{R: 3, C: 1, Cells: []int64{10, 0, 25}, ColTotals: true},
			cells: nil},
		{name: "OneSmallCellRecoverableFromTotal",
			// 5 = 55 - 20 - 30 unless a second cell goes: the smallest other.
			t:     table{R: 3, C: 1, Cells: []int64{20, 5, 30}, ColTotals: true},
			cells: []string{"0,0", "1,0"}},
		{name: "TwoSmallCellsProtectEachOther",
			t:     table{R: 3, C: 1, Cells: []int64{20, 5, 3}, ColTotals: true},
			cells: []string{"1,0", "2,0"}},
		{name: "SmallTotal",
			t:     table{R: 3, C: 1, Cells: []int64{4, 0, 3}, ColTotals: true},
			cells: []string{"0,0", "2,0"}, cols: []int{0}},
		{name: "OnlyNonZeroCellAndItsTotal",
			// The total equals the cell; both suppressed, zeros stay.
			t:     table{R: 3, C: 1, Cells: []int64{0, 6, 0}, ColTotals: true},
			cells: []string{"1,0"}, cols: []int{0}},
		{name: "ZeroLastResort",
			// 1-D, no total published: nothing to recover from.
			t:     table{R: 2, C: 1, Cells: []int64{6, 40}},
			cells: []string{"0,0"}},
		{name: "SecondaryInRowForcesColumn",
			// 5 is alone in row 0: 20 goes with it; column 0 then holds 5
			// alone (12 goes), column 1 holds 20 alone (15 goes), and row 2
			// then holds two.
			t: table{R: 3, C: 3, Cells: []int64{
				5, 20, 30,
				40, 50, 60,
				12, 15, 70}, RowTotals: true, ColTotals: true, Grand: true},
			cells: []string{"0,0", "0,1", "2,0", "2,1"}},
		{name: "SmallRowTotal",
			// Row 1 totals 7: its cells and its total go; the totals column
			// then needs a second total, the smallest (row 0's 52).
			t: table{R: 3, C: 2, Cells: []int64{
				30, 22,
				4, 3,
				60, 70}, RowTotals: true, ColTotals: true, Grand: true},
			cells: []string{"0,0", "0,1", "1,0", "1,1"}, rows: []int{0, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := suppress(&tc.t, Threshold)
			got, want := fmt.Sprint(supCells(&tc.t, m)), fmt.Sprint(tc.cells)
			if got != want {
				t.Errorf("suppressed cells %s, want %s", got, want)
			}
			var rows, cols []int
			for i, s := range m.Rows {
				if s {
					rows = append(rows, i)
				}
			}
			for j, s := range m.Cols {
				if s {
					cols = append(cols, j)
				}
			}
			if fmt.Sprint(rows) != fmt.Sprint(tc.rows) || fmt.Sprint(cols) != fmt.Sprint(tc.cols) || m.Grand != tc.grand {
				t.Errorf("suppressed totals rows %v cols %v grand %v, want rows %v cols %v grand %v",
					rows, cols, m.Grand, tc.rows, tc.cols, tc.grand)
			}
			checkProtected(t, &tc.t, m)
		})
	}
}

// TestSuppress_Bridge plants a pattern where every row and column holds
// two or more suppressed cells, yet one cell is determined: two cycles
// joined only through it.
func TestSuppress_Bridge(t *testing.T) {
	const big = 100
	tb := table{R: 4, C: 4, Cells: []int64{
		3, 4, big, big,
		5, 6, 7, big,
		big, big, 2, 3,
		big, big, 4, 5}, RowTotals: true, ColTotals: true, Grand: true}
	s := newSuppressor(&tb)
	for e := 0; e < 16; e++ {
		s.sup[e] = tb.Cells[e] < 10
	}
	if b := s.findBridge(); b != 6 {
		t.Fatalf("findBridge = %d, want cell 6 (1,2)", b)
	}
	m := suppress(&tb, Threshold)
	checkProtected(t, &tb, m)
	if !m.Cells[6] {
		t.Fatal("cell (1,2) published")
	}
}

// TestSuppress_Random brute-checks random tables: every count from 1 to 9
// is suppressed, and no suppressed entry is pinned by the equations the
// published entries satisfy, checked by exact linear algebra.
func TestSuppress_Random(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 3000; n++ {
		tb := table{R: 1 + rng.IntN(5), C: 1 + rng.IntN(5)}
		tb.RowTotals, tb.ColTotals, tb.Grand = rng.IntN(2) == 0, rng.IntN(2) == 0, rng.IntN(2) == 0
		for i := 0; i < tb.R*tb.C; i++ {
			var v int64
			switch rng.IntN(4) {
			case 0:
			case 1:
				v = 1 + rng.Int64N(9)
			default:
				v = 10 + rng.Int64N(60)
			}
			tb.Cells = append(tb.Cells, v)
		}
		m := suppress(&tb, Threshold)
		if t.Failed() {
			return
		}
		checkProtected(t, &tb, m)
		if t.Failed() {
			t.Logf("table %+v", tb)
			return
		}
	}
}

// checkProtected fails t when a published entry is from 1 to 9 or when a
// suppressed entry's value follows from the published ones. It builds the
// table's equations itself, as a matrix over all entries, and asks whether
// the unit vector of each suppressed entry lies in the row space of the
// equations restricted to the suppressed entries.
func checkProtected(t *testing.T, tb *table, m *mask) {
	t.Helper()
	R, C := tb.R, tb.C
	n := R*C + R + C + 1
	val := make([]int64, n)
	pub := make([]bool, n)
	sup := make([]bool, n)
	for i := 0; i < R; i++ {
		for j := 0; j < C; j++ {
			v := tb.Cells[i*C+j]
			val[i*C+j] = v
			val[R*C+i] += v
			val[R*C+R+j] += v
			val[n-1] += v
			pub[i*C+j], sup[i*C+j] = true, m.Cells[i*C+j]
		}
		pub[R*C+i], sup[R*C+i] = tb.RowTotals, m.Rows[i]
	}
	for j := 0; j < C; j++ {
		pub[R*C+R+j], sup[R*C+R+j] = tb.ColTotals, m.Cols[j]
	}
	pub[n-1], sup[n-1] = tb.Grand, m.Grand
	for e := 0; e < n; e++ {
		if pub[e] && !sup[e] && val[e] >= 1 && val[e] < Threshold {
			t.Fatalf("entry %d = %d published", e, val[e])
		}
	}
	// Equations: coefficient vectors over entries.
	var eqs [][]int64
	eq := func(plus []int, minus int) {
		v := make([]int64, n)
		for _, e := range plus {
			v[e] = 1
		}
		v[minus] = -1
		eqs = append(eqs, v)
	}
	cellsOfRow := func(i int) (es []int) {
		for j := 0; j < C; j++ {
			es = append(es, i*C+j)
		}
		return es
	}
	cellsOfCol := func(j int) (es []int) {
		for i := 0; i < R; i++ {
			es = append(es, i*C+j)
		}
		return es
	}
	if tb.RowTotals {
		for i := 0; i < R; i++ {
			eq(cellsOfRow(i), R*C+i)
		}
	}
	if tb.ColTotals {
		for j := 0; j < C; j++ {
			eq(cellsOfCol(j), R*C+R+j)
		}
	}
	if tb.Grand {
		var all, rows, cols []int
		for e := 0; e < R*C; e++ {
			all = append(all, e)
		}
		for i := 0; i < R; i++ {
			rows = append(rows, R*C+i)
		}
		for j := 0; j < C; j++ {
			cols = append(cols, R*C+R+j)
		}
		// The grand total is the sum of all cells whatever margins are
		// published; the margins' sums follow from it when present.
		eq(all, n-1)
		if tb.RowTotals {
			eq(rows, n-1)
		}
		if tb.ColTotals {
			eq(cols, n-1)
		}
	}
	var unknown []int
	for e := 0; e < n; e++ {
		if pub[e] && sup[e] {
			unknown = append(unknown, e)
		}
	}
	restrict := func(extra int) [][]*big.Rat {
		var mat [][]*big.Rat
		for _, v := range eqs {
			row := make([]*big.Rat, len(unknown))
			for k, e := range unknown {
				row[k] = big.NewRat(v[e], 1)
			}
			mat = append(mat, row)
		}
		if extra >= 0 {
			row := make([]*big.Rat, len(unknown))
			for k := range unknown {
				row[k] = new(big.Rat)
			}
			row[extra] = big.NewRat(1, 1)
			mat = append(mat, row)
		}
		return mat
	}
	base := rank(restrict(-1))
	for k, e := range unknown {
		if rank(restrict(k)) == base {
			t.Fatalf("suppressed entry %d (value %d) is determined by the published totals", e, val[e])
		}
	}
}

// rank returns the rank of a matrix by exact Gaussian elimination.
func rank(m [][]*big.Rat) int {
	if len(m) == 0 {
		return 0
	}
	r := 0
	for c := 0; c < len(m[0]) && r < len(m); c++ {
		p := -1
		for i := r; i < len(m); i++ {
			if m[i][c].Sign() != 0 {
				p = i
				break
			}
		}
		if p < 0 {
			continue
		}
		m[r], m[p] = m[p], m[r]
		for i := 0; i < len(m); i++ {
			if i == r || m[i][c].Sign() == 0 {
				continue
			}
			f := new(big.Rat).Quo(m[i][c], m[r][c])
			for k := c; k < len(m[0]); k++ {
				m[i][k] = new(big.Rat).Sub(m[i][k], new(big.Rat).Mul(f, m[r][k]))
			}
		}
		r++
	}
	return r
}
