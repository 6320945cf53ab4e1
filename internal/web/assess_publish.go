package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/assess/notice"
)

// Publishing a round's scores from the scores page (Service.Publish: the
// period must be over, a correction needs a reason), and the notice as a
// spreadsheet.

// assessPublish publishes the scores of a round as a new version.
func (s *Server) assessPublish(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PostFormValue("round"), 10, 64)
	if err != nil || id <= 0 {
		return xiuhua.Errorf(xiuhua.EInvalid, "round must be a round id", "round 须为考核轮次编号")
	}
	back := "round=" + strconv.FormatInt(id, 10)
	q.here = "/assess/scores?" + back
	svc := s.assessService()
	err = func() error {
		if !canPlan(q.actor) {
			return notPlanner()
		}
		rd, err := svc.Round(ctx, q.actor, id)
		if err != nil {
			return err
		}
		_, err = svc.Publish(ctx, q.actor, assess.PublishInput{Kind: "scores", Period: rd.Period, Round: id, Reason: r.PostFormValue("reason")})
		return err
	}()
	if err != nil {
		if code := xiuhua.ErrorCode(err); code == xiuhua.EInternal || code == xiuhua.ENotFound {
			return err
		}
		// The scores page again, with the refusal above it and the reason kept.
		q.flashErr = xiuhua.AsError(err)
		r2 := r.Clone(ctx)
		r2.URL.RawQuery = back + "&reason=" + url.QueryEscape(r.PostFormValue("reason"))
		return s.assessScoresPage(w, r2, q)
	}
	http.Redirect(w, r, "/assess/scores?"+back+"&done=published", http.StatusSeeOther)
	return nil
}

// assessNoticeXLSX serves a published notice as a spreadsheet, under the
// same scope rules as the HTML notice (notice.Load).
func (s *Server) assessNoticeXLSX(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.serveNotice(w, r, q, notice.FormatXLSX)
}
