package audit

import (
	"testing"
	"time"
)

func chain(n int) []Entry {
	var es []Entry
	prev := Genesis
	for i := 1; i <= n; i++ {
		e := Entry{Seq: int64(i), At: time.UnixMilli(int64(1_700_000_000_000 + i)), ActorID: 7, Kind: "case.event", Subject: "42", Payload: `{"n":1}`, Prev: prev}
		e.Hash = Sum(e)
		prev = e.Hash
		es = append(es, e)
	}
	return es
}

func TestChain(t *testing.T) {
	good := chain(5)
	if ps, _ := Chain(good, Genesis, 1); len(ps) != 0 {
		t.Fatalf("a good chain: %v", ps)
	}
	edited := chain(5)
	edited[2].Payload = `{"n":2}`
	if ps, _ := Chain(edited, Genesis, 1); len(ps) != 1 || ps[0].Seq != 3 {
		t.Errorf("edit: %v", ps)
	}
	deleted := append(chain(5)[:2:2], chain(5)[3:]...)
	if ps, _ := Chain(deleted, Genesis, 1); len(ps) == 0 || ps[0].Seq != 4 {
		t.Errorf("delete: %v", ps)
	}
	swapped := chain(5)
	swapped[1], swapped[2] = swapped[2], swapped[1]
	swapped[1].Seq, swapped[2].Seq = 2, 3 // even with the numbers fixed up
	if ps, _ := Chain(swapped, Genesis, 1); len(ps) == 0 {
		t.Error("reorder not caught")
	}
	// Recomputing one hash after an edit does not help: the next entry breaks.
	forged := chain(5)
	forged[2].Payload = `{"n":2}`
	forged[2].Hash = Sum(forged[2])
	if ps, _ := Chain(forged, Genesis, 1); len(ps) != 1 || ps[0].Seq != 4 {
		t.Errorf("forged hash: %v", ps)
	}
}
