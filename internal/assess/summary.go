package assess

import (
	"strconv"
	"strings"

	"github.com/xiuhua/xiuhua/internal/casework"
)

// Step is one case event reduced to what the metrics read. Times are Unix
// milliseconds.
type Step struct {
	Action casework.Action
	At     int64
	Actor  int64
	// Unit is the dispatch target (dispatch only).
	Unit string
	// Deadline is the deadline the step set (dispatch, approved extension,
	// resume); 0 when it set none.
	Deadline int64
	// Passed is the verification's verdict (verify only).
	Passed bool
}

// Version is one deadline in force from Set on; Due 0 means none (the case
// was suspended: its clock stopped).
type Version struct {
	Set int64
	Due int64
}

// Summary is a case as the metrics see it at a cutoff: the few times and
// facts standards.md §4 needs, derived from its events before the cutoff.
// It is compact so that a month of a million cases fits in memory and the
// metrics are a pure function of it.
type Summary struct {
	Case      int64
	Category  string
	Source    string
	Reporter  int64
	Grid      string
	Community string
	Street    string
	District  string
	// Reported, Registered are the times of the report and registration (0: not yet).
	Reported   int64
	Registered int64
	// Unit is the last dispatch target ("" before dispatch or after a return):
	// the case "belongs" to it. Dispatched is when that dispatch happened.
	Unit       string
	Dispatched int64
	// Versions are the deadlines since that dispatch, oldest first; the last
	// is in force.
	Versions []Version
	// FirstHandled is the first handling since that dispatch; Handled the
	// last handling not failed at verification (0: not handled now).
	FirstHandled int64
	Handled      int64
	// Reworked: a verification failed since that dispatch (返工).
	Reworked bool
	Closed   int64
	Rejected bool
	// Last is the time of the last event taken into account.
	Last int64
}

// Deadline is the deadline in force (0 when none).
func (s *Summary) Deadline() int64 {
	if len(s.Versions) == 0 {
		return 0
	}
	return s.Versions[len(s.Versions)-1].Due
}

// DeadlineSet is when the deadline in force was set (0 when none).
func (s *Summary) DeadlineSet() int64 {
	if len(s.Versions) == 0 {
		return 0
	}
	return s.Versions[len(s.Versions)-1].Set
}

// OpenAt reports whether the case was still open (not closed or rejected) at t.
func (s *Summary) OpenAt(t int64) bool {
	return !s.Rejected && (s.Closed == 0 || s.Closed >= t)
}

// Derive replays a case's steps (in order) that happened before cutoff onto
// the case's fixed facts taken from base (id, category, source, reporter,
// location). The result is the case as it stood at the cutoff.
func Derive(base Summary, steps []Step, cutoff int64) Summary {
	s := Summary{Case: base.Case, Category: base.Category, Source: base.Source, Reporter: base.Reporter,
		Grid: base.Grid, Community: base.Community, Street: base.Street, District: base.District}
	for _, st := range steps {
		if st.At >= cutoff {
			break
		}
		s.Last = st.At
		switch st.Action {
		case casework.Report:
			s.Reported = st.At
		case casework.Register:
			if s.Registered == 0 {
				s.Registered = st.At
			}
		case casework.Reject:
			s.Rejected = true
		case casework.Dispatch:
			// A new assignment: what happened under an earlier one is not this unit's.
			s.Unit, s.Dispatched = st.Unit, st.At
			s.Versions = []Version{{st.At, st.Deadline}}
			s.FirstHandled, s.Handled, s.Reworked = 0, 0, false
		case casework.Return:
			s.Unit, s.Dispatched, s.Versions = "", 0, nil
			s.FirstHandled, s.Handled, s.Reworked = 0, 0, false
		case casework.Handle:
			if s.FirstHandled == 0 {
				s.FirstHandled = st.At
			}
			s.Handled = st.At
		case casework.Verify:
			if !st.Passed {
				s.Reworked, s.Handled = true, 0
			}
		case casework.Close:
			s.Closed = st.At
		case casework.ApproveExtension, casework.Resume:
			if st.Deadline != 0 && len(s.Versions) > 0 {
				s.Versions = append(s.Versions, Version{st.At, st.Deadline})
			}
		case casework.Suspend:
			if len(s.Versions) > 0 {
				s.Versions = append(s.Versions, Version{st.At, 0})
			}
		}
	}
	return s
}

// summaryFormat tags the encoding so a change can be detected.
const summaryFormat = "s1"

// Encode writes the summary as one compact line of text, the form it is kept
// in (assess_case_facts.summary): one column reads faster than twenty.
func (s *Summary) Encode() string {
	var b strings.Builder
	b.Grow(160)
	b.WriteString(summaryFormat)
	i := func(v int64) { b.WriteByte('|'); b.WriteString(strconv.FormatInt(v, 10)) }
	str := func(v string) { b.WriteByte('|'); b.WriteString(v) }
	i(s.Case)
	str(s.Category)
	str(s.Source)
	i(s.Reporter)
	// The location is one field: it repeats across cases, and is shared whole.
	str(s.Grid + "," + s.Community + "," + s.Street + "," + s.District)
	i(s.Reported)
	i(s.Registered)
	str(s.Unit)
	i(s.Dispatched)
	i(s.FirstHandled)
	i(s.Handled)
	i(b2i(s.Reworked))
	i(s.Closed)
	i(b2i(s.Rejected))
	i(s.Last)
	b.WriteByte('|')
	for k, v := range s.Versions {
		if k > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(v.Set, 10))
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(v.Due, 10))
	}
	return b.String()
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Decoder decodes encoded summaries, sharing repeated strings (unit codes,
// locations, categories) between them so a million summaries stay small.
type Decoder struct {
	strs map[string]string
	locs map[string][4]string
}

// NewDecoder returns a decoder.
func NewDecoder() *Decoder { return &Decoder{strs: map[string]string{}, locs: map[string][4]string{}} }

func (d *Decoder) intern(b []byte) string {
	if s, ok := d.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	d.strs[s] = s
	return s
}

func (d *Decoder) location(b []byte) [4]string {
	if l, ok := d.locs[string(b)]; ok {
		return l
	}
	var l [4]string
	parts := strings.SplitN(string(b), ",", 4)
	copy(l[:], parts)
	d.locs[string(b)] = l
	return l
}

// atoi parses a decimal int64 without allocating; ok is cleared on junk.
func atoi(b []byte, ok *bool) int64 {
	if len(b) == 0 {
		*ok = false
		return 0
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			*ok = false
			return 0
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v
}

// Decode reads what Encode wrote into s, reusing s.Versions' storage (copy
// it to keep it). raw may be reused by the caller afterwards.
func (d *Decoder) Decode(raw []byte, s *Summary) bool {
	vs := s.Versions[:0] // reuse the backing array across calls
	*s = Summary{}
	var f [17][]byte
	n := 0
	start := 0
	for k := 0; k <= len(raw) && n < len(f); k++ {
		if k == len(raw) || raw[k] == '|' {
			f[n] = raw[start:k]
			n++
			start = k + 1
		}
	}
	if n != len(f) || string(f[0]) != summaryFormat {
		return false
	}
	ok := true
	s.Case = atoi(f[1], &ok)
	s.Category = d.intern(f[2])
	s.Source = d.intern(f[3])
	s.Reporter = atoi(f[4], &ok)
	l := d.location(f[5])
	s.Grid, s.Community, s.Street, s.District = l[0], l[1], l[2], l[3]
	s.Reported, s.Registered = atoi(f[6], &ok), atoi(f[7], &ok)
	s.Unit = d.intern(f[8])
	s.Dispatched, s.FirstHandled, s.Handled = atoi(f[9], &ok), atoi(f[10], &ok), atoi(f[11], &ok)
	s.Reworked = atoi(f[12], &ok) == 1
	s.Closed = atoi(f[13], &ok)
	s.Rejected = atoi(f[14], &ok) == 1
	s.Last = atoi(f[15], &ok)
	for rest := f[16]; len(rest) > 0; {
		part := rest
		if k := indexByte(rest, ','); k >= 0 {
			part, rest = rest[:k], rest[k+1:]
		} else {
			rest = nil
		}
		c := indexByte(part, ':')
		if c < 0 {
			return false
		}
		vs = append(vs, Version{atoi(part[:c], &ok), atoi(part[c+1:], &ok)})
	}
	if len(vs) > 0 {
		s.Versions = vs
	}
	return ok
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}
