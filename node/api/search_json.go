package api

import (
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/o211/o211"
)

// Search answers are the hottest path of a node, so they are encoded by
// hand instead of through reflection: the same JSON as encoding/json gives
// for o211.Results (a test checks they agree), in a pooled buffer.

var resultBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// writeResults writes a search answer with status 200.
func writeResults(w http.ResponseWriter, res *o211.Results) {
	bp := resultBufs.Get().(*[]byte)
	b := appendResults((*bp)[:0], res)
	b = append(b, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	*bp = b
	resultBufs.Put(bp)
}

func appendResults(b []byte, res *o211.Results) []byte {
	b = append(b, `{"total":`...)
	b = strconv.AppendInt(b, int64(res.Total), 10)
	b = append(b, `,"page":`...)
	b = strconv.AppendInt(b, int64(res.Page), 10)
	b = append(b, `,"per_page":`...)
	b = strconv.AppendInt(b, int64(res.PerPage), 10)
	b = append(b, `,"results":`...)
	if res.Results == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range res.Results {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendResult(b, &res.Results[i])
		}
		b = append(b, ']')
	}
	b = append(b, `,"facets":{"taxonomy":`...)
	if res.Facets.Taxonomy == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, f := range res.Facets.Taxonomy {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"code":`...)
			b = appendString(b, f.Code)
			b = append(b, `,"name":`...)
			b = appendString(b, f.Name)
			if f.NameF != "" {
				b = append(b, `,"name_fr":`...)
				b = appendString(b, f.NameF)
			}
			b = append(b, `,"count":`...)
			b = strconv.AppendInt(b, int64(f.Count), 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, "}}"...)
}

func appendResult(b []byte, r *o211.Result) []byte {
	b = append(b, `{"service_id":`...)
	b = appendString(b, r.ServiceID)
	b = append(b, `,"service_name":`...)
	b = appendString(b, r.ServiceName)
	b = appendOpt(b, "organization_id", r.OrganizationID)
	b = append(b, `,"organization_name":`...)
	b = appendString(b, r.OrganizationName)
	b = appendOpt(b, "location_id", r.LocationID)
	b = appendOpt(b, "service_at_location_id", r.ServiceAtLocationID)
	b = appendOpt(b, "location_name", r.LocationName)
	b = appendOpt(b, "address", r.Address)
	if r.DistanceKm != nil {
		b = append(b, `,"distance_km":`...)
		b = appendFloat(b, *r.DistanceKm)
	}
	b = append(b, `,"region":`...)
	b = appendString(b, r.Region)
	b = append(b, `,"score":`...)
	b = appendFloat(b, r.Score)
	b = appendOpt(b, "record_language", r.Language)
	if len(r.Taxonomy) > 0 {
		b = append(b, `,"taxonomy":[`...)
		for i, c := range r.Taxonomy {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, c)
		}
		b = append(b, ']')
	}
	b = appendOpt(b, "phone", r.Phone)
	if r.OpenNow != nil {
		b = append(b, `,"open":`...)
		b = strconv.AppendBool(b, *r.OpenNow)
	}
	b = appendOpt(b, "status", r.Status)
	if c := r.Closure; c != nil {
		b = append(b, `,"closure":{"until":`...)
		b = appendString(b, c.Until)
		b = appendOpt(b, "message_en", c.En)
		b = appendOpt(b, "message_fr", c.Fr)
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendOpt appends ,"name":"v" unless v is empty (omitempty).
func appendOpt(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendString(b, v)
}

// appendFloat formats a float64 as encoding/json does.
func appendFloat(b []byte, f float64) []byte {
	abs := f
	if abs < 0 {
		abs = -abs
	}
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // 1e-09 is written 1e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as encoding/json does
// (HTML characters too; invalid UTF-8 becomes U+FFFD).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
