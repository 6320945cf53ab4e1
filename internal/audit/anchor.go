package audit

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/xiuhua/xiuhua"
)

// Anchor is an entry's place and hash kept outside the database (printed in
// a notice, sent to another office, written to write-once storage). A hash
// chain shows edits to part of the log; someone able to rewrite the whole
// log and recompute every hash defeats it, unless the head it had at some
// moment was kept elsewhere: then the rewritten log no longer holds it.
type Anchor struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// String is the anchor as `xiuhua audit head` prints it and `audit verify
// --anchor` reads it: SEQ:HASH.
func (a Anchor) String() string { return strconv.FormatInt(a.Seq, 10) + ":" + a.Hash }

// ParseAnchor reads SEQ:HASH (a positive entry number, 64 hex digits).
func ParseAnchor(s string) (Anchor, error) {
	seq, hash, ok := strings.Cut(strings.TrimSpace(s), ":")
	n, err := strconv.ParseInt(seq, 10, 64)
	if !ok || err != nil || n <= 0 || len(hash) != 64 || strings.Trim(strings.ToLower(hash), "0123456789abcdef") != "" {
		return Anchor{}, xiuhua.Errorf(xiuhua.EInvalid, "anchor %q is not SEQ:HASH (an entry number and its 64 hex digit hash, as `xiuhua audit head` prints)",
			"锚点“%s”格式应为 序号:哈希（条目序号及其64位十六进制哈希，即 xiuhua audit head 的输出）", s)
	}
	return Anchor{Seq: n, Hash: strings.ToLower(hash)}, nil
}

// CheckAnchors compares the log's entries with anchors: found maps an
// anchored sequence number to the hash the log now holds for it ("" when
// the log has no such entry).
func CheckAnchors(anchors []Anchor, found map[int64]string) []Problem {
	var ps []Problem
	for _, a := range anchors {
		switch h := found[a.Seq]; {
		case h == "":
			ps = append(ps, Problem{a.Seq, fmt.Sprintf("anchored entry %d is not in the log: the log was cut short or rewritten", a.Seq)})
		case h != a.Hash:
			ps = append(ps, Problem{a.Seq, fmt.Sprintf("entry %d no longer has its anchored hash %s…: the log was rewritten up to here", a.Seq, a.Hash[:12])})
		}
	}
	return ps
}
