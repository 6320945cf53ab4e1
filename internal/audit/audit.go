// Package audit keeps the tamper-evident log: every case event and every
// admin change is appended as an entry whose hash covers the entry and the
// hash of the one before it, so that editing, deleting or reordering any
// entry breaks the chain from that point on. Verify walks the chain.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Genesis is the previous hash of the first entry.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Entry is one line of the log.
type Entry struct {
	Seq     int64     `json:"seq"`
	At      time.Time `json:"at"`
	ActorID int64     `json:"actor_id"`
	// Kind says what happened, e.g. "case.event", "unit.put", "territory.import".
	Kind string `json:"kind"`
	// Subject names what it happened to, e.g. a case id or a unit code.
	Subject string `json:"subject"`
	// Payload is the change itself, as canonical JSON.
	Payload string `json:"payload"`
	Prev    string `json:"prev"`
	Hash    string `json:"hash"`
}

// Sum computes the hash an entry must carry: sha256 over the previous hash
// and every field, each length-prefixed so that no two entries can encode alike.
func Sum(e Entry) string {
	h := sha256.New()
	for _, f := range []string{e.Prev, fmt.Sprint(e.Seq), fmt.Sprint(e.At.UnixMilli()), fmt.Sprint(e.ActorID), e.Kind, e.Subject, e.Payload} {
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Payload encodes v canonically (encoding/json sorts map keys; structs keep field order).
func Payload(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%q", fmt.Sprint(v))
	}
	return string(b)
}

// Problem is one break found by Verify.
type Problem struct {
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}

// Chain checks entries given in log order: sequence numbers increase by
// one from the first, each entry's prev is the previous hash, and each hash
// is right. prev is the hash before the first entry (Genesis from the start).
// It returns the problems and the last good hash.
func Chain(entries []Entry, prev string, wantSeq int64) ([]Problem, string) {
	var ps []Problem
	for _, e := range entries {
		switch {
		case e.Seq != wantSeq:
			ps = append(ps, Problem{e.Seq, fmt.Sprintf("expected entry %d here: entries were deleted or reordered", wantSeq)})
		case e.Prev != prev:
			ps = append(ps, Problem{e.Seq, "does not follow the entry before it: entries were deleted, inserted or reordered"})
		case Sum(e) != e.Hash:
			ps = append(ps, Problem{e.Seq, "its content does not match its hash: the entry was edited"})
		}
		prev, wantSeq = e.Hash, e.Seq+1
	}
	return ps, prev
}

type actorKey struct{}

// WithActor records in ctx who is acting, so that the store can put it in
// the entries it appends without every write taking an extra parameter.
func WithActor(ctx context.Context, userID int64) context.Context {
	return context.WithValue(ctx, actorKey{}, userID)
}

// ActorFrom returns the acting user recorded in ctx (0: the system itself).
func ActorFrom(ctx context.Context) int64 {
	id, _ := ctx.Value(actorKey{}).(int64)
	return id
}
