package portal

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/blob"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/open311"
	"github.com/xiuhua/xiuhua/internal/reqtext"
)

// Ratings a citizen may give, in the order shown.
var Ratings = []string{"satisfied", "basic", "unsatisfied"}

// publicActions are the steps whose photos the public sees: the report
// and the evidence of the fix. Other steps' attachments (dispatch orders,
// extension papers) stay internal.
var publicActions = []casework.Action{casework.Report, casework.Handle, casework.Verify, casework.Close}

// step is one line of the public timeline: no actor, no note.
type step struct {
	When   string
	Title  string
	Note   string
	Photos []string
}

func (s *Server) trackForm(w http.ResponseWriter, r *http.Request, q *request) error {
	if c := strings.ToUpper(strings.TrimSpace(r.URL.Query().Get("code"))); c != "" {
		if !validCode(c) {
			return noCode()
		}
		http.Redirect(w, r, Prefix+"t/"+c, http.StatusSeeOther)
		return nil
	}
	s.render(w, q, http.StatusOK, "trackform", nil)
	return nil
}

// lookup finds the report and case of a tracking code.
func (s *Server) lookup(ctx context.Context, code string) (report, casework.Case, []casework.Event, error) {
	code = strings.ToUpper(code)
	if !validCode(code) {
		return report{}, casework.Case{}, nil, noCode()
	}
	rep, err := reportByCode(ctx, s.App.DB, code)
	if err != nil {
		return rep, casework.Case{}, nil, err
	}
	c, evs, err := s.App.Cases.Get(ctx, actor, rep.CaseID)
	return rep, c, evs, err
}

// merged follows the live duplicate links of a case to the case that is
// handled in its place (a duplicate merged into its master): the citizen
// follows, and rates, that one. It returns c itself when it is not merged.
func (s *Server) merged(ctx context.Context, c casework.Case) (casework.Case, error) {
	for range 5 {
		next, kind, err := liveLink(ctx, s.App.DB, c.ID)
		if err != nil || next == 0 || kind != app.LinkDuplicate {
			return c, err
		}
		if c, _, err = s.App.Cases.Get(ctx, actor, next); err != nil {
			return c, err
		}
	}
	return c, nil
}

func stateNote(st casework.State, lang string) string {
	for _, row := range open311.Statuses {
		if row.State == st {
			if lang == "en" {
				return row.Notes[0]
			}
			return row.Notes[1]
		}
	}
	return ""
}

// track shows the public part of a case: state, times, the public note of
// each step and the public photos; never contact details, staff names,
// units' people or internal notes.
func (s *Server) track(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	rep, c, evs, err := s.lookup(ctx, r.PathValue("code"))
	if err != nil {
		return err
	}
	var steps []step
	for _, ev := range evs {
		st := step{When: s.when(ev.At), Title: translate(q.lang, "state."+string(ev.To)), Note: stateNote(ev.To, q.lang)}
		if ev.Action == casework.Return {
			st.Note = translate(q.lang, "note.return")
		}
		if slices.Contains(publicActions, ev.Action) {
			if st.Photos, err = publicPhotos(ctx, s.App.DB, ev.Attachments); err != nil {
				return err
			}
		}
		steps = append(steps, st)
	}
	slices.Reverse(steps) // newest first: what a citizen looks for
	catName := c.Category
	if cat, ok := s.App.Category(c.Category); ok {
		catName = cat.NameZh
		if q.lang == "en" && cat.NameEn != "" {
			catName = cat.NameEn
		}
	}
	data := map[string]any{
		"Code": rep.Code, "CaseNo": c.Code(), "Category": catName, "Description": c.Description, "Address": c.Address,
		"State": translate(q.lang, "state."+string(c.State)), "StateNote": stateNote(c.State, q.lang),
		"Reported": s.when(c.CreatedAt), "Closed": s.when(c.ClosedAt), "Steps": steps,
		"New": r.URL.Query().Get("new") == "1", "Rated": r.URL.Query().Get("rated") == "1",
		"Ratings": Ratings,
		"Rating":  rep.Rating, "Comment": rep.Comment, "RatedAt": s.when(rep.RatedAt),
	}
	m, err := s.merged(ctx, c)
	if err != nil {
		return err
	}
	if m.ID != c.ID {
		data["Merged"], data["MergedState"], data["MergedNote"] = m.Code(), translate(q.lang, "state."+string(m.State)), stateNote(m.State, q.lang)
	}
	data["CanRate"] = rep.Rating == "" && m.State == casework.Closed
	if rep.Followup != 0 {
		if f, _, err := s.App.Cases.Get(ctx, actor, rep.Followup); err == nil {
			data["Followup"], data["FollowupState"] = f.Code(), translate(q.lang, "state."+string(f.State))
		}
	}
	s.render(w, q, http.StatusOK, "track", data)
	return nil
}

// rate records the citizen's satisfaction with a closed case, once. An
// unsatisfied rating reports a follow-up case at the same place, linked to
// the closed one as a reopening (app.LinkReopen, as Open311's REOPEN does),
// so the command centre reviews it through the loop.
func (s *Server) rate(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return xiuhua.Errorf(xiuhua.ETooLarge, "The rating is too long.", "评价内容过长。")
	}
	if !checkCSRF(q, r.PostForm.Get("csrf")) {
		return xiuhua.Errorf(xiuhua.EForbidden, "The form has expired: please reload the page and send it again.", "表单已失效，请刷新页面后重新提交。")
	}
	if err := reqtext.Check(r); err != nil {
		return err
	}
	rating := r.PostForm.Get("rating")
	if !slices.Contains(Ratings, rating) {
		return xiuhua.Errorf(xiuhua.EInvalid, "Please choose satisfied, basically satisfied or unsatisfied.", "请选择满意、基本满意或不满意。")
	}
	comment := strings.TrimSpace(r.PostForm.Get("comment"))
	if utf8.RuneCountInString(comment) > 500 {
		return xiuhua.Errorf(xiuhua.EInvalid, "The comment is longer than 500 characters.", "评价意见超过 500 字。")
	}
	rep, c, _, err := s.lookup(ctx, r.PathValue("code"))
	if err != nil {
		return err
	}
	// A report merged into another case is rated on that case.
	if c, err = s.merged(ctx, c); err != nil {
		return err
	}
	if c.State != casework.Closed {
		return xiuhua.Errorf(xiuhua.EConflict, "The case can be rated once it is closed.", "案件结案后才能评价。")
	}
	ok, err := claimRating(ctx, s.App.DB, rep.CaseID, rating, comment, s.Now())
	if err != nil {
		return err
	}
	if !ok {
		return xiuhua.Errorf(xiuhua.EConflict, "This case has already been rated.", "该案件已评价过。")
	}
	if rating == "unsatisfied" {
		text := "市民对案件 " + c.Code() + " 的处理结果不满意，申请复核"
		if comment != "" {
			text += "：" + comment
		}
		lat, lon := c.Lat, c.Lon
		nc, err := s.App.Cases.Report(ctx, actor, casework.ReportInput{Category: c.Category, Description: text, Lat: &lat, Lon: &lon,
			Source: casework.SourceCitizen, Urgency: c.Urgency, Address: c.Address, ApproxArea: c.ApproxArea})
		if err == nil {
			err = s.App.LinkCases(ctx, actor, c.ID, nc.ID, app.LinkReopen)
			if err == nil {
				err = setFollowup(ctx, s.App.DB, rep.CaseID, nc.ID)
			}
		}
		if err != nil {
			if nc.ID == 0 {
				// Nothing was reported: let the citizen send it again.
				if e := undoRating(ctx, s.App.DB, rep.CaseID); e != nil {
					s.Log.Error("portal: rating kept without its follow-up", "case", c.Code(), "err", e)
				}
			} else {
				s.Log.Error("portal: follow-up case reported but not linked", "case", c.Code(), "followup", nc.Code(), "err", err)
			}
			return err
		}
	}
	http.Redirect(w, r, Prefix+"t/"+rep.Code+"?rated=1", http.StatusSeeOther)
	return nil
}

// photo serves a public photo of a case, cleaned again on the way out: the
// staff's photos were not cleaned when they were uploaded.
func (s *Server) photo(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	_, _, evs, err := s.lookup(ctx, r.PathValue("code"))
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	var mine bool
	for _, ev := range evs {
		if slices.Contains(publicActions, ev.Action) && slices.Contains(ev.Attachments, id) {
			mine = true
		}
	}
	if !mine || !blob.ValidID(id) {
		return xiuhua.Errorf(xiuhua.ENotFound, "No such photo.", "照片不存在。")
	}
	return s.sendPhoto(w, id)
}
