package fsm

import (
	"math"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/o211/o211"
	"github.com/o211/o211/node/store"
)

// plan gathers the writes of the commands of one ApplyBatch call, which are
// then made in one store transaction. Commands are planned in log order
// against the committed state seen through tx plus the writes planned
// before them (the overlay), so the outcome is the same as applying them
// one at a time. A command that fails plans no write at all.
type plan struct {
	tx      *store.Tx
	overlay map[string][]byte // table|key -> value planned (nil: deleted)
	records map[recKey]recState
	recs    []*o211.Record
	aux     []store.Aux
	// reports are the report records counted by the plan.
	reports []*o211.Report
}

type recKey struct {
	kind o211.Kind
	id   string
}

type recState struct {
	region  string
	version uint64
}

func newPlan(tx *store.Tx) *plan {
	return &plan{tx: tx, overlay: map[string][]byte{}, records: map[recKey]recState{}}
}

func overlayKey(table string, key []byte) string { return table + "\x00" + string(key) }

// get reads a side-table value as it stands after the writes planned so far.
func (p *plan) get(table string, key []byte) []byte {
	if v, ok := p.overlay[overlayKey(table, key)]; ok {
		return v
	}
	return p.tx.AuxGet(table, key)
}

// put plans a side-table write (nil value: a deletion).
func (p *plan) put(table string, key, value []byte) {
	p.overlay[overlayKey(table, key)] = value
	p.aux = append(p.aux, store.Aux{Bucket: table, Key: key, Value: value})
}

// empty reports whether the plan writes nothing.
func (p *plan) empty() bool { return len(p.recs) == 0 && len(p.aux) == 0 }

// command plans one log entry and returns its response.
func (p *plan) command(data []byte) *Response {
	c, err := DecodeCommand(data)
	if err != nil {
		return &Response{Err: err}
	}
	switch c.Type {
	case CmdPutRegion:
		return p.putRegion(c)
	case CmdIngestBatch, CmdIngestBatchBin:
		return p.ingest(c)
	case CmdIngestGroup:
		return p.ingestGroup(c)
	case CmdSetMember:
		return p.setMember(c)
	case CmdDeleteMember:
		return p.deleteMember(c)
	case CmdPutUser:
		return p.putUser(c)
	case CmdPutToken:
		return p.putToken(c)
	case CmdDeleteToken:
		return p.deleteToken(c)
	default:
		return &Response{Err: o211.Errorf(o211.EINVALID, "unknown command type %q", c.Type)}
	}
}

func (p *plan) putRegion(c *Command) *Response {
	var pr PutRegion
	if err := c.decodePayload(&pr); err != nil {
		return &Response{Err: err}
	}
	if err := ValidateRegion(&pr.Region); err != nil {
		return &Response{Err: err}
	}
	old, err := findRegion(p.get, pr.Region.ID)
	if err != nil {
		return &Response{Err: err}
	}
	e := &regionEntry{V: entryVersion, Region: pr.Region, Registered: c.At, Updated: c.At}
	if old != nil {
		e.Registered = old.Registered
		if old.Region == pr.Region {
			e.Updated = old.Updated
		}
	}
	p.put(tableRegions, []byte(pr.Region.ID), encodeEntry(e))
	mark, err := findMark(p.get, pr.Region.ID)
	if err != nil {
		return &Response{Err: err}
	}
	r := &Region{Region: e.Region, Registered: e.Registered, Updated: e.Updated, Mark: mark.Seq}
	if mark.Seq > 0 {
		at := mark.At
		r.Ingested = &at
	}
	return &Response{Value: r}
}

func (p *plan) ingest(c *Command) *Response {
	b, err := decodeBatch(c)
	if err != nil {
		return &Response{Err: err}
	}
	return p.ingestBatch(b, c.At)
}

// ingestBatch plans a checked batch of a command stamped at.
func (p *plan) ingestBatch(b *IngestBatch, at time.Time) *Response {
	if reg, err := findRegion(p.get, b.Region); err != nil {
		return &Response{Err: err}
	} else if reg == nil {
		return &Response{Err: o211.Errorf(o211.ENOTFOUND, "region %q is not registered with the hub; register it first (PUT /api/v1/regions/%s)", b.Region, b.Region)}
	}
	mark, err := findMark(p.get, b.Region)
	if err != nil {
		return &Response{Err: err}
	}
	res := &IngestResult{Region: b.Region, Mark: mark.Seq, At: at}
	if b.ToSeq <= mark.Seq {
		res.Skipped = true
		return &Response{Value: res}
	}
	if b.FromSeq > mark.Seq+1 {
		return &Response{Value: res, Err: o211.Errorf(o211.ECONFLICT,
			"batch %d-%d of region %q leaves a gap: the hub holds up to %d; send from %d", b.FromSeq, b.ToSeq, b.Region, mark.Seq, mark.Seq+1)}
	}
	if err := p.ingestRecords(b, res); err != nil {
		return &Response{Err: err}
	}
	p.put(tableMarks, []byte(b.Region), encodeEntry(&markEntry{V: entryVersion, Seq: b.ToSeq, At: at}))
	if err := p.noteConflicts(b.Region, res.Conflicts, at); err != nil {
		return &Response{Err: err}
	}
	res.Mark = b.ToSeq
	return &Response{Value: res}
}

// noteConflicts counts the batch's conflicts in the region's entry and
// keeps the newest (the batch's in reverse order, then the older ones).
func (p *plan) noteConflicts(region string, cs []Conflict, at time.Time) error {
	if len(cs) == 0 {
		return nil
	}
	e, err := findConflicts(p.get, region)
	if err != nil {
		return err
	}
	latest := make([]ConflictSeen, 0, latestConflicts)
	for i := len(cs) - 1; i >= 0 && len(latest) < latestConflicts; i-- {
		latest = append(latest, ConflictSeen{Kind: cs[i].Kind, ID: cs[i].ID, Owner: cs[i].Owner, At: at})
	}
	for _, x := range e.Latest {
		if len(latest) == latestConflicts {
			break
		}
		latest = append(latest, x)
	}
	e.Count += uint64(len(cs))
	e.Latest = latest
	p.put(tableConflicts, []byte(region), encodeEntry(e))
	return nil
}

// decodeBatch decodes and checks the batch of an ingest command, in its
// JSON or its binary form.
func decodeBatch(c *Command) (*IngestBatch, error) {
	b := new(IngestBatch)
	if c.Type == CmdIngestBatchBin {
		bb, err := decodeIngestBatch(c.Payload)
		if err != nil {
			return nil, err
		}
		b = bb
	} else if err := c.decodePayload(b); err != nil {
		return nil, err
	}
	if err := validateBatch(b, false); err != nil {
		return nil, err
	}
	return b, nil
}

// ingestRecords plans the records of batch b that the state takes (newer
// versions of records the region owns, report records not seen before)
// and counts in res those it applies, skips as stale or shared, or refuses
// as another region's.
func (p *plan) ingestRecords(b *IngestBatch, res *IngestResult) error {
	local := map[recKey]recState{}
	var recs []*o211.Record
	var reps []*preparedReport
	seen := map[string]bool{}
	for _, r := range b.Records {
		if r.Kind == o211.KindReport {
			pr, err := p.prepareReport(r)
			if err != nil {
				return err
			}
			if pr == nil || seen[r.ID] {
				res.Stale++
				continue
			}
			seen[r.ID] = true
			reps = append(reps, pr)
			res.Reports++
			continue
		}
		k := recKey{r.Kind, r.ID}
		cur, err := p.recordState(local, k)
		if err != nil {
			return err
		}
		switch {
		case cur.region != "" && cur.region != b.Region && o211.Shared(r.Kind):
			res.Shared++
		case cur.region != "" && cur.region != b.Region:
			res.Conflicts = append(res.Conflicts, Conflict{Kind: r.Kind, ID: r.ID, Owner: cur.region})
		case cur.version >= r.Version:
			res.Stale++
		default:
			local[k] = recState{region: b.Region, version: r.Version}
			recs = append(recs, r)
			res.Applied++
		}
	}
	for k, v := range local {
		p.records[k] = v
	}
	p.recs = append(p.recs, recs...)
	for _, pr := range reps {
		p.countReport(pr)
	}
	return nil
}

// recordState returns the owner and version of record k as planned so far:
// in this command, in an earlier command of the batch, or in the store.
func (p *plan) recordState(local map[recKey]recState, k recKey) (recState, error) {
	if s, ok := local[k]; ok {
		return s, nil
	}
	if s, ok := p.records[k]; ok {
		return s, nil
	}
	old, err := p.tx.GetAny(k.kind, k.id)
	if err != nil || old == nil {
		return recState{}, err
	}
	return recState{region: old.Region, version: old.Version}, nil
}

func (p *plan) setMember(c *Command) *Response {
	var m Member
	if err := c.decodePayload(&m); err != nil {
		return &Response{Err: err}
	}
	if err := ValidateMember(&m); err != nil {
		return &Response{Err: err}
	}
	old, err := findMember(p.get, m.ID)
	if err != nil {
		return &Response{Err: err}
	}
	m.Updated = c.At
	if old != nil && old.Raft == m.Raft && old.HTTP == m.HTTP && old.Reads == m.Reads {
		m.Updated = old.Updated
	}
	p.put(tableMembers, []byte(m.ID), encodeEntry(&memberEntry{V: entryVersion, Raft: m.Raft, HTTP: m.HTTP, Updated: m.Updated, Reads: m.Reads}))
	return &Response{Value: &m}
}

func (p *plan) deleteMember(c *Command) *Response {
	var d DeleteMember
	if err := c.decodePayload(&d); err != nil {
		return &Response{Err: err}
	}
	if !ValidServerID(d.ID) {
		return &Response{Err: o211.FieldErrorf("id", "%q is not a valid replica id", d.ID)}
	}
	if p.get(tableMembers, []byte(d.ID)) != nil {
		p.put(tableMembers, []byte(d.ID), nil)
	}
	return &Response{}
}

// ValidateRegion returns an EINVALID error naming the first field of r that
// the registry does not accept, or nil. It trims the name and city.
func ValidateRegion(r *o211.Region) error {
	r.Name, r.City = strings.TrimSpace(r.Name), strings.TrimSpace(r.City)
	switch {
	case !o211.ValidRegionID(r.ID):
		return o211.FieldErrorf("id", "%q is not a valid region id: use 1 to 63 lower-case letters, digits and hyphens, starting with a letter", r.ID)
	case r.Name == "":
		return o211.FieldErrorf("name", "a region needs a name")
	case len(r.Name) > 200:
		return o211.FieldErrorf("name", "at most 200 characters")
	case len(r.City) > 200:
		return o211.FieldErrorf("city", "at most 200 characters")
	case math.IsNaN(r.Lat) || r.Lat < -90 || r.Lat > 90:
		return o211.FieldErrorf("lat", "latitude must be between -90 and 90")
	case math.IsNaN(r.Lon) || r.Lon < -180 || r.Lon > 180:
		return o211.FieldErrorf("lon", "longitude must be between -180 and 180")
	}
	return nil
}

// ValidateBatch returns an EINVALID error (EFORBIDDEN for a record of
// another region) describing the first problem of b, or nil. The leader
// checks a batch with it before proposing it. Apply checks it again,
// leaving the decoding of the rows to the store, which refuses the whole
// command if one does not decode.
func ValidateBatch(b *IngestBatch) error { return validateBatch(b, true) }

func validateBatch(b *IngestBatch, rows bool) error {
	switch {
	case !o211.ValidRegionID(b.Region):
		return o211.FieldErrorf("region", "%q is not a valid region id", b.Region)
	case b.FromSeq == 0:
		return o211.FieldErrorf("from_seq", "sequence numbers start at 1")
	case b.ToSeq < b.FromSeq:
		return o211.FieldErrorf("to_seq", "%d is before from_seq %d", b.ToSeq, b.FromSeq)
	}
	for i, r := range b.Records {
		if err := validateRecord(b.Region, r, rows); err != nil {
			return &o211.Error{Code: o211.ErrorCode(err), Field: "records[" + strconv.Itoa(i) + "]",
				Message: "records[" + strconv.Itoa(i) + "]: " + o211.ErrorMessage(err)}
		}
	}
	return nil
}

// validateRecord checks what the replica store checks, so that a planned
// batch fails in the store only for a row that does not decode (rows:
// decode it here too).
func validateRecord(region string, r *o211.Record, rows bool) error {
	if r == nil {
		return o211.Errorf(o211.EINVALID, "missing record")
	}
	if r.Region != region {
		return o211.Errorf(o211.EFORBIDDEN, "%s %q belongs to region %q, not to %q", r.Kind, r.ID, r.Region, region)
	}
	if _, ok := o211.LookupRecordKind(r.Kind); !ok {
		return o211.Errorf(o211.EINVALID, "unknown record kind %q", r.Kind)
	}
	if err := o211.ValidID("id", r.ID); err != nil {
		return err
	}
	if r.Version == 0 {
		return o211.Errorf(o211.EINVALID, "%s %q: version 0", r.Kind, r.ID)
	}
	if rows && !r.Deleted {
		if _, err := r.Decode(); err != nil {
			return err
		}
	}
	return nil
}

var serverIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// ValidServerID reports whether id can name a hub replica: 1 to 63 letters,
// digits, dots, hyphens and underscores, starting with a letter or digit.
func ValidServerID(id string) bool { return serverIDPattern.MatchString(id) }

// ValidateMember returns an EINVALID error naming the first field of m that
// is not usable, or nil. HTTP may be empty (not known yet).
func ValidateMember(m *Member) error {
	if !ValidServerID(m.ID) {
		return o211.FieldErrorf("id", "%q is not a valid replica id: use letters, digits, '.', '-' and '_'", m.ID)
	}
	if err := ValidateHostPort(m.Raft); err != nil {
		return o211.FieldErrorf("raft", "%v", err)
	}
	if m.HTTP != "" {
		if err := ValidateHostPort(m.HTTP); err != nil {
			return o211.FieldErrorf("http", "%v", err)
		}
	}
	return nil
}

// ValidateHostPort returns an error unless addr is host:port with a host
// and a port number another machine can dial.
func ValidateHostPort(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return o211.Errorf(o211.EINVALID, "%q is not host:port", addr)
	}
	if host == "" {
		return o211.Errorf(o211.EINVALID, "%q has no host", addr)
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return o211.Errorf(o211.EINVALID, "%q is not an address others can reach (%s means any)", addr, host)
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return o211.Errorf(o211.EINVALID, "%q has no valid port", addr)
	}
	return nil
}
