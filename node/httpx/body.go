package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/o211/o211"
)

// ReadJSON reads a request body of at most limit bytes and decodes it
// into v strictly (see DecodeJSON). It is the one JSON body reader of
// the node's APIs.
func ReadJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	b, err := ReadBody(w, r, limit)
	if err != nil {
		return err
	}
	return DecodeJSON(b, v)
}

// ReadOptionalJSON is ReadJSON for endpoints whose body may be left
// out: an empty body (or one of white space) leaves v as it is.
func ReadOptionalJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	b, err := ReadBody(w, r, limit)
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return err
	}
	return DecodeJSON(b, v)
}

// ReadBody reads a request body of at most limit bytes: a larger one is
// an ETOOLARGE error that says the limit.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, o211.Errorf(o211.ETOOLARGE, "The body is larger than %s.", byteSize(limit))
	case err != nil:
		return nil, o211.Errorf(o211.EINVALID, "The body could not be read.")
	}
	return b, nil
}

// DecodeJSON decodes the one JSON value of body into v, strictly: the
// body must be valid UTF-8 (CheckUTF8), name no field v does not have,
// and hold exactly one value. Each failure is an EINVALID error that
// says what was wrong (a value of the wrong type names its field) and
// echoes at most a short prefix of what was sent.
func DecodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return o211.Errorf(o211.EINVALID, "The body is empty: send JSON.")
	}
	if err := CheckUTF8(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return o211.FieldErrorf(Prefix(te.Field), "expected %s, got a JSON %s", te.Type, te.Value)
		}
		return o211.Errorf(o211.EINVALID, "The body is not the JSON this endpoint takes: %s.", JSONProblem(err))
	}
	if dec.More() {
		return o211.Errorf(o211.EINVALID, "The body holds more than one JSON value.")
	}
	return nil
}

// byteSize writes a body limit the way people read it.
func byteSize(n int64) string {
	if n >= 1<<10 && n%(1<<10) == 0 {
		if n >= 1<<20 && n%(1<<20) == 0 {
			return fmt.Sprintf("%d MiB", n>>20)
		}
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
