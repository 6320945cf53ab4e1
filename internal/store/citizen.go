package store

import (
	"context"
	"database/sql"
	"sort"
	"time"
)

// CitizenNote is something a citizen said about a case after reporting it:
// an update a client system posted through Open311 (FixMyStreet's
// servicerequestupdates) or the satisfaction rating and comment given on the
// portal. The contact details stay out.
type CitizenNote struct {
	// CaseID is the case it was said on: the case itself, or a case that
	// follows it (a duplicate merged into it, a closed case reopened by it).
	CaseID int64
	// Source is "open311" or "portal".
	Source string
	// Client is the Open311 client's key name ("" for the portal).
	Client string
	// Status is the Open311 status as sent (FIXED, REOPEN…), or the
	// portal's rating (satisfied, basic, unsatisfied).
	Status   string
	Text     string
	MediaURL string
	// FollowupCaseID is the case a REOPEN or an unsatisfied rating reported.
	FollowupCaseID int64
	At             time.Time
}

// CitizenNotes returns what citizens said about a case and about the cases
// that follow it (merged duplicates and reopened cases, while the link
// stands), oldest first.
// The caller has checked the case is the actor's to see.
func (db *DB) CitizenNotes(ctx context.Context, caseID int64) ([]CitizenNote, error) {
	const cases = `(SELECT CAST(? AS BIGINT) UNION SELECT case_id FROM case_links WHERE target_id = ? AND kind IN ('duplicate', 'reopen') AND removed_at IS NULL)`
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT u.case_id, 'open311', k.name, u.status, u.description, u.media_url, u.followup_case_id, u.created_at
		FROM open311_updates u JOIN open311_keys k ON k.id = u.key_id WHERE u.case_id IN `+cases+`
		UNION ALL
		SELECT p.case_id, 'portal', '', p.rating, COALESCE(p.rating_comment, ''), '', p.followup_case_id, p.rated_at
		FROM portal_reports p WHERE p.rated_at IS NOT NULL AND p.case_id IN `+cases),
		caseID, caseID, caseID, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CitizenNote
	for rows.Next() {
		var n CitizenNote
		var follow sql.NullInt64
		var at int64
		if err := rows.Scan(&n.CaseID, &n.Source, &n.Client, &n.Status, &n.Text, &n.MediaURL, &follow, &at); err != nil {
			return nil, err
		}
		n.FollowupCaseID, n.At = follow.Int64, time.UnixMilli(at).UTC()
		out = append(out, n)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, rows.Err()
}
