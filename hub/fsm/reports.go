package fsm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/o211/o211"
	"github.com/o211/o211/node/report"
)

// Anonymised report records are not kept in the provincial directory: the
// hub counts them. Two side tables hold what they add to the state:
//
//	reports/<region>|<id>   -> day number (int32 BE): the reports counted,
//	                           so that a report is never counted twice
//	aggregates/<cell key>   -> uint64 BE count, uint64 BE key sum
//
// A cell key is day(int32 BE) type(1) then, separated by 0x00: region, FSA,
// code, met ("1" or "0"), reason, channel, age band, language, emergency.
// Its type is one of:
//
//	'c'  a contact (code ""): one per report;
//	'n'  a need at its own code (the service term of the need's code).
//
// Needs are counted at their own code only. Every level of the taxonomy is
// derived from them when read ("BD" is the sum of the needs coded "BD" or
// below it): node/report's cube maps each code to its ancestors once.
// Storing a roll-up row per level as well tripled the state (51 MB against
// 17 MB for a month of a province's contacts; BENCHMARKS.md) for counts
// that are a sum away.
//
// Keys start with the day so that a period is one range of the table.
//
// The key sum is the sum, modulo 2^64, of report.RecordKey of the id of
// every report counted in the cell: the cell key of node/report's cell-key
// perturbation, so that the hub's reports give the same records the same
// noise as the region's own. It is a function of the ids in the command,
// so Apply stays deterministic. A value of 8 bytes (a state written before
// key sums) reads as key sum 0.
const (
	tableReports    = "reports"
	tableAggregates = "aggregates"
)

// Cell types of aggregate keys.
const (
	CellContact byte = 'c'
	CellNeed    byte = 'n'
)

// reportCells returns the aggregate cells one report adds: its contact
// cell and its need cells.
func reportCells(r *o211.Report) ([]aggCell, error) {
	cells, err := report.Cells(r)
	if err != nil {
		return nil, err
	}
	out := make([]aggCell, len(cells))
	for i, c := range cells {
		out[i] = aggCell{typ: CellNeed, cell: c}
		if c.Code == "" {
			out[i].typ = CellContact
		}
	}
	return out, nil
}

type aggCell struct {
	typ  byte
	cell report.Cell
}

// encodeCellKey and decodeCellKey are the codec pair of aggregate keys.
func encodeCellKey(typ byte, c report.Cell) []byte {
	met := "0"
	if c.Met {
		met = "1"
	}
	b := make([]byte, 5, 64)
	binary.BigEndian.PutUint32(b, uint32(c.Day))
	b[4] = typ
	for i, s := range []string{c.Region, c.FSA, c.Code, met, string(c.Reason), string(c.Channel), string(c.AgeBand), c.Language, c.Emergency} {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, s...)
	}
	return b
}

func decodeCellKey(k []byte) (byte, report.Cell, error) {
	if len(k) < 5 {
		return 0, report.Cell{}, fmt.Errorf("fsm: corrupt aggregate key %q", k)
	}
	parts := bytes.Split(k[5:], []byte{0})
	if len(parts) != 9 {
		return 0, report.Cell{}, fmt.Errorf("fsm: corrupt aggregate key %q", k)
	}
	s := func(i int) string { return string(parts[i]) }
	return k[4], report.Cell{Day: int32(binary.BigEndian.Uint32(k)), Region: s(0), FSA: s(1), Code: s(2), Met: s(3) == "1",
		Reason: o211.UnmetReason(s(4)), Channel: o211.Channel(s(5)), AgeBand: o211.AgeBand(s(6)), Language: s(7), Emergency: s(8)}, nil
}

func reportKey(region, id string) []byte { return []byte(region + "\x00" + id) }

// preparedReport is a report record of a batch, checked and broken into
// its aggregate cells, not yet counted.
type preparedReport struct {
	key   []byte
	rep   *o211.Report
	cells []aggCell
}

// prepareReport checks report record r of a batch and breaks it into its
// cells; it returns nil when the hub counted the report before. It plans no
// write, so that a command failing later in the batch writes nothing.
func (p *plan) prepareReport(r *o211.Record) (*preparedReport, error) {
	if r.Deleted {
		return nil, o211.Errorf(o211.EINVALID, "report %q: a report cannot be deleted", r.ID)
	}
	key := reportKey(r.Region, r.ID)
	if p.get(tableReports, key) != nil {
		return nil, nil
	}
	obj, err := r.Decode()
	if err != nil {
		return nil, err
	}
	rep := obj.(*o211.Report)
	if rep.ID != r.ID || rep.Region != r.Region {
		return nil, o211.Errorf(o211.EINVALID, "report %q of region %q carries id %q and region %q", r.ID, r.Region, rep.ID, rep.Region)
	}
	if err := rep.Validate(); err != nil {
		return nil, o211.Errorf(o211.EINVALID, "report %q: %s", r.ID, o211.ErrorMessage(err))
	}
	cells, err := reportCells(rep)
	if err != nil {
		return nil, o211.Errorf(o211.EINVALID, "report %q: %v", r.ID, err)
	}
	return &preparedReport{key: key, rep: rep, cells: cells}, nil
}

// countReport plans the counting of a prepared report: its marker and one
// more in each of its cells.
func (p *plan) countReport(pr *preparedReport) {
	day := make([]byte, 4)
	binary.BigEndian.PutUint32(day, uint32(pr.cells[0].cell.Day))
	p.put(tableReports, pr.key, day)
	rk := report.RecordKey(pr.rep.ID)
	for _, c := range pr.cells {
		k := encodeCellKey(c.typ, c.cell)
		n, ks, _ := decodeAggregate(p.get(tableAggregates, k))
		v := make([]byte, 16)
		binary.BigEndian.PutUint64(v, n+1)
		binary.BigEndian.PutUint64(v[8:], ks+rk)
		p.put(tableAggregates, k, v)
	}
	p.reports = append(p.reports, pr.rep)
}

// decodeAggregate returns the count and key sum of an aggregate value
// (nil: none), and false when the value is corrupt.
func decodeAggregate(v []byte) (n, keys uint64, ok bool) {
	switch len(v) {
	case 0:
		return 0, 0, true
	case 8:
		return binary.BigEndian.Uint64(v), 0, true
	case 16:
		return binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:]), true
	}
	return 0, 0, false
}

// Aggregates calls fn for every aggregate cell of the given type (0: all)
// with its count, in key order (by day), until fn returns an error.
func (s *State) Aggregates(typ byte, fn func(typ byte, c report.Cell, n uint64) error) error {
	return s.aggregates(typ, func(t byte, c report.Cell, n, _ uint64) error { return fn(t, c, n) })
}

// aggregates is Aggregates with each cell's key sum.
func (s *State) aggregates(typ byte, fn func(typ byte, c report.Cell, n, keys uint64) error) error {
	return s.tx.AuxScan(tableAggregates, nil, func(k, v []byte) error {
		t, c, err := decodeCellKey(k)
		if err != nil {
			return err
		}
		if typ != 0 && t != typ {
			return nil
		}
		n, keys, ok := decodeAggregate(v)
		if !ok {
			return fmt.Errorf("fsm: corrupt aggregate count for %q", k)
		}
		return fn(t, c, n, keys)
	})
}

// LoadCube adds every contact and need cell of the state to cube, with
// their key sums, from which any report is computed at any level of the
// taxonomy.
func (s *State) LoadCube(cube *report.Cube) error {
	return s.aggregates(0, func(_ byte, c report.Cell, n, keys uint64) error {
		cube.AddCellKeys(c, int64(n), keys)
		return nil
	})
}

// ReportCount returns how many report records the hub has counted, in all
// and per region.
func (s *State) ReportCount() (total int, byRegion map[string]int, err error) {
	byRegion = map[string]int{}
	err = s.tx.AuxScan(tableReports, nil, func(k, _ []byte) error {
		region, _, _ := strings.Cut(string(k), "\x00")
		byRegion[region]++
		total++
		return nil
	})
	return total, byRegion, err
}

// HasReport reports whether the hub has counted report id of region.
func (s *State) HasReport(region, id string) bool {
	return s.get(tableReports, reportKey(region, id)) != nil
}
