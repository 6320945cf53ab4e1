package web

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/assess/notice"
	"github.com/xiuhua/xiuhua/internal/auth"
)

// The assessment pages (考核): rounds, a round's sample and checklist,
// scores with the red and black lists, department metrics and the
// published notice. Every read and write goes through assess.Service,
// which decides what the actor may see; the pages only lay it out.

func init() {
	pageNames = append(pageNames, "assess_rounds", "assess_round", "assess_scores", "assess_metrics")
}

// assessRoutes registers the assessment pages (called from New).
func (s *Server) assessRoutes() {
	s.page("GET /assess", s.assessRoundsPage)
	s.page("GET /assess/rounds/{id}", s.assessRoundPage)
	s.page("POST /assess/rounds/{id}/findings", s.assessFinding)
	s.page("POST /assess/rounds/{id}/inspected", s.assessInspected)
	s.page("POST /assess/rounds/{id}/visits", s.assessVisit)
	s.page("GET /assess/scores", s.assessScoresPage)
	s.page("GET /assess/metrics", s.assessMetricsPage)
	s.page("GET /assess/publications/{id}/notice.html", s.assessNotice)
	s.page("GET /assess/schemes", s.assessSchemesPage)
	s.page("GET /assess/schemes/new", s.assessSchemeNew)
	s.page("POST /assess/schemes", s.assessSchemeSave)
	s.page("GET /assess/schemes/{id}", s.assessSchemePage)
	s.page("GET /assess/schemes/{id}/edit", s.assessSchemeEdit)
	s.page("POST /assess/schemes/{id}", s.assessSchemeSave)
	s.page("GET /assess/rounds/new", s.assessPlanPage)
	s.page("POST /assess/rounds", s.assessPlan)
	s.page("GET /assess/points", s.assessPointsPage)
	s.page("POST /assess/points", s.assessPutPoint)
	s.page("POST /assess/points/import", s.assessImportPoints)
	s.page("POST /assess/publish", s.assessPublish)
	s.page("GET /assess/publications/{id}/notice.xlsx", s.assessNoticeXLSX)
	s.page("GET /assess/trend", s.assessTrendPage)
}

// assessService binds assessment to the app, on the case loop's clock (as the API does).
func (s *Server) assessService() *assess.Service {
	return s.App.AssessService()
}

// assessDone are the notices after an assessment form succeeded (?done=…).
var assessDone = map[string]string{"finding": "assess.done.finding", "inspected": "assess.done.inspected", "visit": "assess.done.visit", "created": "assess.done.created"}

// ptypeName names a point type in a language.
func ptypeName(lang, typ string) string {
	if _, ok := locales[lang]["ptype."+typ]; ok {
		return translate(lang, "ptype."+typ)
	}
	if n, ok := assess.PointTypes[typ]; ok {
		return n
	}
	return typ
}

// pct shows a rate as "12.34%", or "—" for no data.
func pct(f *assess.Fixed) string {
	if f == nil {
		return "—"
	}
	return f.String() + "%"
}

// sees reports whether a unit or territory code is the actor's to see, as
// the service filters round points and score units.
func sees(a auth.Actor, code string) bool { return a.Covers(code) || auth.Within(a.Scope, code) }

// assessBase gives the assessment pages' templates their language's names.
type assessBase struct{ Lang string }

// PType names a point type.
func (b assessBase) PType(typ string) string { return ptypeName(b.Lang, typ) }

// Pct shows a rate, "—" for no data.
func (b assessBase) Pct(f *assess.Fixed) string { return pct(f) }

// Num shows a score, "—" for no data.
func (b assessBase) Num(f *assess.Fixed) string {
	if f == nil {
		return "—"
	}
	return f.String()
}

// UnitName names a metrics key that is no known unit ("" is cases with none).
func (b assessBase) UnitName(key string) string {
	if key == "" {
		return translate(b.Lang, "assess.no_unit")
	}
	return key
}

// Signed shows a change with its sign, "—" when there is nothing to compare with.
func (b assessBase) Signed(n *int) string {
	switch {
	case n == nil:
		return "—"
	case *n > 0:
		return "+" + strconv.Itoa(*n)
	}
	return strconv.Itoa(*n)
}

// currentPeriod is the month of now, as a period name.
func (s *Server) currentPeriod() string { return s.App.Cases.Now().In(shanghai).Format("2006-01") }

type roundsView struct {
	assessBase
	Period string
	Rounds []assess.Round
	// CanScore: the actor may read scores and metrics (not inspectors).
	CanScore bool
}

func (s *Server) assessRoundsPage(w http.ResponseWriter, r *http.Request, q *request) error {
	period := strings.TrimSpace(r.URL.Query().Get("period"))
	rs, err := s.assessService().Rounds(r.Context(), q.actor, period)
	if err != nil {
		return err
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].ID > rs[j].ID })
	q.styles = []string{"assess.css"}
	s.render(w, r, q, http.StatusOK, "assess_rounds", "", roundsView{assessBase: assessBase{q.lang}, Period: period, Rounds: rs,
		CanScore: q.actor.Is(auth.Admin, auth.Dispatcher, auth.Leader)})
	return nil
}

// stratumRow is one stratum of the sample, as far as the actor may see.
type stratumRow struct {
	Unit, Type string
	Population int
	Drawn      []string
}

// checkPoint is one point of the checklist with what may be recorded there.
type checkPoint struct {
	assess.RoundPoint
	Name, Address string
	Findings      []assess.Finding
	Indicators    []assess.Indicator
	Categories    []catOption
}

type roundView struct {
	assessBase
	assess.RoundDetail
	Seed          string
	RedrawMatches bool
	Strata        []stratumRow
	Sample        []checkPoint
	Visits        []checkPoint
	// Checks are the checklist's points: the sample, then the visits.
	Checks []checkPoint
	// Checklist shows the recording forms (inspectors, on a phone).
	Checklist bool
	// CanVisit: the actor may add an unannounced visit.
	CanVisit  bool
	CanScore  bool
	MaxPhotos int
	// Open is the point whose form is shown open (after an error there).
	Open string
	Form findingForm
}

type findingForm struct{ Point, Indicator, Category, Count, Note string }

func roundParam(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, xiuhua.Errorf(xiuhua.ENotFound, "no round %s", "考核轮次 %s 不存在", r.PathValue("id"))
	}
	return id, nil
}

// roundView loads a round through the service and lays out its sample,
// visits and checklist.
func (s *Server) roundView(ctx context.Context, q *request, id int64, f findingForm) (roundView, error) {
	svc := s.assessService()
	d, err := svc.Round(ctx, q.actor, id)
	if err != nil {
		return roundView{}, err
	}
	v := roundView{assessBase: assessBase{q.lang}, RoundDetail: d, Seed: strconv.FormatUint(d.Seed, 10), RedrawMatches: reflect.DeepEqual(assess.Redraw(d.Round), d.Strata),
		Checklist: q.actor.Role == auth.Inspector, CanVisit: q.actor.Is(auth.Leader, auth.Admin, auth.Dispatcher),
		CanScore: q.actor.Is(auth.Admin, auth.Dispatcher, auth.Leader), MaxPhotos: maxPhotos, Open: f.Point, Form: f}
	// The sample's strata, only those of units the actor sees (as the
	// service does with the round's points).
	for _, st := range d.Strata {
		if sees(q.actor, st.Unit) {
			v.Strata = append(v.Strata, stratumRow{Unit: st.Unit, Type: st.Type, Population: len(st.Population), Drawn: st.Drawn})
		}
	}
	schemes, err := svc.Schemes(ctx, q.actor)
	if err != nil {
		return roundView{}, err
	}
	var sc *assess.Scheme
	for i := range schemes {
		if schemes[i].ID == d.SchemeID {
			sc = &schemes[i]
		}
	}
	pts, err := svc.Points(ctx, q.actor, "")
	if err != nil {
		return roundView{}, err
	}
	byCode := map[string]assess.Point{}
	for _, p := range pts {
		byCode[p.Code] = p
	}
	cats := s.reportView(q.lang, q.actor, reportForm{}).Categories
	for _, rp := range d.Points {
		cp := checkPoint{RoundPoint: rp, Name: byCode[rp.Point].Name, Address: byCode[rp.Point].Address}
		for _, f := range d.Findings {
			if f.Point == rp.Point {
				cp.Findings = append(cp.Findings, f)
			}
		}
		if sc != nil && v.Checklist {
			cp.Indicators, cp.Categories = pointChoices(sc, rp.Type, cats)
		}
		if rp.Source == "visit" {
			v.Visits = append(v.Visits, cp)
		} else {
			v.Sample = append(v.Sample, cp)
		}
	}
	v.Checks = append(append([]checkPoint{}, v.Sample...), v.Visits...)
	return v, nil
}

// pointChoices are the leaves that apply to a point type and the
// categories their deduction rules name (all when a rule takes any).
func pointChoices(sc *assess.Scheme, typ string, all []catOption) ([]assess.Indicator, []catOption) {
	var leaves []assess.Indicator
	named := map[string]bool{}
	anyCat := false
	for _, l := range sc.Leaves() {
		if !l.Applies(typ) {
			continue
		}
		leaves = append(leaves, *l)
		for _, d := range l.Deductions {
			if d.PointType != "" && d.PointType != typ {
				continue
			}
			if d.Category == "" {
				anyCat = true
			}
			named[d.Category] = true
		}
	}
	if anyCat {
		return leaves, all
	}
	var cats []catOption
	for _, c := range all {
		if named[c.Code] {
			cats = append(cats, c)
		}
	}
	return leaves, cats
}

func (s *Server) assessRoundPage(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := roundParam(r)
	if err != nil {
		return err
	}
	v, err := s.roundView(r.Context(), q, id, findingForm{})
	if err != nil {
		return err
	}
	flash := ""
	if k, ok := assessDone[r.URL.Query().Get("done")]; ok {
		flash = translate(q.lang, k)
	}
	q.styles = []string{"assess.css"}
	s.render(w, r, q, http.StatusOK, "assess_round", flash, v)
	return nil
}

// roundRefused renders the round page again with the refusal of a form.
func (s *Server) roundRefused(w http.ResponseWriter, r *http.Request, q *request, id int64, f findingForm, err error) error {
	if xiuhua.ErrorCode(err) == xiuhua.EInternal {
		return err
	}
	v, verr := s.roundView(r.Context(), q, id, f)
	if verr != nil {
		return err // the round itself is not the actor's: the first refusal says why
	}
	q.flashErr = xiuhua.AsError(err)
	q.styles = []string{"assess.css"}
	s.render(w, r, q, status(err), "assess_round", "", v)
	return nil
}

func roundURL(id int64, done, point string) string {
	u := "/assess/rounds/" + strconv.FormatInt(id, 10) + "?done=" + done
	if point != "" {
		u += "#pt-" + url.PathEscape(point)
	}
	return u
}

// assessFinding records a problem at a round's point, photos first, through
// Service.RecordFinding (which opens its case).
func (s *Server) assessFinding(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := roundParam(r)
	if err != nil {
		return err
	}
	q.here = "/assess/rounds/" + strconv.FormatInt(id, 10)
	f := findingForm{Point: r.PostFormValue("point"), Indicator: r.PostFormValue("indicator"), Category: r.PostFormValue("category"),
		Count: strings.TrimSpace(r.PostFormValue("count")), Note: r.PostFormValue("note")}
	err = func() error {
		in := assess.FindingInput{Point: f.Point, Indicator: f.Indicator, Category: f.Category, Note: f.Note, Count: 1}
		if f.Count != "" {
			n, err := strconv.Atoi(f.Count)
			if err != nil {
				return xiuhua.Errorf(xiuhua.EInvalid, "the count must be a whole number", "问题数须为整数")
			}
			in.Count = n
		}
		if r.MultipartForm != nil {
			var err error
			if in.Photos, err = s.storePhotos(r.Context(), q, r.MultipartForm.File["photos"]); err != nil {
				return err
			}
		}
		_, _, err := s.assessService().RecordFinding(r.Context(), q.actor, id, in)
		return err
	}()
	if err != nil {
		return s.roundRefused(w, r, q, id, f, err)
	}
	http.Redirect(w, r, roundURL(id, "finding", f.Point), http.StatusSeeOther)
	return nil
}

// assessInspected marks a round's point inspected with no problem found.
func (s *Server) assessInspected(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := roundParam(r)
	if err != nil {
		return err
	}
	q.here = "/assess/rounds/" + strconv.FormatInt(id, 10)
	pt := r.PostFormValue("point")
	if err := s.assessService().Inspected(r.Context(), q.actor, id, pt); err != nil {
		return s.roundRefused(w, r, q, id, findingForm{}, err)
	}
	http.Redirect(w, r, roundURL(id, "inspected", pt), http.StatusSeeOther)
	return nil
}

// assessVisit adds an unannounced visit (四不两直) to a round.
func (s *Server) assessVisit(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := roundParam(r)
	if err != nil {
		return err
	}
	q.here = "/assess/rounds/" + strconv.FormatInt(id, 10)
	pt := strings.TrimSpace(r.PostFormValue("point"))
	if _, err := s.assessService().AddVisit(r.Context(), q.actor, id, pt); err != nil {
		return s.roundRefused(w, r, q, id, findingForm{}, err)
	}
	http.Redirect(w, r, roundURL(id, "visit", pt), http.StatusSeeOther)
	return nil
}

// tierList is a tier's red and black lists, by name.
type tierList struct {
	Tier       string
	Red, Black []assess.UnitScore
}

type scoresView struct {
	assessBase
	Period  string
	RoundID string
	Rounds  []assess.Round
	// Asked: a round or period was given (else the page only offers the choice).
	Asked        bool
	S            assess.Scores
	Leaves       []assess.Indicator
	Ranked, Thin []assess.UnitScore
	Lists        []tierList
	TieRule      string
	Publications []assess.Publication
	// CanPublish: the actor may publish (assess_publish.go); PeriodOver: the round's period has ended.
	CanPublish, PeriodOver bool
	Reason                 string
}

func (s *Server) assessScoresPage(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	svc := s.assessService()
	qs := r.URL.Query()
	v := scoresView{assessBase: assessBase{q.lang}, Period: strings.TrimSpace(qs.Get("period")), RoundID: strings.TrimSpace(qs.Get("round")),
		CanPublish: canPlan(q.actor), Reason: qs.Get("reason")}
	st, flash := http.StatusOK, ""
	if q.flashErr != nil {
		st = status(q.flashErr) // a refused publication, shown again
	} else if qs.Get("done") == "published" {
		flash = translate(q.lang, "assess.done.published")
	}
	if v.Period == "" && v.RoundID == "" {
		v.Period = s.currentPeriod()
	}
	var err error
	if v.Rounds, err = svc.Rounds(ctx, q.actor, v.Period); err != nil {
		return err
	}
	var round int64
	if v.RoundID != "" {
		if round, err = strconv.ParseInt(v.RoundID, 10, 64); err != nil || round <= 0 {
			return xiuhua.Errorf(xiuhua.EInvalid, "round must be a round id", "round 须为考核轮次编号")
		}
	}
	if round == 0 && len(v.Rounds) == 1 {
		round = v.Rounds[0].ID
	}
	q.styles = []string{"assess.css"}
	if round == 0 && len(v.Rounds) != 1 {
		// No round, or several: let the reader choose.
		if _, err := svc.Scores(ctx, q.actor, assess.ScoreQuery{Period: v.Period}); err != nil && xiuhua.ErrorCode(err) == xiuhua.EForbidden {
			return err
		}
		s.render(w, r, q, st, "assess_scores", flash, v)
		return nil
	}
	v.Asked, v.RoundID = true, strconv.FormatInt(round, 10)
	if v.S, err = svc.Scores(ctx, q.actor, assess.ScoreQuery{Round: round}); err != nil {
		return err
	}
	v.Period = v.S.Period
	v.TieRule = v.S.TieRuleZh
	if q.lang == "en" {
		v.TieRule = v.S.TieRule
	}
	schemes, err := svc.Schemes(ctx, q.actor)
	if err != nil {
		return err
	}
	for _, sc := range schemes {
		if sc.Code == v.S.Scheme && sc.Version == v.S.SchemeVersion {
			for _, l := range sc.Leaves() {
				v.Leaves = append(v.Leaves, *l)
			}
		}
	}
	byUnit := map[string]assess.UnitScore{}
	excellent := 0
	for _, u := range v.S.Units {
		byUnit[u.Unit] = u
		if u.Insufficient {
			v.Thin = append(v.Thin, u)
		} else {
			v.Ranked = append(v.Ranked, u)
			if u.Excellent {
				excellent++
			}
		}
	}
	// Scores keeps the units the actor sees but counts the rate over the
	// whole round: over the units shown, a street sees nothing of another
	// (over the whole round's, the figures are the same).
	v.S.Scored, v.S.ExcellentUnits, v.S.ExcellenceRate = len(v.Ranked), excellent, assess.Percent(excellent, len(v.Ranked))
	// The lists name only units the actor sees (Scores keeps only those in
	// its units; its lists are of the whole round).
	for _, tl := range v.S.Lists {
		l := tierList{Tier: tl.Tier}
		for _, c := range tl.Red {
			if u, ok := byUnit[c]; ok {
				l.Red = append(l.Red, u)
			}
		}
		for _, c := range tl.Black {
			if u, ok := byUnit[c]; ok {
				l.Black = append(l.Black, u)
			}
		}
		if len(l.Red)+len(l.Black) > 0 {
			l.Tier = tl.Tier
			v.Lists = append(v.Lists, l)
		}
	}
	if v.Publications, err = svc.Publications(ctx, q.actor, "scores", v.S.Period, "round:"+strconv.FormatInt(v.S.Round, 10)); err != nil {
		return err
	}
	if per, err := assess.ParsePeriod(v.S.Period); err == nil {
		v.PeriodOver = !s.App.Cases.Now().Before(per.End)
	}
	s.render(w, r, q, st, "assess_scores", flash, v)
	return nil
}

type metricsView struct {
	assessBase
	Period string
	Result assess.MetricsResult
	Names  map[string]string
}

func (s *Server) assessMetricsPage(w http.ResponseWriter, r *http.Request, q *request) error {
	period := strings.TrimSpace(r.URL.Query().Get("period"))
	if period == "" {
		period = s.currentPeriod()
	}
	per, err := assess.ParsePeriod(period)
	if err != nil {
		return err
	}
	res, err := s.assessService().Metrics(r.Context(), q.actor, assess.MetricsQuery{Period: per, By: "unit"})
	if err != nil {
		return err
	}
	names := map[string]string{}
	if us, err := s.App.Units(r.Context(), q.actor); err == nil {
		for _, u := range us {
			names[u.Code] = u.Name
		}
	}
	q.styles = []string{"assess.css"}
	s.render(w, r, q, http.StatusOK, "assess_metrics", "", metricsView{assessBase: assessBase{q.lang}, Period: per.String(), Result: res, Names: names})
	return nil
}

// assessNotice serves a published notice (通报) to a signed-in reader, the
// same page the API serves: notice.Load applies the publication's scope.
func (s *Server) assessNotice(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.serveNotice(w, r, q, notice.FormatHTML)
}

// serveNotice loads the publication of the path for the reader
// (notice.Load applies its scope) and serves it in format.
func (s *Server) serveNotice(w http.ResponseWriter, r *http.Request, q *request, format string) error {
	id, err := notice.ParseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	n, err := notice.Load(r.Context(), s.assessService(), s.App.DB, q.actor, id, s.App.CodeNames(r.Context()))
	if err != nil {
		return err
	}
	return n.Serve(w, format)
}
