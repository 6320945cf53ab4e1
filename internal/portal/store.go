package portal

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/store"
)

// The portal's SQL, written once for both stores (store.DB.Q placeholders,
// times in Unix milliseconds).

// report is what the portal keeps of a citizen's report besides the case.
type report struct {
	CaseID    int64
	Code      string
	Name      string // private
	Phone     string // private
	CreatedAt time.Time
	Rating    string // "" until rated
	Comment   string
	RatedAt   time.Time
	Followup  int64 // the follow-up case of an unsatisfied rating, 0 for none
}

// codeAlphabet has no 0/O, 1/I/L: codes are read aloud and typed on phones.
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// codeLen characters of 31 give 31^10 ≈ 8·10^14 codes: guessing one of a
// million live codes takes ~8·10^8 tries, far past the page limit.
const codeLen = 10

func newCode() string {
	b := make([]byte, codeLen)
	rand.Read(b)
	for i := range b {
		// 256 mod 31 = 8: the first 8 letters are a hair likelier; harmless here.
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b)
}

// validCode says whether s can be a tracking code (before any lookup).
func validCode(s string) bool {
	if len(s) != codeLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(codeAlphabet, rune(s[i])) {
			return false
		}
	}
	return true
}

func insertReport(ctx context.Context, db *store.DB, r report) error {
	_, err := db.W.ExecContext(ctx, db.Q(`INSERT INTO portal_reports (case_id, code, name, phone, created_at) VALUES (?, ?, ?, ?, ?)`),
		r.CaseID, r.Code, r.Name, r.Phone, r.CreatedAt.UnixMilli())
	return err
}

func reportByCode(ctx context.Context, db *store.DB, code string) (report, error) {
	var r report
	var rating, comment sql.NullString
	var rated, follow sql.NullInt64
	var created int64
	err := db.R.QueryRowContext(ctx, db.Q(`SELECT case_id, code, name, phone, created_at, rating, rating_comment, rated_at, followup_case_id
		FROM portal_reports WHERE code = ?`), code).Scan(&r.CaseID, &r.Code, &r.Name, &r.Phone, &created, &rating, &comment, &rated, &follow)
	if errors.Is(err, sql.ErrNoRows) {
		return r, noCode()
	}
	if err != nil {
		return r, err
	}
	r.CreatedAt = time.UnixMilli(created).UTC()
	r.Rating, r.Comment, r.Followup = rating.String, comment.String, follow.Int64
	if rated.Valid {
		r.RatedAt = time.UnixMilli(rated.Int64).UTC()
	}
	return r, nil
}

func noCode() error {
	return xiuhua.Errorf(xiuhua.ENotFound, "No report has this tracking code: please check it.", "没有该查询码对应的反映，请核对查询码。")
}

// claimRating records a rating if the case has none yet; false when it had one.
func claimRating(ctx context.Context, db *store.DB, caseID int64, rating, comment string, at time.Time) (bool, error) {
	res, err := db.W.ExecContext(ctx, db.Q(`UPDATE portal_reports SET rating = ?, rating_comment = ?, rated_at = ?
		WHERE case_id = ? AND rating IS NULL`), rating, comment, at.UnixMilli(), caseID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// undoRating forgets a rating whose follow-up could not be reported, so
// that the citizen can send it again.
func undoRating(ctx context.Context, db *store.DB, caseID int64) error {
	_, err := db.W.ExecContext(context.WithoutCancel(ctx), db.Q(`UPDATE portal_reports SET rating = NULL, rating_comment = NULL, rated_at = NULL
		WHERE case_id = ? AND followup_case_id IS NULL`), caseID)
	return err
}

func setFollowup(ctx context.Context, db *store.DB, caseID, followID int64) error {
	_, err := db.W.ExecContext(ctx, db.Q(`UPDATE portal_reports SET followup_case_id = ? WHERE case_id = ?`), followID, caseID)
	return err
}

// publicPhotos keeps the ids among ids whose blobs are JPEG or PNG (the
// formats Clean can strip), in their order.
func publicPhotos(ctx context.Context, db *store.DB, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT id FROM blobs WHERE id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)
		AND content_type IN ('image/jpeg', 'image/png')`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ok := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ok[id] = true
	}
	var out []string
	for _, id := range ids {
		if ok[id] {
			out = append(out, id)
		}
	}
	return out, rows.Err()
}

// liveLink returns the case a case follows now (case_links, not removed)
// and the kind of link; 0 when it follows none.
func liveLink(ctx context.Context, db *store.DB, caseID int64) (int64, string, error) {
	var target int64
	var kind string
	err := db.R.QueryRowContext(ctx, db.Q(`SELECT target_id, kind FROM case_links WHERE case_id = ? AND removed_at IS NULL
		ORDER BY id DESC LIMIT 1`), caseID).Scan(&target, &kind)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	return target, kind, err
}
