package main

import "strings"

// oneLine keeps err's chain but folds its message onto one line: pgx lists
// each connection attempt on a line of its own, and PiCloud's errors are
// one line saying what to do.
func oneLine(err error) error {
	if err == nil || !strings.Contains(err.Error(), "\n") {
		return err
	}
	var parts []string
	for _, p := range strings.Split(err.Error(), "\n") {
		p = strings.TrimSpace(p)
		if p != "" && (len(parts) == 0 || parts[len(parts)-1] != p) {
			parts = append(parts, p)
		}
	}
	return &foldedError{msg: strings.Join(parts, " "), err: err}
}

type foldedError struct {
	msg string
	err error
}

func (e *foldedError) Error() string { return e.msg }
func (e *foldedError) Unwrap() error { return e.err }
