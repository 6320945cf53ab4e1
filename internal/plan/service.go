package plan

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/audit"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/org"
)

// Store is what the plans need of the store (*store.DB).
type Store interface {
	Unit(ctx context.Context, code string) (org.Unit, error)
	CreateTarget(ctx context.Context, t *Target) error
	Target(ctx context.Context, id int64) (Target, error)
	Targets(ctx context.Context, year int, unit string) ([]Target, error)
	AddReport(ctx context.Context, r *Report) error
	Reports(ctx context.Context, ids []int64) (map[int64][]Report, error)
	CountCases(ctx context.Context, category, territory string, from, to time.Time) (int, error)
	CaseGrids(ctx context.Context, ids []int64) (map[int64]string, error)
	CreateStatement(ctx context.Context, st *Statement) error
	Statement(ctx context.Context, id int64) (Statement, error)
	Statements(ctx context.Context, year int) ([]Statement, error)
	SignStatement(ctx context.Context, id, userID int64, name string, at time.Time) error
	SaveProject(ctx context.Context, p *Project) error
	Project(ctx context.Context, id int64) (Project, error)
	Projects(ctx context.Context) ([]Project, error)
	ConsultStore
}

// Service applies the rules of plans for an actor.
type Service struct {
	Store Store
	// OnTime returns a unit's on-time handling rate (percent) over
	// [year start, now), ok false when it had no case due: one call per
	// target. OnTimeAll, when set, takes its place.
	OnTime func(ctx context.Context, year int, unit, territory string) (rate float64, ok bool, err error)
	// OnTimeAll returns the on-time handling rate (percent) of every unit
	// that had a case due in territory over [year start, now). When set it
	// is used instead of OnTime: one call serves every on-time target of a
	// year and territory. UseAssessment sets it.
	OnTimeAll func(ctx context.Context, year int, territory string) (map[string]float64, error)
	// Rounds returns the results, narrowed to territory, of the scheme's
	// assessment rounds whose period starts in year, as they stand now:
	// what Score, Excellence and Clean targets are computed from. It is
	// called once per year, scheme and territory. UseAssessment sets it.
	Rounds func(ctx context.Context, year int, scheme, territory string) ([]RoundResult, error)
	// Ancestors returns a territory code's chain from the district down (nil
	// when unknown); it validates project territories and finds districts.
	Ancestors func(code string) []string
	// HasCategory says whether a case category exists.
	HasCategory func(code string) bool
	// HasScheme says whether an assessment scheme exists (nil: not checked).
	// UseAssessment sets it.
	HasScheme func(ctx context.Context, code string) bool
	Now       func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// visible says whether the actor may see a thing of a unit (may be "") in
// a territory: a handler sees its own unit's; others their territory's.
func visible(a auth.Actor, territory, unit string) bool {
	if a.Is(auth.Admin) {
		return true
	}
	if a.Is(auth.Handler) {
		if unit != "" {
			return unit == a.Unit
		}
		return a.Scope != "" && a.Covers(territory)
	}
	return a.Covers(territory)
}

// canPlan: admins and leaders issue targets, statements and projects in
// their territory.
func canPlan(a auth.Actor, territory string) error {
	if !a.Is(auth.Admin, auth.Leader) {
		return xiuhua.Errorf(xiuhua.EForbidden, "only an admin or a leader may issue plans", "只有管理员或领导可以下达目标和项目")
	}
	if !a.Covers(territory) {
		return xiuhua.Errorf(xiuhua.EForbidden, "%s is outside your territory", "%s 不在您的管辖范围内", territory)
	}
	return nil
}

func notFound(kind, kindZh string, id int64) error {
	return xiuhua.Errorf(xiuhua.ENotFound, "no "+kind+" %d", kindZh+" %d 不存在", id)
}

// CreateTarget adds a target to a unit's task book; its territory is the
// unit's scope unless a narrower one is given (a Cases target counts cases
// there, an OnTime target the unit's cases there).
func (s *Service) CreateTarget(ctx context.Context, a auth.Actor, t Target) (Target, error) {
	if err := t.Check(); err != nil {
		return t, err
	}
	u, err := s.Store.Unit(ctx, t.Unit)
	if err != nil {
		return t, xiuhua.Errorf(xiuhua.EInvalid, "no unit %s", "单位 %s 不存在", t.Unit)
	}
	if t.Territory == "" {
		t.Territory = u.Scope
	}
	if !auth.Within(t.Territory, u.Scope) || s.Ancestors != nil && s.Ancestors(t.Territory) == nil {
		return t, xiuhua.Errorf(xiuhua.EInvalid, "territory %s is unknown or outside the unit's %s", "区域 %s 不存在或不在单位辖区 %s 内", t.Territory, u.Scope)
	}
	if err := canPlan(a, t.Territory); err != nil {
		return t, err
	}
	if t.Source == Cases && s.HasCategory != nil && !s.HasCategory(t.Category) {
		return t, xiuhua.Errorf(xiuhua.EInvalid, "no category %s", "类别 %s 不存在", t.Category)
	}
	if FromAssessment(t.Source) && s.HasScheme != nil && !s.HasScheme(ctx, t.Scheme) {
		return t, xiuhua.Errorf(xiuhua.EInvalid, "no assessment scheme %s", "考核办法 %s 不存在", t.Scheme)
	}
	t.CreatedBy, t.CreatedAt = a.UserID, s.now()
	return t, s.Store.CreateTarget(audit.WithActor(ctx, a.UserID), &t)
}

// Targets evaluates the actor's visible targets of a year (0: all years)
// and unit ("": all).
func (s *Service) Targets(ctx context.Context, a auth.Actor, year int, unit string) ([]Status, error) {
	ts, err := s.Store.Targets(ctx, year, unit)
	if err != nil {
		return nil, err
	}
	ts = slices.DeleteFunc(ts, func(t Target) bool { return !visible(a, t.Territory, t.Unit) })
	return s.evaluate(ctx, ts, false)
}

// Target evaluates one target with its report history.
func (s *Service) Target(ctx context.Context, a auth.Actor, id int64) (Status, error) {
	t, err := s.Store.Target(ctx, id)
	if err != nil {
		return Status{}, err
	}
	if !visible(a, t.Territory, t.Unit) {
		return Status{}, notFound("target", "目标", id)
	}
	st, err := s.evaluate(ctx, []Target{t}, true)
	if err != nil {
		return Status{}, err
	}
	return st[0], nil
}

func (s *Service) evaluate(ctx context.Context, ts []Target, withHistory bool) ([]Status, error) {
	var manual []int64
	for _, t := range ts {
		if t.Source == Manual {
			manual = append(manual, t.ID)
		}
	}
	reps, err := s.Store.Reports(ctx, manual)
	if err != nil {
		return nil, err
	}
	now := s.now()
	// The ledger and assessment figures are read once per group of targets
	// that share them, not once per target.
	onTime := map[onTimeKey]map[string]float64{}
	rounds := map[roundsKey][]RoundResult{}
	for _, t := range ts {
		switch {
		case t.Source == OnTime && s.OnTimeAll != nil:
			k := onTimeKey{t.Year, t.Territory}
			if _, ok := onTime[k]; !ok {
				m, err := s.OnTimeAll(ctx, t.Year, t.Territory)
				if err != nil {
					return nil, err
				}
				onTime[k] = m
			}
		case FromAssessment(t.Source) && s.Rounds != nil:
			k := roundsKey{t.Year, t.Scheme, t.Territory}
			if _, ok := rounds[k]; !ok {
				rs, err := s.Rounds(ctx, t.Year, t.Scheme, t.Territory)
				if err != nil {
					return nil, err
				}
				rounds[k] = rs
			}
		}
	}
	out := make([]Status, 0, len(ts))
	for _, t := range ts {
		var v *float64
		var count *int
		var nRounds, sample int
		switch t.Source {
		case Manual:
			if h := reps[t.ID]; len(h) > 0 {
				x := h[len(h)-1].Value
				v = &x
			}
		case Cases:
			to := now
			if t.Due.Before(to) {
				to = t.Due
			}
			n, err := s.Store.CountCases(ctx, t.Category, t.Territory, YearStart(t.Year), to)
			if err != nil {
				return nil, err
			}
			x := RunRate(n, t.Year, t.Due, now)
			v, count = &x, &n
		case OnTime:
			if s.OnTimeAll != nil {
				if r, ok := onTime[onTimeKey{t.Year, t.Territory}][t.Unit]; ok {
					v = &r
				}
			} else if s.OnTime != nil {
				r, ok, err := s.OnTime(ctx, t.Year, t.Unit, t.Territory)
				if err != nil {
					return nil, err
				}
				if ok {
					v = &r
				}
			}
		case Score, Excellence, Clean:
			rs := rounds[roundsKey{t.Year, t.Scheme, t.Territory}]
			if x, n, ok := assessValue(t, rs); ok {
				v, sample = &x, n
			}
			nRounds = len(rs)
		}
		st := Evaluate(t, v, reps[t.ID], now)
		st.Count, st.Rounds, st.Sample = count, nRounds, sample
		if !withHistory {
			st.History = nil
		}
		out = append(out, st)
	}
	return out, nil
}

// ReportInput is a value reported by hand.
type ReportInput struct {
	Value float64  `json:"value"`
	Note  string   `json:"note"`
	Blobs []string `json:"blobs"`
}

// Report records a manual target's value: by a member of the owner unit or
// by an admin or leader over its territory.
func (s *Service) Report(ctx context.Context, a auth.Actor, id int64, in ReportInput) (Report, error) {
	t, err := s.Store.Target(ctx, id)
	if err != nil {
		return Report{}, err
	}
	if !visible(a, t.Territory, t.Unit) {
		return Report{}, notFound("target", "目标", id)
	}
	if !(a.Unit == t.Unit && a.Is(auth.Handler, auth.Leader)) && canPlan(a, t.Territory) != nil {
		return Report{}, xiuhua.Errorf(xiuhua.EForbidden, "only the owner unit, a leader or an admin may report this target", "只有责任单位、领导或管理员可以填报此目标")
	}
	if t.Source != Manual {
		return Report{}, xiuhua.Errorf(xiuhua.EUnprocessable, "target %d is computed from the ledger (%s), not reported by hand", "目标 %d 由台账自动计算（%s），不可手工填报", id, t.Source)
	}
	if err := t.CheckValue(in.Value); err != nil {
		return Report{}, err
	}
	if len([]rune(in.Note)) > 2000 || len(in.Blobs) > 20 {
		return Report{}, xiuhua.Errorf(xiuhua.EInvalid, "note at most 2000 characters, at most 20 photos", "说明最多 2000 字，照片最多 20 张")
	}
	r := Report{Target: id, Value: in.Value, Note: strings.TrimSpace(in.Note), Blobs: in.Blobs, ActorID: a.UserID, At: s.now()}
	return r, s.Store.AddReport(audit.WithActor(ctx, a.UserID), &r)
}

// Issue issues a responsibility statement to a unit with its targets of
// the year, which must all be that unit's.
func (s *Service) Issue(ctx context.Context, a auth.Actor, st Statement) (Statement, error) {
	st.Title = strings.TrimSpace(st.Title)
	if st.Title == "" || len([]rune(st.Title)) > 200 || len(st.Targets) == 0 || len(st.Targets) > 200 {
		return st, xiuhua.Errorf(xiuhua.EInvalid, "a statement needs a title (1–200 characters) and 1–200 targets", "责任状须有标题（1–200 字）和 1–200 个目标")
	}
	u, err := s.Store.Unit(ctx, st.Unit)
	if err != nil {
		return st, xiuhua.Errorf(xiuhua.EInvalid, "no unit %s", "单位 %s 不存在", st.Unit)
	}
	if err := canPlan(a, u.Scope); err != nil {
		return st, err
	}
	slices.Sort(st.Targets)
	st.Targets = slices.Compact(st.Targets)
	for _, id := range st.Targets {
		t, err := s.Store.Target(ctx, id)
		if err != nil || t.Unit != st.Unit || t.Year != st.Year {
			return st, xiuhua.Errorf(xiuhua.EInvalid, "target %d is not a %d target of %s", "目标 %d 不是 %d 年度单位 %s 的目标", id, st.Year, st.Unit)
		}
	}
	st.Territory, st.IssuedBy, st.IssuedAt = u.Scope, a.UserID, s.now()
	st.SignedBy, st.SignerName, st.SignedAt = 0, "", time.Time{}
	return st, s.Store.CreateStatement(audit.WithActor(ctx, a.UserID), &st)
}

// Statements lists the actor's visible statements of a year (0: all).
func (s *Service) Statements(ctx context.Context, a auth.Actor, year int) ([]Statement, error) {
	sts, err := s.Store.Statements(ctx, year)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(sts, func(st Statement) bool { return !visible(a, st.Territory, st.Unit) }), nil
}

// Sign signs a statement. The signer must belong to the unit it was issued
// to (its handler account or a leader of it): the issuer cannot sign for
// the unit. A statement is signed once.
func (s *Service) Sign(ctx context.Context, a auth.Actor, id int64) (Statement, error) {
	st, err := s.Store.Statement(ctx, id)
	if err != nil {
		return st, err
	}
	if !visible(a, st.Territory, st.Unit) {
		return st, notFound("responsibility statement", "责任状", id)
	}
	if a.Unit != st.Unit || !a.Is(auth.Handler, auth.Leader) {
		return st, xiuhua.Errorf(xiuhua.EForbidden, "only a member of %s may sign its statement", "只有 %s 的人员可以签署其责任状", st.Unit)
	}
	if st.Signed() {
		return st, xiuhua.Errorf(xiuhua.EConflict, "responsibility statement %d is already signed", "责任状 %d 已签署", id)
	}
	if err := s.Store.SignStatement(audit.WithActor(ctx, a.UserID), id, a.UserID, a.Username, s.now()); err != nil {
		return st, err
	}
	return s.Store.Statement(ctx, id)
}

// SaveProject creates (ID 0) or replaces a project in the actor's territory.
func (s *Service) SaveProject(ctx context.Context, a auth.Actor, p Project) (Project, error) {
	if err := p.Check(); err != nil {
		return p, err
	}
	chain := []string{p.Territory}
	if s.Ancestors != nil {
		if chain = s.Ancestors(p.Territory); chain == nil {
			return p, xiuhua.Errorf(xiuhua.EInvalid, "no territory %s", "区域 %s 不存在", p.Territory)
		}
	}
	if err := canPlan(a, p.Territory); err != nil {
		return p, err
	}
	p.District = chain[0]
	if p.ID != 0 {
		old, err := s.Store.Project(ctx, p.ID)
		if err != nil {
			return p, err
		}
		if !a.Covers(old.Territory) {
			return p, notFound("project", "项目", p.ID)
		}
		p.CreatedBy, p.CreatedAt = old.CreatedBy, old.CreatedAt
		p.Public, p.Consult = old.Public, old.Consult
	} else {
		p.Public, p.Consult = false, false
		p.CreatedBy, p.CreatedAt = a.UserID, s.now()
	}
	slices.Sort(p.Cases)
	p.Cases = slices.Compact(p.Cases)
	grids, err := s.Store.CaseGrids(ctx, p.Cases)
	if err != nil {
		return p, err
	}
	for _, id := range p.Cases {
		if g, ok := grids[id]; !ok || !a.Covers(g) {
			return p, xiuhua.Errorf(xiuhua.EInvalid, "no case %d in your territory", "您的辖区内没有案件 %d", id)
		}
	}
	p.UpdatedAt = s.now()
	if err := s.Store.SaveProject(audit.WithActor(ctx, a.UserID), &p); err != nil {
		return p, err
	}
	p.Mark(s.today())
	return p, nil
}

func (s *Service) today() string {
	return s.now().In(shanghai()).Format(time.DateOnly)
}

// Project returns one visible project, its late milestones marked.
func (s *Service) Project(ctx context.Context, a auth.Actor, id int64) (Project, error) {
	p, err := s.Store.Project(ctx, id)
	if err != nil {
		return p, err
	}
	if !visible(a, p.Territory, "") {
		return Project{}, notFound("project", "项目", id)
	}
	p.Mark(s.today())
	return p, nil
}

// Projects lists the visible projects within territory ("" all) and of a
// kind ("" all), marked.
func (s *Service) Projects(ctx context.Context, a auth.Actor, territory, kind string) ([]Project, error) {
	ps, err := s.Store.Projects(ctx)
	if err != nil {
		return nil, err
	}
	today := s.today()
	out := []Project{}
	for _, p := range ps {
		if !visible(a, p.Territory, "") || !auth.Within(p.Territory, territory) || kind != "" && p.Kind != kind {
			continue
		}
		p.Mark(today)
		out = append(out, p)
	}
	return out, nil
}
