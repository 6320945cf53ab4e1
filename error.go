// Package xiuhua holds what every part of the product shares: the error type
// whose codes the doors (JSON API, console, Open311) map to HTTP statuses.
// Domain packages live under internal/, one per concern.
package xiuhua

import (
	"errors"
	"fmt"
)

// Code classifies an error the way a door needs to answer it.
type Code string

// Error codes. Each maps to one HTTP status in internal/api.
const (
	EInvalid       Code = "invalid"       // 400: malformed input
	EUnauthorized  Code = "unauthorized"  // 401: no or bad credentials
	EForbidden     Code = "forbidden"     // 403: out of role or territory
	ENotFound      Code = "not_found"     // 404
	EConflict      Code = "conflict"      // 409: illegal action in this state, or a stale version
	EUnprocessable Code = "unprocessable" // 422: well-formed but impossible (outside the jurisdiction, unknown category)
	ETooLarge      Code = "too_large"     // 413
	EUnsupported   Code = "unsupported"   // 415
	ETooMany       Code = "too_many"      // 429
	EInternal      Code = "internal"      // 500: never shown in detail
)

// Error is an error a person may read: it carries a code and a message in
// English and in Chinese. Internal failures are wrapped with EInternal and
// their detail is logged, never shown.
type Error struct {
	Code      Code
	Message   string // English
	MessageZh string // 中文
	// Details lists item-level problems (e.g. one line per bad feature of an import).
	Details []string
	// Err is the underlying cause, for logs only.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error. en and zh are format strings sharing args.
func Errorf(code Code, en, zh string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(en, args...), MessageZh: fmt.Sprintf(zh, args...)}
}

// Internal wraps an unexpected failure; its detail is for the log.
func Internal(err error) *Error {
	return &Error{Code: EInternal, Message: "internal error", MessageZh: "系统内部错误", Err: err}
}

// ErrorCode returns the code of err, EInternal for foreign errors and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// AsError returns err as *Error, wrapping foreign errors as internal.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}
