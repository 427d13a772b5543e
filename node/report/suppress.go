package report

import "sort"

// Threshold is the smallest count published: counts from 1 to Threshold-1
// are suppressed.
const Threshold = 10

// table is a table of counts about to be published: R rows of C cells,
// row-major, and the margins published with them (each row's total, each
// column's total, the grand total). A one-dimensional list with its total
// is R rows of one cell with ColTotals.
type table struct {
	R, C      int
	Cells     []int64
	Keys      []uint64 // the cells' key sums, for perturbation; nil: all 0
	RowTotals bool
	ColTotals bool
	Grand     bool
	// Force, when set, marks entries to suppress whatever their value (in
	// the order cells, row totals, column totals, grand total), for a
	// count that another table shows would let a reader subtract its way to
	// a small number. They count as primary suppressions.
	Force []bool
}

// mask says which entries of a table are suppressed.
type mask struct {
	Cells     []bool
	Rows      []bool // row totals
	Cols      []bool // column totals
	Grand     bool
	Primary   int // entries from 1 to Threshold-1
	Secondary int // entries suppressed to protect them
}

// Suppressed returns the number of entries suppressed.
func (m *mask) Suppressed() int { return m.Primary + m.Secondary }

// suppress decides which entries of t to suppress so that no count from 1
// to threshold-1 is published and none can be worked out exactly from the
// entries published.
//
// The published entries obey linear equations: each published row total is
// the sum of its row, each published column total the sum of its column,
// the grand total the sum of the totals (or of all cells when no margin is
// published). Every entry lies in at most two equations, so the suppressed
// entries form a graph whose nodes are the equations (plus a "ground" node
// for an entry in one equation only) and whose edges are the suppressed
// entries. Substituting the published values, a suppressed entry's value
// is determined exactly if and only if its edge is a bridge of that graph
// (lies on no cycle): the signs of the equations can be switched to those
// of an ordinary incidence matrix, whose null space is the cycle space.
//
// The method: suppress every primary entry; then repeat until stable:
//   - an equation with exactly one suppressed entry gets a second one:
//     the smallest non-zero cell in it, else its non-zero total, else a
//     zero cell (a zero may be a structural zero every reader knows, so it
//     protects least and is taken last);
//   - a suppressed entry that is still a bridge (it can happen in two-way
//     tables when chains of suppressions meet only through it) gets a
//     cycle: the smallest entry joining the two sides the bridge separates
//     is suppressed too.
//
// This protects against exact recovery from one table's published totals.
// It does not bound how narrowly a value can be estimated with the
// constraint that counts are not negative, nor protect against
// differencing two reports with different filters.
func suppress(t *table, threshold int64) *mask {
	s := newSuppressor(t)
	for e := range s.val {
		if s.pub[e] && (s.val[e] >= 1 && s.val[e] < threshold || e < len(t.Force) && t.Force[e]) {
			s.sup[e] = true
			s.primary++
		}
	}
	for {
		if s.fixLonely() {
			continue
		}
		if !s.fixBridge() {
			break
		}
	}
	return s.result()
}

type suppressor struct {
	t       *table
	val     []int64
	pub     []bool
	margin  []bool
	sup     []bool
	eqs     [][]int
	eqOf    [][2]int // equations of each entry, -1 for none
	primary int
}

func newSuppressor(t *table) *suppressor {
	R, C := t.R, t.C
	n := R*C + R + C + 1
	s := &suppressor{t: t, val: make([]int64, n), pub: make([]bool, n), margin: make([]bool, n),
		sup: make([]bool, n), eqOf: make([][2]int, n)}
	rowE := func(i int) int { return R*C + i }
	colE := func(j int) int { return R*C + R + j }
	grandE := R*C + R + C
	for i := 0; i < R; i++ {
		for j := 0; j < C; j++ {
			v := t.Cells[i*C+j]
			s.val[i*C+j] = v
			s.pub[i*C+j] = true
			s.val[rowE(i)] += v
			s.val[colE(j)] += v
			s.val[grandE] += v
		}
	}
	for i := 0; i < R; i++ {
		s.pub[rowE(i)], s.margin[rowE(i)] = t.RowTotals, true
	}
	for j := 0; j < C; j++ {
		s.pub[colE(j)], s.margin[colE(j)] = t.ColTotals, true
	}
	s.pub[grandE], s.margin[grandE] = t.Grand, true
	for e := range s.eqOf {
		s.eqOf[e] = [2]int{-1, -1}
	}
	s.addEquations()
	return s
}

// addEquations adds the table's equations: each published total with what
// it totals.
func (s *suppressor) addEquations() {
	t := s.t
	R, C := t.R, t.C
	rowE := func(i int) int { return R*C + i }
	colE := func(j int) int { return R*C + R + j }
	grandE := R*C + R + C
	addEq := func(members []int) {
		k := len(s.eqs)
		s.eqs = append(s.eqs, members)
		for _, e := range members {
			if s.eqOf[e][0] < 0 {
				s.eqOf[e][0] = k
			} else {
				s.eqOf[e][1] = k
			}
		}
	}
	if t.RowTotals {
		for i := 0; i < R; i++ {
			m := make([]int, 0, C+1)
			for j := 0; j < C; j++ {
				m = append(m, i*C+j)
			}
			addEq(append(m, rowE(i)))
		}
	}
	if t.ColTotals {
		for j := 0; j < C; j++ {
			m := make([]int, 0, R+1)
			for i := 0; i < R; i++ {
				m = append(m, i*C+j)
			}
			addEq(append(m, colE(j)))
		}
	}
	if t.Grand {
		if t.ColTotals {
			m := make([]int, 0, C+1)
			for j := 0; j < C; j++ {
				m = append(m, colE(j))
			}
			addEq(append(m, grandE))
		}
		if t.RowTotals {
			m := make([]int, 0, R+1)
			for i := 0; i < R; i++ {
				m = append(m, rowE(i))
			}
			addEq(append(m, grandE))
		}
		if !t.RowTotals && !t.ColTotals {
			m := make([]int, 0, R*C+1)
			for e := 0; e < R*C; e++ {
				m = append(m, e)
			}
			addEq(append(m, grandE))
		}
	}
}

// better reports whether entry a is a better complementary suppression
// than b: non-zero cells, then non-zero totals, then zero cells, then zero
// totals; within each the smallest value, then the first.
func (s *suppressor) better(a, b int) bool {
	ra, rb := s.rank(a), s.rank(b)
	if ra != rb {
		return ra < rb
	}
	if s.val[a] != s.val[b] {
		return s.val[a] < s.val[b]
	}
	return a < b
}

func (s *suppressor) rank(e int) int {
	r := 0
	if s.margin[e] {
		r = 1
	}
	if s.val[e] == 0 {
		r += 2
	}
	return r
}

// fixLonely gives every equation with exactly one suppressed entry a
// second one, and reports whether it suppressed anything.
func (s *suppressor) fixLonely() bool {
	changed := false
	for _, eq := range s.eqs {
		n, best := 0, -1
		for _, e := range eq {
			if s.sup[e] {
				n++
			} else if s.pub[e] && (best < 0 || s.better(e, best)) {
				best = e
			}
		}
		if n == 1 && best >= 0 {
			s.sup[best] = true
			changed = true
		}
	}
	return changed
}

// ends returns the graph nodes an entry joins: its equations, with the
// ground node (len(eqs)) standing in for a missing second one. ok is false
// for an entry in no equation.
func (s *suppressor) ends(e int) (u, v int, ok bool) {
	u, v = s.eqOf[e][0], s.eqOf[e][1]
	if u < 0 {
		return 0, 0, false
	}
	if v < 0 {
		v = len(s.eqs)
	}
	return u, v, true
}

// fixBridge finds a suppressed entry whose value the published entries
// determine, suppresses another entry to close a cycle through it, and
// reports whether it did.
func (s *suppressor) fixBridge() bool {
	b := s.findBridge()
	if b < 0 {
		return false
	}
	u, v, _ := s.ends(b)
	side := s.sides(b, u, v)
	best := -1
	for e := range s.val {
		if s.sup[e] || !s.pub[e] {
			continue
		}
		a, c, ok := s.ends(e)
		if !ok {
			continue
		}
		if side[a] != 0 && side[c] != 0 && side[a] != side[c] && (best < 0 || s.better(e, best)) {
			best = e
		}
	}
	if best < 0 {
		// No entry joins the two sides: extend the chain from the bridge's
		// equations instead, and look again on the next round.
		for _, k := range []int{u, v} {
			if k == len(s.eqs) {
				continue
			}
			for _, e := range s.eqs[k] {
				if !s.sup[e] && s.pub[e] && (best < 0 || s.better(e, best)) {
					best = e
				}
			}
		}
	}
	if best < 0 {
		return false
	}
	s.sup[best] = true
	return true
}

// sides labels the nodes reachable from u without crossing bridge b with
// 1, and those reachable from v with 2 (0: neither).
func (s *suppressor) sides(b, u, v int) []int8 {
	adj := s.adjacency()
	side := make([]int8, len(s.eqs)+1)
	for label, start := range map[int8]int{1: u, 2: v} {
		stack := []int{start}
		side[start] = label
		for len(stack) > 0 {
			x := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, ed := range adj[x] {
				if ed.entry == b || side[ed.to] != 0 {
					continue
				}
				side[ed.to] = label
				stack = append(stack, ed.to)
			}
		}
	}
	return side
}

type edge struct{ to, entry int }

func (s *suppressor) adjacency() [][]edge {
	adj := make([][]edge, len(s.eqs)+1)
	for e, sup := range s.sup {
		if !sup {
			continue
		}
		u, v, ok := s.ends(e)
		if !ok {
			continue
		}
		adj[u] = append(adj[u], edge{v, e})
		adj[v] = append(adj[v], edge{u, e})
	}
	return adj
}

// findBridge returns a suppressed entry that is a bridge of the graph of
// suppressed entries (Tarjan's low-link, iteratively), or -1.
func (s *suppressor) findBridge() int {
	adj := s.adjacency()
	n := len(adj)
	disc := make([]int, n)
	low := make([]int, n)
	timer := 0
	type frame struct{ node, via, next int }
	for root := 0; root < n; root++ {
		if disc[root] != 0 || len(adj[root]) == 0 {
			continue
		}
		timer++
		disc[root], low[root] = timer, timer
		stack := []frame{{root, -1, 0}}
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.next < len(adj[f.node]) {
				ed := adj[f.node][f.next]
				f.next++
				if ed.entry == f.via {
					continue
				}
				if disc[ed.to] == 0 {
					timer++
					disc[ed.to], low[ed.to] = timer, timer
					stack = append(stack, frame{ed.to, ed.entry, 0})
				} else {
					low[f.node] = min(low[f.node], disc[ed.to])
				}
				continue
			}
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				p := stack[len(stack)-1].node
				low[p] = min(low[p], low[f.node])
				if low[f.node] > disc[p] {
					return f.via
				}
			}
		}
	}
	return -1
}

func (s *suppressor) result() *mask {
	R, C := s.t.R, s.t.C
	m := &mask{Cells: s.sup[:R*C], Rows: make([]bool, R), Cols: make([]bool, C), Primary: s.primary}
	for i := 0; i < R; i++ {
		m.Rows[i] = s.sup[R*C+i] && s.t.RowTotals
	}
	for j := 0; j < C; j++ {
		m.Cols[j] = s.sup[R*C+R+j] && s.t.ColTotals
	}
	m.Grand = s.sup[R*C+R+C] && s.t.Grand
	n := 0
	for e, sup := range s.sup {
		if sup && s.pub[e] {
			n++
		}
	}
	m.Secondary = n - s.primary
	return m
}

// noSuppression is the mask of a table published whole.
func noSuppression(t *table) *mask {
	return &mask{Cells: make([]bool, t.R*t.C), Rows: make([]bool, t.R), Cols: make([]bool, t.C)}
}

// sortedDesc returns the indexes of v by decreasing value, ties by index.
func sortedDesc(v []int64) []int {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] > v[idx[b]] })
	return idx
}
