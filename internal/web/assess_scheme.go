package web

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/auth"
)

// The scheme editor (考核办法): versions listed by code, one shown read-only
// (always so once a round uses it: it is frozen), and a structured form for
// a new version or an unused one. The form is rows of plain fields, so it
// works without JavaScript (a "more rows" button adds blank ones);
// assess_scheme.js adds and removes rows in place. Every check of the
// scheme itself is assess.Scheme.Check's, through Service.PutScheme.

func init() {
	pageNames = append(pageNames, "assess_schemes", "assess_scheme", "assess_scheme_edit")
}

// canPlan mirrors the service's rule for assessor work (schemes, points,
// rounds, publishing: admins and district-level dispatchers), so the pages
// offer only what the service would accept; the service checks again.
func canPlan(a auth.Actor) bool {
	return a.Role == auth.Admin || (a.Role == auth.Dispatcher && len(a.Scope) <= 6)
}

// notPlanner is the refusal of an assessor page to anyone else, in the service's words.
func notPlanner() error {
	return xiuhua.Errorf(xiuhua.EForbidden, "assessment is run by admins and district-level dispatchers",
		"考核工作由管理员或区级以上派遣员负责")
}

// ptypeOrder is the point types in the order forms show them: the common
// ones first as assess lists them, any others by code, "other" last.
var ptypeOrder = func() []string {
	out := []string{"main_road", "back_street", "market", "old_compound", "toilet", "construction_site", "urban_village", "river", "square"}
	known := map[string]bool{"other": true}
	for _, t := range out {
		known[t] = true
	}
	var rest []string
	for t := range assess.PointTypes {
		if !known[t] {
			rest = append(rest, t)
		}
	}
	sort.Strings(rest)
	out = append(out, rest...)
	kept := out[:0]
	for _, t := range out {
		if _, ok := assess.PointTypes[t]; ok {
			kept = append(kept, t)
		}
	}
	return append(kept, "other")
}()

// ptypeOption is a point type with its name in the page's language.
type ptypeOption struct{ Code, Name string }

func ptypeOptions(lang string) []ptypeOption {
	out := make([]ptypeOption, len(ptypeOrder))
	for i, t := range ptypeOrder {
		out[i] = ptypeOption{t, ptypeName(lang, t)}
	}
	return out
}

// schemeRow is one version in the list.
type schemeRow struct {
	assess.Scheme
	Latest bool
}

type schemesView struct {
	assessBase
	Rows    []schemeRow
	CanPlan bool
}

// schemeParam reads the {id} of a scheme page.
func schemeParam(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, xiuhua.Errorf(xiuhua.ENotFound, "no scheme %s", "考核办法 %s 不存在", r.PathValue("id"))
	}
	return id, nil
}

// findScheme loads a scheme version the actor may read, and the latest
// version number of its code.
func (s *Server) findScheme(ctx context.Context, a auth.Actor, id int64) (assess.Scheme, int, error) {
	all, err := s.assessService().Schemes(ctx, a)
	if err != nil {
		return assess.Scheme{}, 0, err
	}
	for _, sc := range all {
		if sc.ID == id {
			return sc, latestVersion(all, sc.Code), nil
		}
	}
	return assess.Scheme{}, 0, xiuhua.Errorf(xiuhua.ENotFound, "no scheme %d", "考核办法 %d 不存在", id)
}

// latestVersion is the highest version of a code (0: no such code).
func latestVersion(all []assess.Scheme, code string) int {
	v := 0
	for _, sc := range all {
		if sc.Code == code && sc.Version > v {
			v = sc.Version
		}
	}
	return v
}

func (s *Server) assessSchemesPage(w http.ResponseWriter, r *http.Request, q *request) error {
	all, err := s.assessService().Schemes(r.Context(), q.actor)
	if err != nil {
		return err
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Code != all[j].Code {
			return all[i].Code < all[j].Code
		}
		return all[i].Version > all[j].Version
	})
	v := schemesView{assessBase: assessBase{q.lang}, CanPlan: canPlan(q.actor)}
	for _, sc := range all {
		v.Rows = append(v.Rows, schemeRow{sc, sc.Version == latestVersion(all, sc.Code)})
	}
	q.styles = []string{"assess.css", "assess_edit.css"}
	s.render(w, r, q, http.StatusOK, "assess_schemes", "", v)
	return nil
}

// indRow is an indicator as the read-only page lays it out: the tree
// flattened, with its depth.
type indRow struct {
	assess.Indicator
	Depth int
	Leaf  bool
}

func flatten(in []assess.Indicator, depth int, out *[]indRow) {
	for _, x := range in {
		*out = append(*out, indRow{Indicator: x, Depth: depth, Leaf: len(x.Children) == 0})
		flatten(x.Children, depth+1, out)
	}
}

type schemeView struct {
	assessBase
	S       assess.Scheme
	Rows    []indRow
	Latest  bool
	CanPlan bool
	// Rounds using this version, as far as the actor sees them.
	Rounds []assess.Round
}

func (s *Server) assessSchemePage(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := schemeParam(r)
	if err != nil {
		return err
	}
	sc, latest, err := s.findScheme(r.Context(), q.actor, id)
	if err != nil {
		return err
	}
	v := schemeView{assessBase: assessBase{q.lang}, S: sc, Latest: sc.Version == latest, CanPlan: canPlan(q.actor)}
	flatten(sc.Indicators, 1, &v.Rows)
	rs, err := s.assessService().Rounds(r.Context(), q.actor, "")
	if err != nil {
		return err
	}
	for _, rd := range rs {
		if rd.SchemeID == sc.ID {
			v.Rounds = append(v.Rounds, rd)
		}
	}
	flash := ""
	if r.URL.Query().Get("done") == "saved" {
		flash = translate(q.lang, "assess.scheme.done.saved")
	}
	q.styles = []string{"assess.css", "assess_edit.css"}
	s.render(w, r, q, http.StatusOK, "assess_scheme", flash, v)
	return nil
}

// ruleField is a deduction rule as the form holds it.
type ruleField struct {
	ID                string // unique within the page, for the labels
	Cat, PType, Point string
}

// indField is an indicator row of the form: Key ties its point types and
// rules to it; Depth is 1 for a top-level indicator.
type indField struct {
	Key               string
	Depth             int
	Code, Name, Marks string
	Types             map[string]bool
	Rules             []ruleField
	Branch            bool
}

// LeafData reports whether a row holds what only leaves may (point types,
// rules): a branch that does keeps them in view, for the refusal to name.
func (f indField) LeafData() bool {
	for _, r := range f.Rules {
		if r != (ruleField{ID: r.ID}) {
			return true
		}
	}
	for _, on := range f.Types {
		if on {
			return true
		}
	}
	return false
}

// schemeForm is the editor's fields, as typed.
type schemeForm struct {
	// Edit is the version changed in place (0: a new code or a new version);
	// Base the latest version of the code when the form was opened (0: a new code).
	Edit                               int64
	Base                               int
	Code, Name, Level, TierLevel       string
	Excellent, MinSample, ListSize     string
	BonusPoints, BonusCap, BonusWithin string
	Rows                               []indField
}

type schemeEditView struct {
	assessBase
	F          schemeForm
	From       *assess.Scheme
	Action     string
	Total      string
	PTypes     []ptypeOption
	Categories []catOption
	// ReplacesDraft: saving replaces this unused version of the code.
	ReplacesDraft int
}

// schemeFormOf lays a scheme out as the editor's fields.
func schemeFormOf(sc assess.Scheme) schemeForm {
	f := schemeForm{Code: sc.Code, Name: sc.Name, Level: sc.Level, TierLevel: sc.TierLevel, Excellent: sc.Excellent.String(),
		MinSample: strconv.Itoa(sc.MinSample), ListSize: strconv.Itoa(sc.ListSize)}
	if b := sc.Bonus; b != nil {
		f.BonusPoints, f.BonusCap, f.BonusWithin = b.Points.String(), b.Cap.String(), strconv.Itoa(b.WithinPercent)
	}
	var rows []indRow
	flatten(sc.Indicators, 1, &rows)
	for i, x := range rows {
		fr := indField{Key: "k" + strconv.Itoa(i+1), Depth: x.Depth, Code: x.Code, Name: x.Name, Marks: x.FullMarks.String(),
			Types: map[string]bool{}, Branch: !x.Leaf}
		for _, t := range x.PointTypes {
			fr.Types[t] = true
		}
		for _, d := range x.Deductions {
			fr.Rules = append(fr.Rules, ruleField{Cat: d.Category, PType: d.PointType, Point: d.Points.String()})
		}
		f.Rows = append(f.Rows, fr)
	}
	return f
}

// padded gives every leaf a blank rule row and adds blank indicators, so
// the form can grow without JavaScript; blank rows are ignored on saving.
func (f schemeForm) padded(blankInds int) schemeForm {
	rows := make([]indField, 0, len(f.Rows)+blankInds)
	for _, x := range f.Rows {
		if !x.Branch || len(x.Rules) > 0 {
			x.Rules = append(append([]ruleField{}, x.Rules...), ruleField{})
		}
		rows = append(rows, x)
	}
	for i := 0; i < blankInds; i++ {
		rows = append(rows, indField{Key: "b" + strconv.Itoa(len(rows)+1), Depth: 1, Types: map[string]bool{}, Rules: []ruleField{{}, {}}})
	}
	f.Rows = rows
	n := 0
	for i := range f.Rows {
		for j := range f.Rows[i].Rules {
			n++
			f.Rows[i].Rules[j].ID = f.Rows[i].Key + "-" + strconv.Itoa(n)
		}
	}
	return f
}

// readSchemeForm reads the editor's fields from a POST. The indicator
// fields are parallel lists in page order; a rule names its indicator by key.
func readSchemeForm(r *http.Request) (schemeForm, error) {
	pf := r.PostForm
	f := schemeForm{Code: strings.TrimSpace(pf.Get("code")), Name: pf.Get("name"), Level: pf.Get("level"), TierLevel: pf.Get("tier_level"),
		Excellent: strings.TrimSpace(pf.Get("excellent")), MinSample: strings.TrimSpace(pf.Get("min_sample")), ListSize: strings.TrimSpace(pf.Get("list_size")),
		BonusPoints: strings.TrimSpace(pf.Get("bonus_points")), BonusCap: strings.TrimSpace(pf.Get("bonus_cap")), BonusWithin: strings.TrimSpace(pf.Get("bonus_within"))}
	f.Base, _ = strconv.Atoi(pf.Get("base"))
	damaged := xiuhua.Errorf(xiuhua.EInvalid, "the form arrived incomplete: reload the page", "表单数据不完整，请刷新页面重试")
	keys, depths, codes, names, marks := pf["i_key"], pf["i_depth"], pf["i_code"], pf["i_name"], pf["i_marks"]
	if len(depths) != len(keys) || len(codes) != len(keys) || len(names) != len(keys) || len(marks) != len(keys) {
		return f, damaged
	}
	at := map[string]int{}
	for i, k := range keys {
		if _, dup := at[k]; dup || k == "" {
			return f, damaged
		}
		d, err := strconv.Atoi(depths[i])
		if err != nil || d < 1 || d > 4 {
			return f, damaged
		}
		x := indField{Key: k, Depth: d, Code: strings.TrimSpace(codes[i]), Name: names[i], Marks: strings.TrimSpace(marks[i]), Types: map[string]bool{}}
		for _, t := range pf["i_types."+k] {
			x.Types[t] = true
		}
		at[k] = len(f.Rows)
		f.Rows = append(f.Rows, x)
	}
	dk, dc, dt, dp := pf["d_key"], pf["d_cat"], pf["d_ptype"], pf["d_points"]
	if len(dc) != len(dk) || len(dt) != len(dk) || len(dp) != len(dk) {
		return f, damaged
	}
	for i, k := range dk {
		j, ok := at[k]
		if !ok {
			return f, damaged
		}
		rf := ruleField{Cat: strings.TrimSpace(dc[i]), PType: dt[i], Point: strings.TrimSpace(dp[i])}
		if rf == (ruleField{}) {
			continue // a blank row
		}
		f.Rows[j].Rules = append(f.Rows[j].Rules, rf)
	}
	// Blank indicator rows are left out; which rows are branches follows the depths.
	kept := f.Rows[:0]
	for _, x := range f.Rows {
		if x.Code == "" && strings.TrimSpace(x.Name) == "" && x.Marks == "" && len(x.Rules) == 0 && len(x.Types) == 0 {
			continue
		}
		kept = append(kept, x)
	}
	f.Rows = kept
	for i := range f.Rows {
		f.Rows[i].Branch = i+1 < len(f.Rows) && f.Rows[i+1].Depth > f.Rows[i].Depth
	}
	return f, nil
}

// scheme turns the fields into a scheme: numbers are parsed here (each
// problem named with its row), everything else is Scheme.Check's.
func (f schemeForm) scheme() (assess.Scheme, error) {
	var probs []string
	bad := func(en, zh string, args ...any) {
		e := xiuhua.Errorf(xiuhua.EInvalid, en, zh, args...)
		probs = append(probs, e.Message+" / "+e.MessageZh)
	}
	fixed := func(v, en, zh string, args ...any) assess.Fixed {
		if v == "" {
			return 0
		}
		x, err := assess.ParseFixed(v)
		if err != nil {
			bad(en, zh, args...)
		}
		return x
	}
	whole := func(v, en, zh string) int {
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			probs = append(probs, en+" / "+zh)
		}
		return n
	}
	sc := assess.Scheme{Code: f.Code, Name: f.Name, Level: f.Level, TierLevel: f.TierLevel,
		Excellent: fixed(f.Excellent, "the excellence threshold must be a number with at most two decimals", "优秀线须为最多两位小数的数字"),
		MinSample: whole(f.MinSample, "the minimum sample must be a whole number", "最小样本数须为整数"),
		ListSize:  whole(f.ListSize, "the list size must be a whole number", "红黑榜人数须为整数"),
	}
	if f.BonusPoints != "" || f.BonusCap != "" || f.BonusWithin != "" {
		sc.Bonus = &assess.Bonus{
			Points:        fixed(f.BonusPoints, "the bonus points must be a number with at most two decimals", "加分须为最多两位小数的数字"),
			Cap:           fixed(f.BonusCap, "the bonus cap must be a number with at most two decimals", "加分上限须为最多两位小数的数字"),
			WithinPercent: whole(f.BonusWithin, "the bonus time share must be a whole percentage", "加分时限比例须为整数百分比"),
		}
	}
	var build func(i, depth int) ([]assess.Indicator, int)
	build = func(i, depth int) ([]assess.Indicator, int) {
		var out []assess.Indicator
		for i < len(f.Rows) && f.Rows[i].Depth >= depth {
			x := f.Rows[i]
			if x.Depth > depth {
				bad("indicator %q is indented below no indicator", "指标 %q 缩进后没有上级指标", x.Code)
			}
			in := assess.Indicator{Code: x.Code, Name: x.Name}
			if !x.Branch {
				in.FullMarks = fixed(x.Marks, "indicator %q: full marks must be a number with at most two decimals", "指标 %q：满分须为最多两位小数的数字", x.Code)
			}
			for _, t := range ptypeOrder {
				if x.Types[t] {
					in.PointTypes = append(in.PointTypes, t)
				}
			}
			for t := range x.Types {
				if _, ok := assess.PointTypes[t]; !ok {
					in.PointTypes = append(in.PointTypes, t) // Check names it
				}
			}
			for _, rf := range x.Rules {
				if rf.Point == "" {
					bad("indicator %q: a deduction rule needs its points", "指标 %q：扣分规则须填写扣分", x.Code)
					continue
				}
				in.Deductions = append(in.Deductions, assess.Deduction{Category: rf.Cat, PointType: rf.PType,
					Points: fixed(rf.Point, "indicator %q: deduction points must be a number with at most two decimals", "指标 %q：扣分须为最多两位小数的数字", x.Code)})
			}
			i++
			if i < len(f.Rows) && f.Rows[i].Depth > x.Depth {
				in.Children, i = build(i, x.Depth+1)
			}
			out = append(out, in)
		}
		return out, i
	}
	sc.Indicators, _ = build(0, 1)
	if len(probs) > 0 {
		e := xiuhua.Errorf(xiuhua.EInvalid, "invalid scheme: %s", "考核办法有误：%s", strings.Join(probs, "; "))
		e.Details = probs
		return sc, e
	}
	return sc, nil
}

// total is the sum of the leaves' full marks as typed ("" when one is no number).
func (f schemeForm) total() string {
	var sum assess.Fixed
	for _, x := range f.Rows {
		if x.Branch || x.Marks == "" {
			continue
		}
		v, err := assess.ParseFixed(x.Marks)
		if err != nil {
			return "—"
		}
		sum += v
	}
	return sum.String()
}

// renderSchemeEdit shows the editor with the fields given.
func (s *Server) renderSchemeEdit(w http.ResponseWriter, r *http.Request, q *request, st int, f schemeForm, from *assess.Scheme, blanks int) error {
	all, err := s.assessService().Schemes(r.Context(), q.actor)
	if err != nil {
		return err
	}
	v := schemeEditView{assessBase: assessBase{q.lang}, F: f.padded(blanks), From: from, Action: "/assess/schemes", Total: f.total(),
		PTypes: ptypeOptions(q.lang), Categories: s.reportView(q.lang, q.actor, reportForm{}).Categories}
	if f.Edit != 0 {
		v.Action = "/assess/schemes/" + strconv.FormatInt(f.Edit, 10)
	} else {
		for _, sc := range all {
			if sc.Code == f.Code && sc.Version == f.Base && !sc.Frozen {
				v.ReplacesDraft = sc.Version
			}
		}
	}
	q.styles = []string{"assess.css", "assess_edit.css"}
	q.scripts = []string{"assess_scheme.js"}
	s.render(w, r, q, st, "assess_scheme_edit", "", v)
	return nil
}

// assessSchemeNew opens the editor for a new scheme, or for a new version
// copied from one (?from=ID).
func (s *Server) assessSchemeNew(w http.ResponseWriter, r *http.Request, q *request) error {
	if !canPlan(q.actor) {
		return notPlanner()
	}
	f := schemeForm{Level: "community", TierLevel: "district", Excellent: "90.00", MinSample: "5", ListSize: "3"}
	var from *assess.Scheme
	if v := r.URL.Query().Get("from"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return xiuhua.Errorf(xiuhua.ENotFound, "no scheme %s", "考核办法 %s 不存在", v)
		}
		sc, latest, err := s.findScheme(r.Context(), q.actor, id)
		if err != nil {
			return err
		}
		f = schemeFormOf(sc)
		f.Base = latest
		from = &sc
	}
	blanks := 0
	if len(f.Rows) == 0 {
		blanks = 2
	}
	return s.renderSchemeEdit(w, r, q, http.StatusOK, f, from, blanks)
}

// assessSchemeEdit opens the editor on an unused version, to change it in place.
func (s *Server) assessSchemeEdit(w http.ResponseWriter, r *http.Request, q *request) error {
	if !canPlan(q.actor) {
		return notPlanner()
	}
	id, err := schemeParam(r)
	if err != nil {
		return err
	}
	sc, latest, err := s.findScheme(r.Context(), q.actor, id)
	if err != nil {
		return err
	}
	if err := editable(sc, latest); err != nil {
		return err
	}
	f := schemeFormOf(sc)
	f.Edit, f.Base = sc.ID, latest
	return s.renderSchemeEdit(w, r, q, http.StatusOK, f, &sc, 0)
}

// editable refuses to change a frozen version (a round uses it) or one
// that is not its code's latest.
func editable(sc assess.Scheme, latest int) error {
	if sc.Frozen {
		return xiuhua.Errorf(xiuhua.EConflict, "%s version %d is used by a round and cannot change: copy it into a new version",
			"%s 第%d版已被考核轮次使用，不能修改，请复制为新版本", sc.Code, sc.Version)
	}
	if sc.Version != latest {
		return xiuhua.Errorf(xiuhua.EConflict, "%s version %d is not the latest (%d): copy it into a new version",
			"%s 第%d版不是最新版本（第%d版），请复制为新版本", sc.Code, sc.Version, latest)
	}
	return nil
}

// assessSchemeSave saves the editor: a new code, or a new version of a
// code (POST /assess/schemes), or an unused version in place (POST
// /assess/schemes/{id}). "more" only shows the form again with blank rows.
func (s *Server) assessSchemeSave(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	q.here = "/assess/schemes"
	if !canPlan(q.actor) {
		return notPlanner()
	}
	f, err := readSchemeForm(r)
	if err != nil {
		return err
	}
	var from *assess.Scheme
	if r.PathValue("id") != "" {
		id, err := schemeParam(r)
		if err != nil {
			return err
		}
		sc, latest, err := s.findScheme(ctx, q.actor, id)
		if err != nil {
			return err
		}
		if err := editable(sc, latest); err != nil {
			return err
		}
		if f.Code != sc.Code {
			return xiuhua.Errorf(xiuhua.EInvalid, "a version keeps its scheme's code (%s): make a new scheme for a new code",
				"修改版本时不能更改编码（%s），新编码请新建考核办法", sc.Code)
		}
		f.Edit, from = sc.ID, &sc
		q.here = "/assess/schemes/" + strconv.FormatInt(id, 10) + "/edit"
	}
	if r.PostFormValue("more") != "" {
		return s.renderSchemeEdit(w, r, q, http.StatusOK, f, from, 2)
	}
	refuse := func(err error) error {
		if xiuhua.ErrorCode(err) == xiuhua.EInternal {
			return err
		}
		q.flashErr = xiuhua.AsError(err)
		return s.renderSchemeEdit(w, r, q, status(err), f, from, 0)
	}
	all, err := s.assessService().Schemes(ctx, q.actor)
	if err != nil {
		return err
	}
	// Someone else saved a version of this code since the form was opened:
	// saving now would replace or skip theirs unseen.
	if latest := latestVersion(all, f.Code); latest != f.Base {
		if f.Base == 0 {
			return refuse(xiuhua.Errorf(xiuhua.EConflict, "a scheme with code %s exists: open it to make a new version",
				"编码为 %s 的考核办法已存在，请打开它并复制为新版本", f.Code))
		}
		return refuse(xiuhua.Errorf(xiuhua.EConflict, "%s has changed since this form was opened (now version %d): reload it",
			"%s 在您编辑期间已有变化（现为第%d版），请重新打开", f.Code, latest))
	}
	sc, err := f.scheme()
	if err != nil {
		return refuse(err)
	}
	saved, err := s.assessService().PutScheme(ctx, q.actor, sc)
	if err != nil {
		return refuse(err)
	}
	http.Redirect(w, r, "/assess/schemes/"+strconv.FormatInt(saved.ID, 10)+"?done=saved", http.StatusSeeOther)
	return nil
}

// indCtx is what the editor's indicator row template needs.
type indCtx struct {
	F      indField
	PTypes []ptypeOption
	Depths []int
}

// ruleCtx is what the editor's rule row template needs.
type ruleCtx struct {
	Key    string
	R      ruleField
	PTypes []ptypeOption
}

// Row gives an indicator row its template's context.
func (v schemeEditView) Row(f indField) indCtx {
	return indCtx{F: f, PTypes: v.PTypes, Depths: []int{1, 2, 3, 4}}
}

// Rule gives a rule row its template's context.
func (c indCtx) Rule(key string, r ruleField) ruleCtx {
	return ruleCtx{Key: key, R: r, PTypes: c.PTypes}
}

// Rule gives the script's blank rule row its template's context.
func (v schemeEditView) Rule(key string, r ruleField) ruleCtx {
	return ruleCtx{Key: key, R: r, PTypes: v.PTypes}
}

// BlankInd is the row the script copies for a new indicator ("__K__" is
// replaced by a fresh key, "__R__" by a fresh rule id).
func (v schemeEditView) BlankInd() indField {
	return indField{Key: "__K__", Depth: 1, Types: map[string]bool{}, Rules: []ruleField{{ID: "__K__-0"}}}
}

// BlankRule is the rule row the script copies.
func (v schemeEditView) BlankRule() ruleField { return ruleField{ID: "__K__-__R__"} }

// Next is the version a copy of a frozen latest version becomes.
func (v schemeEditView) Next() int { return v.F.Base + 1 }
