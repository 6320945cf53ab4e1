package web

import (
	"context"
	"time"

	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/casework"
)

// citizenRow is one thing a citizen said about a case after reporting it
// (市民补充): an Open311 update or a portal rating, as the case page shows it
// to the command centre. Contact details are never shown.
type citizenRow struct {
	At time.Time
	// Source is the translated channel: the portal, or Open311 with the client's name.
	Source string
	// Status is the Open311 status as sent, or the translated rating.
	Status   string
	Text     string
	MediaURL string
	// Via is the code of the case it was said on when that is another case
	// (a merged duplicate, a reopened case); Followup the case it reported.
	Via, Followup     string
	ViaID, FollowupID int64
}

// citizenRows loads what citizens added to case c, for the roles that
// handle citizens' concerns (the command centre and leaders); nil for others.
// c has been read through the case service, so it is the actor's to see.
func (s *Server) citizenRows(ctx context.Context, q *request, c casework.Case) ([]citizenRow, error) {
	if !q.actor.Is(auth.Admin, auth.Dispatcher, auth.Leader) {
		return nil, nil
	}
	notes, err := s.App.DB.CitizenNotes(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	// Other cases are named by their number, and linked, when the actor sees them.
	code := map[int64]string{c.ID: c.Code()}
	name := func(id int64) string {
		if x, ok := code[id]; ok {
			return x
		}
		code[id] = ""
		if o, _, err := s.App.Cases.Get(ctx, q.actor, id); err == nil {
			code[id] = o.Code()
		}
		return code[id]
	}
	var out []citizenRow
	for _, n := range notes {
		r := citizenRow{At: n.At, Status: n.Status, Text: n.Text, MediaURL: n.MediaURL}
		if n.Source == "portal" {
			r.Source = translate(q.lang, "citizen.portal")
			r.Status = translate(q.lang, "citizen.rating."+n.Status)
		} else {
			r.Source = translate(q.lang, "citizen.open311", n.Client)
		}
		if n.CaseID != c.ID {
			r.ViaID, r.Via = n.CaseID, name(n.CaseID)
		}
		if n.FollowupCaseID != 0 {
			r.FollowupID, r.Followup = n.FollowupCaseID, name(n.FollowupCaseID)
		}
		out = append(out, r)
	}
	return out, nil
}
