package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/audit"
)

// Kinds of the audit entries assessment writes. Bulk writes (imports) get
// one entry each, with counts and a sha256 of what was written, rather than
// one entry per row.
const (
	auditScheme          = "assess.scheme.put"
	auditPoint           = "assess.point.put"
	auditPointsImport    = "assess.points.import"
	auditMgmtUnit        = "assess.mgmt_unit.put"
	auditMgmtUnitsImport = "assess.mgmt_units.import"
	auditRound           = "assess.round.create"
	auditVisit           = "assess.round.visit"
	auditInspected       = "assess.round.inspected"
	auditInspectedMany   = "assess.round.inspected_many"
	auditFinding         = "assess.finding"
	auditFindingLink     = "assess.finding.link"
	auditFindingDelete   = "assess.finding.delete"
	auditPublish         = "assess.publish"
)

// sha256Hex is the hex sha256 of b.
func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// jsonSHA256 is the hex sha256 of v as encoding/json writes it: what an
// import's entry keeps of the list it wrote.
func jsonSHA256(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return sha256Hex(b), nil
}

// auditAssess appends an assessment change inside tx. The acting user is by
// when the write names one, else the one recorded in ctx (audit.WithActor).
func (db *DB) auditAssess(ctx context.Context, tx *sql.Tx, by int64, kind, subject string, v any) error {
	if by == 0 {
		by = audit.ActorFrom(ctx)
	}
	return db.appendAudit(ctx, tx, by, kind, subject, audit.Payload(v), time.Now())
}

// schemeAudit is what the log keeps of a scheme put: the whole stored body,
// since an unfrozen version is replaced in place and would otherwise be lost.
type schemeAudit struct {
	ID         int64           `json:"id"`
	Code       string          `json:"code"`
	Version    int             `json:"version"`
	Name       string          `json:"name"`
	Replaced   bool            `json:"replaced"`
	BodySHA256 string          `json:"body_sha256"`
	Body       json.RawMessage `json:"body"`
}

// pointsImportAudit is what the log keeps of a point import: counts, and
// the sha256 of the list as JSON ([]assess.Point in the order given).
type pointsImportAudit struct {
	Points  int    `json:"points"`
	Added   int64  `json:"added"`
	Changed int64  `json:"changed"`
	Enabled int    `json:"enabled"`
	SHA256  string `json:"sha256"`
}

// mgmtUnitsImportAudit is what the log keeps of a management unit import:
// counts, and the sha256 of the list as JSON ([]assess.MgmtUnit as given).
type mgmtUnitsImportAudit struct {
	Units  int    `json:"units"`
	Grids  int    `json:"grids"`
	SHA256 string `json:"sha256"`
}

// roundAudit is what the log keeps of a round: everything needed to redraw
// it, and the hashes of its recorded sample (the sample column as stored)
// and of its drawn points (their codes in draw order, one per line, each
// followed by "\n").
type roundAudit struct {
	Scheme       int64          `json:"scheme_id"`
	Kind         string         `json:"kind"`
	Period       string         `json:"period"`
	Name         string         `json:"name"`
	Territory    string         `json:"territory"`
	Seed         string         `json:"seed"`
	Algorithm    string         `json:"algorithm"`
	Sizes        map[string]int `json:"sizes"`
	CreatedAt    int64          `json:"created_at"`
	SampleSHA256 string         `json:"sample_sha256"`
	Points       int            `json:"points"`
	PointsSHA256 string         `json:"points_sha256"`
}

// pointCodesSHA256 hashes point codes in order, each followed by "\n".
func pointCodesSHA256(points []assess.RoundPoint) string {
	var b strings.Builder
	for _, p := range points {
		b.WriteString(p.Point)
		b.WriteByte('\n')
	}
	return sha256Hex([]byte(b.String()))
}

// inspectedManySHA256 hashes bulk inspections: "code\tmillis\n" by code.
func inspectedManySHA256(at map[string]time.Time) string {
	codes := make([]string, 0, len(at))
	for c := range at {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	var b strings.Builder
	for _, c := range codes {
		fmt.Fprintf(&b, "%s\t%d\n", c, ms(at[c]))
	}
	return sha256Hex([]byte(b.String()))
}

// publicationPayload is what the log keeps of a publication: every stored
// field, the body by its sha256, so that VerifyAudit can tell an edited
// publication row (above all its body) from its entry.
func publicationPayload(id int64, kind, period, scope string, version int, reason string, cutoff, createdBy, createdAt int64, body string) string {
	return audit.Payload(publicationAudit{id, kind, period, scope, version, reason, cutoff, createdBy, createdAt, sha256Hex([]byte(body))})
}

type publicationAudit struct {
	ID         int64  `json:"id"`
	Kind       string `json:"kind"`
	Period     string `json:"period"`
	Scope      string `json:"scope"`
	Version    int    `json:"version"`
	Reason     string `json:"reason"`
	Cutoff     int64  `json:"cutoff"`
	CreatedBy  int64  `json:"created_by"`
	CreatedAt  int64  `json:"created_at"`
	BodySHA256 string `json:"body_sha256"`
}

// verifyPublications checks every publication against its audit entry, and
// every publication entry against its row. Problems about a row with no
// entry carry the publication id negated as Seq. It returns how many
// publications it checked.
func (db *DB) verifyPublications(ctx context.Context, tail int64, add func(...audit.Problem)) (int64, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT p.id, p.kind, p.period, p.scope, p.version, p.reason, p.cutoff, p.created_by, p.created_at,
		p.body, a.payload, a.seq
		FROM assess_publications p LEFT JOIN `+auditEntries+` a ON a.kind = '`+auditPublish+`' AND a.subject = CAST(p.id AS TEXT) ORDER BY p.id`)
	if err != nil {
		return 0, err
	}
	seen := map[string]bool{}
	var n int64
	for rows.Next() {
		var id, cutoff, created int64
		var by, auditSeq sql.NullInt64
		var version int
		var kind, period, scope, reason, body string
		var payload sql.NullString
		if err := rows.Scan(&id, &kind, &period, &scope, &version, &reason, &cutoff, &by, &created, &body, &payload, &auditSeq); err != nil {
			rows.Close()
			return 0, err
		}
		seen[strconv.FormatInt(id, 10)] = true
		n++
		name := fmt.Sprintf("publication %d (%s %s %s v%d)", id, kind, period, scope, version)
		if !payload.Valid {
			add(audit.Problem{Seq: -id, Reason: name + " has no audit entry: it was inserted behind the product's back"})
			continue
		}
		if got := publicationPayload(id, kind, period, scope, version, reason, cutoff, by.Int64, created, body); got != payload.String {
			var was publicationAudit
			if json.Unmarshal([]byte(payload.String), &was) == nil && was.BodySHA256 != sha256Hex([]byte(body)) {
				add(audit.Problem{Seq: auditSeq.Int64, Reason: name + ": its stored body no longer matches the sha256 in its audit entry: the published results were edited"})
			} else {
				add(audit.Problem{Seq: auditSeq.Int64, Reason: name + " differs from its audit entry: the publication was edited"})
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	orphans, err := db.R.QueryContext(ctx, db.Q(`SELECT seq, subject FROM audit_log WHERE kind = '`+auditPublish+`' AND seq <= ? ORDER BY seq`), tail)
	if err != nil {
		return 0, err
	}
	defer orphans.Close()
	for orphans.Next() {
		var seq int64
		var subject string
		if err := orphans.Scan(&seq, &subject); err != nil {
			return 0, err
		}
		if !seen[subject] {
			add(audit.Problem{Seq: seq, Reason: fmt.Sprintf("publication %s is in the log but not in the store: it was deleted", subject)})
		}
	}
	return n, orphans.Err()
}
