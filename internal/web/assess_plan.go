package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/territory"
)

// The round planner: a round's parameters, a preview of the stratified
// draw they give (the seed fixed, drawn at random when none is typed), then
// the round created with exactly those parameters by Service.CreateRound,
// which checks everything again and records the seed.

func init() {
	pageNames = append(pageNames, "assess_plan")
}

// planForm is the planner's fields, as typed.
type planForm struct {
	Scheme, Kind, Period, Name, Territory, Seed string
	// Sizes by point type, as typed ("" is not sampled).
	Sizes map[string]string
}

// sizeRow is a point type's sample size field.
type sizeRow struct{ Code, Name, Value string }

// schemeOption is a scheme version in the planner's list.
type schemeOption struct {
	Value, Label string
	Frozen       bool
}

type areaOption struct {
	Code, Name string
	Depth      int
}

// stratumPreview is one stratum of the previewed draw.
type stratumPreview struct {
	Unit, Type string
	Population int
	Drawn      []string
}

type planView struct {
	assessBase
	F       planForm
	Schemes []schemeOption
	Areas   []areaOption
	Sizes   []sizeRow
	// Preview: the draw these parameters give (nil before one is asked for).
	Preview     []stratumPreview
	Previewed   bool
	Drawn       int
	Units       int
	Fingerprint string
	// Names of management units (the preview's units that are no territory).
	Names map[string]string
}

// fingerprint names the parameters a preview was drawn with, so the round
// created is the one previewed.
func (f planForm) fingerprint() string {
	h := sha256.New()
	for _, v := range []string{f.Scheme, f.Kind, f.Period, f.Name, f.Territory, f.Seed} {
		h.Write([]byte(v + "\x00"))
	}
	for _, t := range ptypeOrder {
		h.Write([]byte(t + "=" + f.Sizes[t] + "\x00"))
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// planAreas lists the territories a round may cover: the actor's scope and
// the streets in it (the district and streets of a city-wide actor).
func planAreas(ix *territory.Index, scope string) []areaOption {
	var out []areaOption
	add := func(a territory.Area, depth int) {
		out = append(out, areaOption{a.Code, a.Name, depth})
		for _, c := range ix.Children(a.Code) {
			if c.Level == territory.Street {
				out = append(out, areaOption{c.Code, c.Name, depth + 1})
			}
		}
	}
	if a, ok := ix.Area(scope); ok {
		add(a, 0)
		return out
	}
	for _, d := range ix.Children("") {
		add(d, 0)
	}
	return out
}

func (s *Server) planView(ctx context.Context, q *request, f planForm) (planView, error) {
	all, err := s.assessService().Schemes(ctx, q.actor)
	if err != nil {
		return planView{}, err
	}
	v := planView{assessBase: assessBase{q.lang}, F: f, Areas: planAreas(s.App.Territory(), q.actor.Scope)}
	for i := len(all) - 1; i >= 0; i-- {
		sc := all[i]
		v.Schemes = append(v.Schemes, schemeOption{Value: sc.Code + "@" + strconv.Itoa(sc.Version),
			Label: sc.Code + " v" + strconv.Itoa(sc.Version) + " · " + sc.Name, Frozen: sc.Frozen})
	}
	for _, o := range ptypeOptions(q.lang) {
		v.Sizes = append(v.Sizes, sizeRow{o.Code, o.Name, f.Sizes[o.Code]})
	}
	return v, nil
}

func (s *Server) assessPlanPage(w http.ResponseWriter, r *http.Request, q *request) error {
	if !canPlan(q.actor) {
		return notPlanner()
	}
	f := planForm{Kind: assess.Monthly, Period: s.currentPeriod(), Territory: q.actor.Scope, Sizes: map[string]string{}}
	v, err := s.planView(r.Context(), q, f)
	if err != nil {
		return err
	}
	if len(v.Schemes) > 0 {
		v.F.Scheme = v.Schemes[0].Value
	}
	q.styles = []string{"assess.css", "assess_edit.css"}
	s.render(w, r, q, http.StatusOK, "assess_plan", "", v)
	return nil
}

// input reads the fields as a RoundInput; form problems are EInvalid with
// each one named.
func (f planForm) input() (assess.RoundInput, error) {
	var probs []string
	in := assess.RoundInput{Kind: f.Kind, Period: strings.TrimSpace(f.Period), Name: f.Name, Territory: f.Territory, Sizes: map[string]int{}}
	code, ver, ok := strings.Cut(f.Scheme, "@")
	n, err := strconv.Atoi(ver)
	if !ok || err != nil || code == "" {
		probs = append(probs, "choose a scheme version / 请选择考核办法版本")
	}
	in.Scheme, in.Version = code, n
	for _, t := range ptypeOrder {
		v := strings.TrimSpace(f.Sizes[t])
		if v == "" {
			continue
		}
		k, err := strconv.Atoi(v)
		if err != nil {
			probs = append(probs, "sample sizes must be whole numbers / 抽样数须为整数: "+t)
			continue
		}
		in.Sizes[t] = k
	}
	if s := strings.TrimSpace(f.Seed); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			probs = append(probs, "the seed must be a whole number from 0 to 18446744073709551615 / 随机种子须为0至18446744073709551615之间的整数")
		}
		in.Seed = &seed
	}
	if len(probs) > 0 {
		e := xiuhua.Errorf(xiuhua.EInvalid, "invalid round: %s", "考核轮次有误：%s", strings.Join(probs, "; "))
		e.Details = probs
		return in, e
	}
	return in, nil
}

func readPlanForm(r *http.Request) planForm {
	f := planForm{Scheme: r.PostFormValue("scheme"), Kind: r.PostFormValue("kind"), Period: strings.TrimSpace(r.PostFormValue("period")),
		Name: r.PostFormValue("name"), Territory: r.PostFormValue("territory"), Seed: strings.TrimSpace(r.PostFormValue("seed")), Sizes: map[string]string{}}
	for _, t := range ptypeOrder {
		if v := strings.TrimSpace(r.PostFormValue("size." + t)); v != "" {
			f.Sizes[t] = v
		}
	}
	return f
}

// preview draws the sample the parameters give (Service.PreviewSample: what
// CreateRound would record), after the checks CreateRound makes first; it
// also names the units when they are management units (not territory).
func (s *Server) preview(ctx context.Context, a auth.Actor, in assess.RoundInput) ([]assess.Stratum, map[string]string, error) {
	svc := s.assessService()
	all, err := svc.Schemes(ctx, a)
	if err != nil {
		return nil, nil, err
	}
	var sc *assess.Scheme
	for i := range all {
		if all[i].Code == in.Scheme && all[i].Version == in.Version {
			sc = &all[i]
		}
	}
	if sc == nil {
		return nil, nil, xiuhua.Errorf(xiuhua.EUnprocessable, "no scheme %s version %d", "考核办法 %s 第%d版不存在", in.Scheme, in.Version)
	}
	if _, err := assess.ParsePeriod(in.Period); err != nil {
		return nil, nil, err
	}
	if len(in.Sizes) == 0 {
		return nil, nil, xiuhua.Errorf(xiuhua.EInvalid, "give a sample size for at least one point type", "请至少为一种点位类型填写抽样数")
	}
	for t, k := range in.Sizes {
		if k < 1 || k > 100 {
			return nil, nil, xiuhua.Errorf(xiuhua.EInvalid, "sample sizes are 1–100 points (%s: %d)", "抽样数须为1至100个（%s：%d）", t, k)
		}
	}
	terr, err := a.Narrow(in.Territory)
	if err != nil {
		return nil, nil, err
	}
	// As CreateRound: units are ranked within a whole area above them.
	if terr != "" && (sc.Level == "street" && len(terr) > 6 || sc.Level == "community" && len(terr) > 9) {
		return nil, nil, xiuhua.Errorf(xiuhua.EUnprocessable, "a round scoring %[1]ss must cover a whole %[2]s or more",
			"考核对象为 %[1]s 的轮次须覆盖整个上级区域（%[2]s）", sc.Level, map[string]string{"street": "district", "community": "street"}[sc.Level])
	}
	strata, err := svc.PreviewSample(ctx, a, in)
	if err != nil {
		return nil, nil, err
	}
	names := map[string]string{}
	if sc.Level == assess.MgmtLevel {
		us, err := svc.MgmtUnits(ctx, a, "")
		if err != nil {
			return nil, nil, err
		}
		for _, u := range us {
			names[u.Code] = u.Name
		}
	}
	return strata, names, nil
}

// assessPlan previews a round ("do=preview") or creates the round previewed
// ("do=create").
func (s *Server) assessPlan(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	q.here = "/assess/rounds/new"
	if !canPlan(q.actor) {
		return notPlanner()
	}
	f := readPlanForm(r)
	q.styles = []string{"assess.css", "assess_edit.css"}
	show := func(st int, v planView) error {
		s.render(w, r, q, st, "assess_plan", "", v)
		return nil
	}
	refuse := func(err error) error {
		if xiuhua.ErrorCode(err) == xiuhua.EInternal {
			return err
		}
		v, verr := s.planView(ctx, q, f)
		if verr != nil {
			return verr
		}
		q.flashErr = xiuhua.AsError(err)
		return show(status(err), v)
	}
	if f.Seed == "" {
		// The preview fixes the seed, so the round created is the one shown.
		var b [8]byte
		rand.Read(b[:])
		f.Seed = strconv.FormatUint(binary.LittleEndian.Uint64(b[:]), 10)
	}
	in, err := f.input()
	if err != nil {
		return refuse(err)
	}
	if r.PostFormValue("do") == "create" {
		if r.PostFormValue("fp") != f.fingerprint() {
			err := xiuhua.Errorf(xiuhua.EConflict, "the parameters changed after the preview: check the new preview, then create",
				"预览后参数有改动，请核对新的预览后再创建")
			q.flashErr = xiuhua.AsError(err)
			return s.showPreview(w, r, q, f, in, http.StatusConflict)
		}
		rd, _, err := s.assessService().CreateRound(ctx, q.actor, in)
		if err != nil {
			return refuse(err)
		}
		http.Redirect(w, r, "/assess/rounds/"+strconv.FormatInt(rd.ID, 10)+"?done=created", http.StatusSeeOther)
		return nil
	}
	return s.showPreview(w, r, q, f, in, http.StatusOK)
}

// showPreview renders the planner with the draw of the parameters.
func (s *Server) showPreview(w http.ResponseWriter, r *http.Request, q *request, f planForm, in assess.RoundInput, st int) error {
	ctx := r.Context()
	strata, names, err := s.preview(ctx, q.actor, in)
	v, verr := s.planView(ctx, q, f)
	if verr != nil {
		return verr
	}
	if err != nil {
		if xiuhua.ErrorCode(err) == xiuhua.EInternal {
			return err
		}
		q.flashErr = xiuhua.AsError(err)
		s.render(w, r, q, status(err), "assess_plan", "", v)
		return nil
	}
	v.Previewed, v.Fingerprint, v.Names = true, f.fingerprint(), names
	units := map[string]bool{}
	for _, st := range strata {
		units[st.Unit] = true
		v.Drawn += len(st.Drawn)
		v.Preview = append(v.Preview, stratumPreview{Unit: st.Unit, Type: st.Type, Population: len(st.Population), Drawn: st.Drawn})
	}
	v.Units = len(units)
	s.render(w, r, q, st, "assess_plan", "", v)
	return nil
}
