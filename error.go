package o211

import (
	"errors"
	"fmt"
)

// Error codes shared by every surface. Each HTTP server maps them to status
// codes in one table.
const (
	ECONFLICT       = "conflict"        // the write conflicts with the stored state
	EINTERNAL       = "internal"        // a fault of ours; details are logged, not shown
	EINVALID        = "invalid"         // the input is malformed or breaks a rule
	ENOTFOUND       = "not_found"       // no such record
	EUNAUTHORIZED   = "unauthorized"    // no or bad credentials
	EFORBIDDEN      = "forbidden"       // credentials do not allow this
	EUNAVAILABLE    = "unavailable"     // a dependency is down; try again later
	ETOOLARGE       = "too_large"       // the request or file is bigger than allowed
	ENOTIMPLEMENTED = "not_implemented" // the operation is not offered here
)

// Error is a domain error: a code, a message fit for the user, and where
// known the place in the input that was wrong.
type Error struct {
	Code    string
	Message string
	// Field names the offending field ("services[3].name", "status").
	Field string
	// Problems lists every individual problem when one error stands for many
	// (for example all rejected rows of an import).
	Problems []InputProblem
}

// InputProblem is one located problem in an input: a file, line and field, and
// what was wrong there.
type InputProblem struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Record string `json:"record,omitempty"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

// String renders the problem as "file:line: field: reason".
func (p InputProblem) String() string {
	s := ""
	if p.File != "" {
		s = p.File
		if p.Line > 0 {
			s += fmt.Sprintf(":%d", p.Line)
		}
		s += ": "
	} else if p.Line > 0 {
		s = fmt.Sprintf("line %d: ", p.Line)
	}
	if p.Record != "" {
		s += p.Record + ": "
	}
	if p.Field != "" {
		s += p.Field + ": "
	}
	return s + p.Reason
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an EINVALID *Error about one field.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: field + ": " + fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err: the message of its
// *Error, or a plain sentence for internal errors, never their text.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "An internal error has occurred."
}
