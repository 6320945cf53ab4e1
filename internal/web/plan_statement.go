package web

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/plan"
)

// Responsibility statements (责任状): issued to a unit with its targets by
// an admin or a leader, signed once in the console by the unit's own
// account after an explicit confirmation, printable on A4.

// issueForm is the issue form as typed.
type issueForm struct {
	Year, Unit, Title string
	Targets           map[int64]bool
}

type statementsView struct {
	planBase
	Year       int
	Statements []plan.Statement
	CanIssue   bool
	Units      []org.Unit
	// Choices are the year's targets the actor may put in a statement.
	Choices []plan.Status
	Form    issueForm
	Open    bool
	Issuers map[int64]string
}

func (s *Server) statementsView(ctx context.Context, q *request, year int, f issueForm) (statementsView, error) {
	svc := s.planService()
	v := statementsView{planBase: planBase{q.lang, s.App.CodeNames(ctx)}, Year: year, CanIssue: canIssue(q.actor), Form: f}
	sts, err := svc.Statements(ctx, q.actor, year)
	if err != nil {
		return v, err
	}
	sort.Slice(sts, func(i, j int) bool { return sts[i].ID > sts[j].ID })
	v.Statements = sts
	var ids []int64
	for _, st := range sts {
		ids = append(ids, st.IssuedBy)
	}
	if v.Issuers, err = s.App.DB.UserDisplayNames(ctx, ids); err != nil {
		return v, err
	}
	if v.CanIssue {
		if v.Units, err = s.issuable(ctx, q.actor); err != nil {
			return v, err
		}
		ts, err := svc.Targets(ctx, q.actor, year, "")
		if err != nil {
			return v, err
		}
		for _, t := range ts {
			if q.actor.Covers(t.Territory) {
				v.Choices = append(v.Choices, t)
			}
		}
		sort.SliceStable(v.Choices, func(i, j int) bool { return v.Choices[i].Unit < v.Choices[j].Unit })
	}
	if v.Form.Year == "" {
		v.Form.Year = strconv.Itoa(year)
	}
	return v, nil
}

func (s *Server) planStatementsPage(w http.ResponseWriter, r *http.Request, q *request) error {
	year, err := s.planYear(r)
	if err != nil {
		return err
	}
	v, err := s.statementsView(r.Context(), q, year, issueForm{})
	if err != nil {
		return err
	}
	q.styles, q.scripts = []string{"plan.css"}, []string{"plan.js"}
	s.render(w, r, q, http.StatusOK, "plan_statements", planFlash(q, r), v)
	return nil
}

// planIssue issues a responsibility statement to a unit with the ticked targets.
func (s *Server) planIssue(w http.ResponseWriter, r *http.Request, q *request) error {
	q.here = "/plan/statements"
	f := issueForm{Year: strings.TrimSpace(r.PostFormValue("year")), Unit: r.PostFormValue("unit"), Title: r.PostFormValue("title"), Targets: map[int64]bool{}}
	st, err := func() (plan.Statement, error) {
		year, err := strconv.Atoi(f.Year)
		if err != nil || year < 2000 || year > 2999 {
			return plan.Statement{}, xiuhua.Errorf(xiuhua.EInvalid, "year %q must be 2000–2999", "年度 %q 须在 2000–2999 之间", f.Year)
		}
		var ids []int64
		for _, v := range r.PostForm["target"] {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				return plan.Statement{}, xiuhua.Errorf(xiuhua.EInvalid, "target %q is not a target number", "目标 %q 不是目标编号", v)
			}
			ids = append(ids, id)
			f.Targets[id] = true
		}
		return s.planService().Issue(r.Context(), q.actor, plan.Statement{Year: year, Unit: f.Unit, Title: f.Title, Targets: ids})
	}()
	if err != nil {
		if xiuhua.ErrorCode(err) == xiuhua.EInternal {
			return err
		}
		year, _ := strconv.Atoi(f.Year)
		if year < 2000 || year > 2999 {
			year = s.thisYear()
		}
		v, verr := s.statementsView(r.Context(), q, year, f)
		if verr != nil {
			return err
		}
		v.Open = true
		q.flashErr = xiuhua.AsError(err)
		q.styles, q.scripts = []string{"plan.css"}, []string{"plan.js"}
		s.render(w, r, q, status(err), "plan_statements", "", v)
		return nil
	}
	http.Redirect(w, r, "/plan/statements/"+strconv.FormatInt(st.ID, 10)+"?done=issued", http.StatusSeeOther)
	return nil
}

type statementView struct {
	planBase
	St      plan.Statement
	Targets []plan.Status
	Issuer  string
	Signer  string
	// CanSign: the actor belongs to the unit and it is unsigned.
	CanSign bool
	// Mine: the actor belongs to the unit (signed or not).
	Mine bool
}

// statementView finds a statement among the actor's visible ones (others
// read as absent) with its targets evaluated now.
func (s *Server) statementView(ctx context.Context, q *request, id int64) (statementView, error) {
	svc := s.planService()
	sts, err := svc.Statements(ctx, q.actor, 0)
	if err != nil {
		return statementView{}, err
	}
	v := statementView{planBase: planBase{q.lang, s.App.CodeNames(ctx)}}
	found := false
	for _, st := range sts {
		if st.ID == id {
			v.St, found = st, true
		}
	}
	if !found {
		return v, xiuhua.Errorf(xiuhua.ENotFound, "no responsibility statement %d", "责任状 %d 不存在", id)
	}
	ts, err := svc.Targets(ctx, q.actor, v.St.Year, v.St.Unit)
	if err != nil {
		return v, err
	}
	in := map[int64]bool{}
	for _, t := range v.St.Targets {
		in[t] = true
	}
	for _, t := range ts {
		if in[t.ID] {
			v.Targets = append(v.Targets, t)
		}
	}
	names, err := s.App.DB.UserDisplayNames(ctx, []int64{v.St.IssuedBy, v.St.SignedBy})
	if err != nil {
		return v, err
	}
	v.Issuer = names[v.St.IssuedBy]
	if v.Signer = names[v.St.SignedBy]; v.Signer == "" {
		v.Signer = v.St.SignerName
	}
	v.Mine = q.actor.Unit == v.St.Unit && q.actor.Is(auth.Handler, auth.Leader)
	v.CanSign = v.Mine && !v.St.Signed()
	return v, nil
}

func (s *Server) planStatementPage(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := planID(r, "responsibility statement", "责任状")
	if err != nil {
		return err
	}
	v, err := s.statementView(r.Context(), q, id)
	if err != nil {
		return err
	}
	q.styles = []string{"plan.css"}
	s.render(w, r, q, http.StatusOK, "plan_statement", planFlash(q, r), v)
	return nil
}

// planPrintPage is the statement laid out for A4 paper (plan.css's print
// rules hide the console around it).
func (s *Server) planPrintPage(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := planID(r, "responsibility statement", "责任状")
	if err != nil {
		return err
	}
	v, err := s.statementView(r.Context(), q, id)
	if err != nil {
		return err
	}
	q.styles, q.scripts = []string{"plan.css"}, []string{"plan.js"}
	s.render(w, r, q, http.StatusOK, "plan_print", "", v)
	return nil
}

// planSign signs a statement for the actor's unit. The form carries an
// explicit confirmation (a ticked box): a signature is not given by a
// stray click.
func (s *Server) planSign(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := planID(r, "responsibility statement", "责任状")
	if err != nil {
		return err
	}
	q.here = "/plan/statements/" + strconv.FormatInt(id, 10)
	err = func() error {
		if r.PostFormValue("confirm") != "yes" {
			// Still refuse what the service would refuse first: not one's own.
			if v, err := s.statementView(r.Context(), q, id); err != nil {
				return err
			} else if v.CanSign {
				return xiuhua.Errorf(xiuhua.EInvalid, "tick the box to confirm that your unit accepts the statement", "请勾选确认框，确认本单位接受此责任状")
			}
		}
		_, err := s.planService().Sign(r.Context(), q.actor, id)
		return err
	}()
	if err != nil {
		if xiuhua.ErrorCode(err) == xiuhua.EInternal {
			return err
		}
		v, verr := s.statementView(r.Context(), q, id)
		if verr != nil {
			return err
		}
		q.flashErr = xiuhua.AsError(err)
		q.styles = []string{"plan.css"}
		s.render(w, r, q, status(err), "plan_statement", "", v)
		return nil
	}
	http.Redirect(w, r, "/plan/statements/"+strconv.FormatInt(id, 10)+"?done=signed", http.StatusSeeOther)
	return nil
}
