package console

// FieldError is one field's problem: the field's id (the input's id, which
// the error summary links to) and the message id of what to do.
type FieldError struct {
	Field   string
	Message string
	Args    []any
}

// FormErrors collects the problems of a form, in the order of the fields,
// for the GOV.UK error summary at the top of the page and the message
// beside each field.
type FormErrors struct {
	List []FieldError
}

// Add records a problem with field: msg is a message id, args its
// name, value pairs.
func (e *FormErrors) Add(field, msg string, args ...any) {
	e.List = append(e.List, FieldError{Field: field, Message: msg, Args: args})
}

// Any reports whether there is any problem.
func (e *FormErrors) Any() bool { return e != nil && len(e.List) > 0 }

// For returns the problem of field, or nil.
func (e *FormErrors) For(field string) *FieldError {
	if e == nil {
		return nil
	}
	for i := range e.List {
		if e.List[i].Field == field {
			return &e.List[i]
		}
	}
	return nil
}

// Msg returns the problem's message in the page's language.
func (p *page) Msg(e *FieldError) (string, error) {
	if e == nil {
		return "", nil
	}
	return p.T(e.Message, e.Args...)
}
