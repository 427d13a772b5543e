package api

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/o211/o211"
	"github.com/o211/o211/node/hsds"
	"github.com/o211/o211/node/httpx"
	"github.com/o211/o211/node/tabular"
)

// The write API for resource specialists: one resource per HSDS table,
// /api/v1/{table} and /api/v1/{table}/{id}, taking and giving the table's
// flat rows (the columns of the HSDS tabular format). Nested objects are
// written through their own tables. Every change is made as the actor of
// the request's credential; /api/v1/{table}/{id}/history lists who changed
// the record, when, and what.

// Table is one HSDS table of the write API.
type Table struct {
	// Path is the table's name in URLs (/api/v1/{Path}).
	Path string
	Kind o211.Kind
}

// Tables returns the tables of the write API, each after the tables it
// refers to: the tables of the HSDS datapackage, except that
// service_at_location is named service_at_locations as in the HSDS API,
// and HSDS contacts (contact people of organizations and services) are
// contact_persons: /api/v1/contacts is the node's record of 211 contacts
// (package node/contacts).
func Tables() []Table {
	var out []Table
	for _, ki := range o211.Kinds() {
		path := ki.Table
		switch ki.Kind {
		case o211.KindServiceAtLocation:
			path = "service_at_locations"
		case o211.KindContact:
			path = "contact_persons"
		}
		out = append(out, Table{Path: path, Kind: ki.Kind})
	}
	return out
}

// RecordResponse is a row of the write API with what the store keeps
// around it. Its version is also the response's ETag.
type RecordResponse struct {
	Kind         o211.Kind       `json:"kind"`
	ID           string          `json:"id"`
	Region       string          `json:"region"`
	Version      uint64          `json:"version"`
	LastModified string          `json:"last_modified"`
	Data         json.RawMessage `json:"data"`
	// Warnings lists references to records this directory does not hold
	// (allowed by HSDS; the row was written).
	Warnings []o211.InputProblem `json:"warnings,omitempty"`
}

// Routes mounts the table resources under /api/v1/ and the import, behind
// the credential check (httpx.Require); without a Writer or an Importer
// they answer 501.
func (s *Write) Routes(r chi.Router) {
	s.routesWrite(r)
	s.routesImport(r)
}

// routesWrite mounts the table resources.
func (s *Write) routesWrite(r chi.Router) {
	for _, t := range Tables() {
		r.Route("/api/v1/"+t.Path, func(r chi.Router) {
			if s.cfg.Writer == nil {
				r.HandleFunc("/", s.writeUnavailable)
				r.HandleFunc("/{id}", s.writeUnavailable)
				return
			}
			r.Use(httpx.Require(o211.DirectoryRoles...), s.limitBody(s.cfg.MaxBodyBytes))
			r.Post("/", s.createRecord(t))
			r.Get("/{id}", s.getRecord(t))
			r.Get("/{id}/history", s.recordHistory(t))
			r.Put("/{id}", s.replaceRecord(t))
			r.Delete("/{id}", s.deleteRecord(t))
		})
	}
}

// writeUnavailable answers the write routes of a read-only server.
func (s *Write) writeUnavailable(w http.ResponseWriter, r *http.Request) {
	s.writeProblem(w, r, o211.Errorf(o211.ENOTIMPLEMENTED, "This server is read-only: it does not take changes to the directory."))
}

// limitBody caps request bodies at n bytes; reading past it fails with
// *http.MaxBytesError, answered 413.
func (s *Write) limitBody(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > n {
				s.writeProblem(w, r, tooLarge(n))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, n)
			next.ServeHTTP(w, r)
		})
	}
}

// tooLarge is the ETOOLARGE error of a body over n bytes.
func tooLarge(n int64) error {
	return o211.Errorf(o211.ETOOLARGE, "The request body is larger than the %s allowed.", byteSize(n))
}

// byteSize formats n bytes for people.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// decodeRow reads a flat row of table t from the body. Malformed JSON is
// an EINVALID error (400); fields that are not columns of the table are
// reported by name as unprocessable (422).
func decodeRow(r *http.Request, t Table) (o211.Object, error) {
	body, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, tooLarge(mbe.Limit)
	} else if err != nil {
		return nil, o211.Errorf(o211.EINVALID, "The request body could not be read.")
	}
	if err := httpx.CheckUTF8(body); err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, o211.Errorf(o211.EINVALID, "The body must be a JSON object (a %s row): %s", t.Kind, jsonProblem(err))
	}
	cols := tabular.Columns(t.Kind)
	var problems []o211.InputProblem
	for name := range fields {
		if !slices.Contains(cols, name) {
			problems = append(problems, o211.InputProblem{Field: httpx.Prefix(name), Reason: fmt.Sprintf("is not a column of %s; nested records are written through their own tables", t.Path)})
		}
	}
	ki, _ := o211.LookupKind(t.Kind)
	obj := ki.New()
	if err := json.Unmarshal(body, obj); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			problems = append(problems, o211.InputProblem{Field: ute.Field, Reason: "must be a JSON " + jsonType(ute.Type.String())})
		} else {
			return nil, o211.Errorf(o211.EINVALID, "The body is not valid JSON: %s", jsonProblem(err))
		}
	}
	if len(problems) > 0 {
		slices.SortFunc(problems, func(a, b o211.InputProblem) int { return strings.Compare(a.Field, b.Field) })
		return nil, httpx.Unprocessable(&o211.Error{Code: o211.EINVALID, Field: problems[0].Field,
			Message: problems[0].Field + ": " + problems[0].Reason, Problems: problems})
	}
	return obj, nil
}

// jsonType names the JSON type of a Go type in an unmarshalling error.
func jsonType(goType string) string {
	switch {
	case strings.Contains(goType, "float"):
		return "number"
	case goType == "string":
		return "string"
	}
	return "value of another type"
}

// jsonProblem says what is wrong with a JSON text, without Go type names.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at byte %d)", se.Error(), se.Offset)
	}
	return "it is not an object"
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// etag returns the entity tag of a record version.
func etag(version uint64) string { return `"` + strconv.FormatUint(version, 10) + `"` }

// ifMatch reports whether the If-Match header, if any, holds the version
// of the current record (nil when there is none). "*" matches any record;
// a bare version number is taken as its tag.
func ifMatch(r *http.Request, cur *o211.Record) bool {
	h := r.Header.Get("If-Match")
	if h == "" {
		return true
	}
	if cur == nil {
		return false
	}
	for _, tag := range strings.Split(h, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || tag == etag(cur.Version) || tag == strconv.FormatUint(cur.Version, 10) {
			return true
		}
	}
	return false
}

// preconditionFailed answers a failed If-Match.
func (s *Write) preconditionFailed(w http.ResponseWriter, r *http.Request, cur *o211.Record) {
	detail := "The record does not exist, so it cannot match If-Match."
	if cur != nil {
		w.Header().Set("ETag", etag(cur.Version))
		detail = fmt.Sprintf("The record has changed: it is at version %d, not the one given in If-Match.", cur.Version)
	}
	st := http.StatusPreconditionFailed
	p := httpx.ProblemFor(r, o211.Errorf(o211.ECONFLICT, "%s", detail))
	p.Status, p.Title = st, httpx.StatusText(st)
	httpx.WriteProblem(w, p)
}

// current returns the live record kind/id, or nil when there is none.
func (s *Write) current(kind o211.Kind, id string) (*o211.Record, error) {
	var rec *o211.Record
	err := s.cfg.Viewer.View(func(tx hsds.Tx) error {
		var err error
		rec, err = tx.Get(kind, id)
		if o211.ErrorCode(err) == o211.ENOTFOUND {
			rec, err = nil, nil
		}
		return err
	})
	return rec, err
}

// writeRecord answers with the record as stored, its ETag and status.
func (s *Write) writeRecord(w http.ResponseWriter, status int, rec *o211.Record, warnings []o211.InputProblem) {
	w.Header().Set("ETag", etag(rec.Version))
	writeJSON(w, status, RecordResponse{Kind: rec.Kind, ID: rec.ID, Region: rec.Region, Version: rec.Version,
		LastModified: hsds.Timestamp(rec.Modified), Data: rec.Data, Warnings: warnings})
}

// getRecord answers GET /api/v1/{table}/{id}.
func (s *Write) getRecord(t Table) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec, err := s.current(t.Kind, pathID(r))
		if err == nil && rec == nil {
			err = o211.Errorf(o211.ENOTFOUND, "%s %q not found", t.Kind, httpx.Prefix(pathID(r)))
		}
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		s.writeRecord(w, http.StatusOK, rec, nil)
	}
}

// createRecord answers POST /api/v1/{table}: the row is created with its
// id, or a new UUID when it has none; 409 when the id is taken.
func (s *Write) createRecord(t Table) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		obj, err := decodeRow(r, t)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		if obj.ObjectID() == "" {
			obj.SetObjectID(newUUID())
		}
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
		cur, err := s.current(t.Kind, obj.ObjectID())
		if err == nil && cur != nil {
			err = o211.Errorf(o211.ECONFLICT, "%s %q already exists; replace it with PUT %s/%s", t.Kind, httpx.Prefix(obj.ObjectID()), r.URL.Path, httpx.Prefix(obj.ObjectID()))
		}
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		rec, warnings, err := s.put(r, obj)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		w.Header().Set("Location", strings.TrimSuffix(r.URL.Path, "/")+"/"+rec.ID)
		s.writeRecord(w, http.StatusCreated, rec, warnings)
	}
}

// replaceRecord answers PUT /api/v1/{table}/{id}: the row replaces the
// stored one (or is created: 201). The id in the path wins; a different
// id in the body is a 400. If-Match, when given, must hold the version.
func (s *Write) replaceRecord(t Table) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := pathID(r)
		obj, err := decodeRow(r, t)
		if err == nil && obj.ObjectID() != "" && obj.ObjectID() != id {
			err = o211.FieldErrorf("id", "%q in the body is not %q of the path", httpx.Prefix(obj.ObjectID()), httpx.Prefix(id))
		}
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		obj.SetObjectID(id)
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
		cur, err := s.current(t.Kind, id)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		if !ifMatch(r, cur) {
			s.preconditionFailed(w, r, cur)
			return
		}
		rec, warnings, err := s.put(r, obj)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		status := http.StatusOK
		if cur == nil {
			status = http.StatusCreated
			w.Header().Set("Location", r.URL.Path)
		}
		s.writeRecord(w, status, rec, warnings)
	}
}

// put writes obj and returns it as stored, with the write's warnings.
// Rejections of the row are unprocessable (422).
func (s *Write) put(r *http.Request, obj o211.Object) (*o211.Record, []o211.InputProblem, error) {
	res, err := s.cfg.Writer.Write(r.Context(), []o211.Change{o211.Upsert(obj)}, o211.WriteOptions{})
	if err != nil {
		if o211.ErrorCode(err) == o211.EINVALID {
			err = httpx.Unprocessable(err)
		}
		return nil, nil, err
	}
	var warnings []o211.InputProblem
	for _, w := range res.Warnings {
		warnings = append(warnings, o211.InputProblem{Field: w.Field, Reason: w.Reason})
	}
	rec, err := s.current(obj.ObjectKind(), obj.ObjectID())
	if err == nil && rec == nil {
		err = fmt.Errorf("api: %s %q not found after writing it", obj.ObjectKind(), obj.ObjectID())
	}
	return rec, warnings, err
}

// deleteRecord answers DELETE /api/v1/{table}/{id}: 204, 404 when there is
// no such record, 409 when other records still use it. The rows that
// belong to a service, location or service_at_location go with it.
func (s *Write) deleteRecord(t Table) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := pathID(r)
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
		if r.Header.Get("If-Match") != "" {
			cur, err := s.current(t.Kind, id)
			if err != nil {
				s.writeProblem(w, r, err)
				return
			}
			if !ifMatch(r, cur) {
				s.preconditionFailed(w, r, cur)
				return
			}
		}
		if _, err := s.cfg.Writer.Write(r.Context(), []o211.Change{o211.Delete(t.Kind, id)}, o211.WriteOptions{}); err != nil {
			s.writeProblem(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}
