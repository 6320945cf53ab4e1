package assess

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/audit"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/catalog"
)

// canAssess: assessor work (schemes, points, rounds, publishing) is for
// admins and for dispatchers who see a whole district or more.
func canAssess(a auth.Actor) error {
	if a.Role == auth.Admin || (a.Role == auth.Dispatcher && len(a.Scope) <= 6) {
		return nil
	}
	return xiuhua.Errorf(xiuhua.EForbidden, "assessment is run by admins and district-level dispatchers",
		"考核工作由管理员或区级以上派遣员负责")
}

// canSeeRounds: inspectors read rounds and points to work their checklist.
func canSeeRounds(a auth.Actor) error {
	if a.Is(auth.Admin, auth.Dispatcher, auth.Leader, auth.Inspector) {
		return nil
	}
	return xiuhua.Errorf(xiuhua.EForbidden, "a %s may not see inspection rounds", "%s无权查看考核轮次", a.Role)
}

func (s *Service) category(code string) (catalog.Category, bool) {
	if s.Category == nil {
		return catalog.Category{}, false
	}
	return s.Category(code)
}

// PutScheme stores a scheme: a new code gets version 1; an unused latest
// version is replaced; a frozen one (a round uses it) gets a successor.
func (s *Service) PutScheme(ctx context.Context, actor auth.Actor, sc Scheme) (Scheme, error) {
	if err := canAssess(actor); err != nil {
		return sc, err
	}
	if err := sc.Check(s.category); err != nil {
		return sc, err
	}
	return s.Store.PutScheme(ctx, sc, actor.UserID)
}

// Schemes lists every scheme version.
func (s *Service) Schemes(ctx context.Context, actor auth.Actor) ([]Scheme, error) {
	if err := canSeeRounds(actor); err != nil {
		return nil, err
	}
	out, err := s.Store.Schemes(ctx)
	if out == nil {
		out = []Scheme{}
	}
	return out, err
}

// PointInput is a new or changed inspection point.
type PointInput struct {
	Code    string   `json:"code"`
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Address string   `json:"address"`
	Lon     *float64 `json:"lon"`
	Lat     *float64 `json:"lat"`
	Enabled *bool    `json:"enabled"`
}

// PutPoint adds or changes an inspection point, locating it in the territory.
func (s *Service) PutPoint(ctx context.Context, actor auth.Actor, in PointInput) (Point, error) {
	if err := canAssess(actor); err != nil {
		return Point{}, err
	}
	var probs []string
	in.Name, in.Address = strings.TrimSpace(in.Name), strings.TrimSpace(in.Address)
	if !codeRE.MatchString(in.Code) {
		probs = append(probs, "code must be 1–64 letters, digits, '.', '_' or '-' / 编码须为1至64位字母、数字或 . _ -")
	}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 200 || utf8.RuneCountInString(in.Address) > 200 {
		probs = append(probs, "name is required; name and address at most 200 characters / 名称必填，名称和地址不超过200字")
	}
	if _, ok := PointTypes[in.Type]; !ok {
		probs = append(probs, fmt.Sprintf("unknown point type %q / 未知点位类型", in.Type))
	}
	if in.Lat == nil || in.Lon == nil || math.IsNaN(*in.Lat) || math.IsNaN(*in.Lon) || *in.Lat < -90 || *in.Lat > 90 || *in.Lon < -180 || *in.Lon > 180 {
		probs = append(probs, "lat and lon are required, in degrees / 经纬度必填且须在有效范围内")
	}
	if len(probs) > 0 {
		e := xiuhua.Errorf(xiuhua.EInvalid, "invalid inspection point: %s", "点位信息有误：%s", strings.Join(probs, "; "))
		e.Details = probs
		return Point{}, e
	}
	loc, ok := s.Locate(*in.Lon, *in.Lat)
	if !ok {
		return Point{}, xiuhua.Errorf(xiuhua.EUnprocessable, "the point (%.6f, %.6f) is outside every unit grid", "该位置（%.6f, %.6f）不在任何单元网格内", *in.Lon, *in.Lat)
	}
	if !actor.Covers(loc.Grid.Code) {
		return Point{}, xiuhua.Errorf(xiuhua.EForbidden, "the point is in grid %s, outside your jurisdiction", "该位置属于网格 %s，不在您的管辖范围内", loc.Grid.Code)
	}
	p := Point{Code: in.Code, Name: in.Name, Type: in.Type, Address: in.Address, Lon: *in.Lon, Lat: *in.Lat, Grid: loc.Grid.Code,
		Community: loc.Community.Code, Street: loc.Street.Code, District: loc.District.Code, Enabled: in.Enabled == nil || *in.Enabled}
	if err := s.Store.PutPoint(audit.WithActor(ctx, actor.UserID), p); err != nil {
		return Point{}, err
	}
	// Read back: the management unit comes from its grid.
	return s.Store.Point(ctx, p.Code)
}

// Points lists the inspection points in a territory within the actor's scope.
func (s *Service) Points(ctx context.Context, actor auth.Actor, territory string) ([]Point, error) {
	if err := canSeeRounds(actor); err != nil {
		return nil, err
	}
	t, err := actor.Narrow(territory)
	if err != nil {
		return nil, err
	}
	out, err := s.Store.Points(ctx, t)
	if out == nil {
		out = []Point{}
	}
	return out, err
}

// RoundInput plans a round.
type RoundInput struct {
	Scheme    string `json:"scheme"`
	Version   int    `json:"version"` // 0: the latest
	Kind      string `json:"kind"`
	Period    string `json:"period"`
	Name      string `json:"name"`
	Territory string `json:"territory"`
	// Sizes is k, the points drawn per unit and point type.
	Sizes map[string]int `json:"sizes"`
	// Seed of the draw; drawn at random when absent. Recorded either way.
	Seed *uint64 `json:"seed,string"`
}

// CreateRound plans a round: it draws the stratified sample, records it with
// its seed, and freezes the scheme version.
func (s *Service) CreateRound(ctx context.Context, actor auth.Actor, in RoundInput) (Round, []RoundPoint, error) {
	if err := canAssess(actor); err != nil {
		return Round{}, nil, err
	}
	var probs []string
	per, perr := ParsePeriod(in.Period)
	if perr != nil {
		probs = append(probs, "period must be like 2026-10, 2026-Q4 or 2026 / 考核周期格式有误")
	}
	if in.Kind == "" {
		in.Kind = Monthly
	}
	if in.Kind != Monthly && in.Kind != Quarterly && in.Kind != Special {
		probs = append(probs, "kind must be monthly, quarterly or special / 轮次类型须为 monthly、quarterly 或 special")
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 200 {
		probs = append(probs, "name is required (at most 200 characters) / 名称必填且不超过200字")
	}
	if len(in.Sizes) == 0 {
		probs = append(probs, "sizes (points per unit and point type) are required / 须指定各点位类型的抽样数")
	}
	for t, k := range in.Sizes {
		if _, ok := PointTypes[t]; !ok || k < 1 || k > 100 {
			probs = append(probs, fmt.Sprintf("sizes: %q must be a known point type with 1–100 points / 抽样数须为已知点位类型的1至100个", t))
		}
	}
	if len(probs) > 0 {
		sort.Strings(probs)
		e := xiuhua.Errorf(xiuhua.EInvalid, "invalid round: %s", "考核轮次有误：%s", strings.Join(probs, "; "))
		e.Details = probs
		return Round{}, nil, e
	}
	sc, err := s.Store.SchemeVersion(ctx, in.Scheme, in.Version)
	if err != nil {
		return Round{}, nil, err
	}
	terr, err := actor.Narrow(in.Territory)
	if err != nil {
		return Round{}, nil, err
	}
	if terr != "" && (sc.Level == "street" && len(terr) > 6 || sc.Level == "community" && len(terr) > 9) {
		return Round{}, nil, xiuhua.Errorf(xiuhua.EUnprocessable, "a round scoring %[1]ss must cover a whole %[2]s or more",
			"考核对象为 %[1]s 的轮次须覆盖整个上级区域（%[2]s）", sc.Level, map[string]string{"street": "district", "community": "street"}[sc.Level])
	}
	points, err := s.population(ctx, sc, terr)
	if err != nil {
		return Round{}, nil, err
	}
	seed := uint64(0)
	if in.Seed != nil {
		seed = *in.Seed
	} else {
		var b [8]byte
		rand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:])
	}
	r := Round{SchemeID: sc.ID, SchemeCode: sc.Code, SchemeVersion: sc.Version, Kind: in.Kind, Period: per.String(), Name: in.Name,
		Territory: terr, Seed: seed, Algorithm: SampleAlgorithm, Sizes: in.Sizes, CreatedAt: s.Now().UTC().Truncate(time.Millisecond)}
	r.Strata = Stratify(seed, sc.Level, points, in.Sizes)
	if len(r.Strata) == 0 {
		return Round{}, nil, xiuhua.Errorf(xiuhua.EUnprocessable, "no enabled inspection points of those types in %s", "%s 内没有这些类型的启用点位", terr)
	}
	var rps []RoundPoint
	for _, st := range r.Strata {
		for _, code := range st.Drawn {
			rps = append(rps, RoundPoint{Point: code, Unit: st.Unit, Type: st.Type, Source: "sample", Ord: len(rps) + 1})
		}
	}
	if err := s.Store.CreateRound(ctx, &r, rps, actor.UserID); err != nil {
		return Round{}, nil, err
	}
	for i := range rps {
		rps[i].Round = r.ID
	}
	return r, rps, nil
}

// population is the points a round of a scheme over a territory draws from.
func (s *Service) population(ctx context.Context, sc Scheme, terr string) ([]Point, error) {
	points, err := s.Store.Points(ctx, terr)
	if err != nil || sc.Level != MgmtLevel {
		return points, err
	}
	// A management unit is scored whole or not at all: only those lying
	// inside the round's territory are drawn from.
	area, err := s.unitArea(ctx)
	if err != nil {
		return nil, err
	}
	kept := points[:0]
	for _, p := range points {
		if p.MgmtUnit != "" && auth.Within(area(p.MgmtUnit), terr) {
			kept = append(kept, p)
		}
	}
	return kept, nil
}

// PreviewSample draws the sample a round would have, with in.Seed, without
// creating it: what CreateRound with the same input records. Assessors only.
func (s *Service) PreviewSample(ctx context.Context, actor auth.Actor, in RoundInput) ([]Stratum, error) {
	if err := canAssess(actor); err != nil {
		return nil, err
	}
	if in.Seed == nil {
		return nil, xiuhua.Errorf(xiuhua.EInvalid, "a preview needs the seed", "预览须指定随机种子")
	}
	sc, err := s.Store.SchemeVersion(ctx, in.Scheme, in.Version)
	if err != nil {
		return nil, err
	}
	terr, err := actor.Narrow(in.Territory)
	if err != nil {
		return nil, err
	}
	points, err := s.population(ctx, sc, terr)
	if err != nil {
		return nil, err
	}
	return Stratify(*in.Seed, sc.Level, points, in.Sizes), nil
}

// round loads a round the actor may see.
func (s *Service) round(ctx context.Context, actor auth.Actor, id int64) (Round, error) {
	if err := canSeeRounds(actor); err != nil {
		return Round{}, err
	}
	r, err := s.Store.Round(ctx, id)
	if err != nil {
		return r, err
	}
	if !actor.Covers(r.Territory) && !auth.Within(actor.Scope, r.Territory) {
		return Round{}, xiuhua.Errorf(xiuhua.ENotFound, "no round %d", "考核轮次 %d 不存在", id)
	}
	return r, nil
}

// RoundDetail is a round with its points and findings, as far as the actor's scope goes.
type RoundDetail struct {
	Round
	Points   []RoundPoint `json:"points"`
	Findings []Finding    `json:"findings"`
}

// Round returns a round with its points and findings within the actor's scope.
func (s *Service) Round(ctx context.Context, actor auth.Actor, id int64) (RoundDetail, error) {
	r, err := s.round(ctx, actor, id)
	if err != nil {
		return RoundDetail{}, err
	}
	d := RoundDetail{Round: r, Points: []RoundPoint{}, Findings: []Finding{}}
	pts, err := s.Store.RoundPoints(ctx, id)
	if err != nil {
		return d, err
	}
	area, err := s.unitArea(ctx)
	if err != nil {
		return d, err
	}
	for _, p := range pts {
		if u := area(p.Unit); actor.Covers(u) || auth.Within(actor.Scope, u) {
			d.Points = append(d.Points, p)
		}
	}
	// The sample's strata likewise: a stratum lists its unit's whole
	// population of points, which another street's staff may not read.
	// Each stratum redraws on its own, so the rest still checks.
	strata := []Stratum{}
	for _, st := range r.Strata {
		if u := area(st.Unit); actor.Covers(u) || auth.Within(actor.Scope, u) {
			strata = append(strata, st)
		}
	}
	d.Strata = strata
	fs, err := s.Store.Findings(ctx, id)
	if err != nil {
		return d, err
	}
	seen := map[string]bool{}
	for _, p := range d.Points {
		seen[p.Point] = true
	}
	for _, f := range fs {
		if seen[f.Point] {
			d.Findings = append(d.Findings, f)
		}
	}
	return d, nil
}

// Redraw draws a round's sample again from its recorded seed and
// populations: anyone can check that it gives the recorded points.
func Redraw(r Round) []Stratum {
	out := make([]Stratum, len(r.Strata))
	for i, st := range r.Strata {
		out[i] = Stratum{Unit: st.Unit, Type: st.Type, Population: st.Population, Drawn: Draw(r.Seed, st.Unit, st.Type, st.Population, r.Sizes[st.Type])}
	}
	return out
}

// AddVisit adds a point to a round by hand: an unannounced visit (四不两直).
// Leaders, admins and district dispatchers may.
func (s *Service) AddVisit(ctx context.Context, actor auth.Actor, round int64, point string) (RoundPoint, error) {
	if actor.Role != auth.Leader {
		if err := canAssess(actor); err != nil {
			return RoundPoint{}, err
		}
	}
	r, err := s.round(ctx, actor, round)
	if err != nil {
		return RoundPoint{}, err
	}
	p, err := s.Store.Point(ctx, point)
	if err != nil {
		return RoundPoint{}, xiuhua.Errorf(xiuhua.EUnprocessable, "no inspection point %s", "点位 %s 不存在", point)
	}
	if !actor.Covers(p.Grid) || !auth.Within(p.Grid, r.Territory) {
		return RoundPoint{}, xiuhua.Errorf(xiuhua.EForbidden, "point %s is outside the round's territory or your jurisdiction", "点位 %s 不在本轮考核范围或您的管辖范围内", point)
	}
	sc, err := s.Store.Scheme(ctx, r.SchemeID)
	if err != nil {
		return RoundPoint{}, err
	}
	rp := RoundPoint{Round: round, Point: p.Code, Unit: p.UnitAt(sc.Level), Type: p.Type, Source: "visit"}
	if rp.Unit == "" {
		return RoundPoint{}, xiuhua.Errorf(xiuhua.EUnprocessable, "point %s is in grid %s, which is in no management unit",
			"点位 %s 所在网格 %s 不属于任何管理单元", p.Code, p.Grid)
	}
	return rp, s.Store.AddRoundPoint(audit.WithActor(ctx, actor.UserID), rp)
}

// FindingInput is a problem found at a round's point.
type FindingInput struct {
	Point     string   `json:"point"`
	Indicator string   `json:"indicator"`
	Category  string   `json:"category"`
	Count     int      `json:"count"`
	Note      string   `json:"note"`
	Photos    []string `json:"photos"`
}

// Inspected marks a round's point inspected, with no problem found.
func (s *Service) Inspected(ctx context.Context, actor auth.Actor, round int64, point string) error {
	_, rp, _, err := s.checkPoint(ctx, actor, round, point)
	if err != nil {
		return err
	}
	return s.Store.MarkInspected(ctx, round, rp.Point, actor.UserID, s.Now())
}

// checkPoint loads what recording at a round's point needs, checking who may.
func (s *Service) checkPoint(ctx context.Context, actor auth.Actor, round int64, point string) (Round, RoundPoint, Point, error) {
	if !actor.Is(auth.Admin, auth.Dispatcher, auth.Inspector, auth.Leader) {
		return Round{}, RoundPoint{}, Point{}, xiuhua.Errorf(xiuhua.EForbidden, "a %s may not record inspections", "%s无权记录检查结果", actor.Role)
	}
	r, err := s.round(ctx, actor, round)
	if err != nil {
		return r, RoundPoint{}, Point{}, err
	}
	pts, err := s.Store.RoundPoints(ctx, round)
	if err != nil {
		return r, RoundPoint{}, Point{}, err
	}
	for _, rp := range pts {
		if rp.Point == point {
			p, err := s.Store.Point(ctx, point)
			if err != nil {
				return r, rp, p, err
			}
			if !actor.Covers(p.Grid) {
				return r, rp, p, xiuhua.Errorf(xiuhua.EForbidden, "point %s is outside your jurisdiction", "点位 %s 不在您的管辖范围内", point)
			}
			return r, rp, p, nil
		}
	}
	return r, RoundPoint{}, Point{}, xiuhua.Errorf(xiuhua.EUnprocessable, "point %s is not in round %d (add it as a visit first)",
		"点位 %s 不在第 %d 轮考核中（请先作为暗访点位加入）", point, round)
}

// RecordFinding records a problem at a round's point under a leaf indicator
// and opens a case for it through the case loop (source assessment), linked
// to the round. The point counts as inspected.
func (s *Service) RecordFinding(ctx context.Context, actor auth.Actor, round int64, in FindingInput) (Finding, casework.Case, error) {
	r, rp, p, err := s.checkPoint(ctx, actor, round, in.Point)
	if err != nil {
		return Finding{}, casework.Case{}, err
	}
	sc, err := s.Store.Scheme(ctx, r.SchemeID)
	if err != nil {
		return Finding{}, casework.Case{}, err
	}
	in.Note = strings.TrimSpace(in.Note)
	if in.Count == 0 {
		in.Count = 1
	}
	if in.Count < 1 || in.Count > 1000 || utf8.RuneCountInString(in.Note) > 1000 || len(in.Photos) > 20 {
		return Finding{}, casework.Case{}, xiuhua.Errorf(xiuhua.EInvalid, "count must be 1–1000, note at most 1000 characters, at most 20 photos",
			"问题数须为1至1000，说明不超过1000字，照片最多20张")
	}
	leaf := sc.Leaf(in.Indicator)
	if leaf == nil {
		return Finding{}, casework.Case{}, xiuhua.Errorf(xiuhua.EUnprocessable, "scheme %s v%d has no leaf indicator %q",
			"考核办法 %s 第%d版没有末级指标 %q", sc.Code, sc.Version, in.Indicator)
	}
	if !leaf.Applies(rp.Type) {
		return Finding{}, casework.Case{}, xiuhua.Errorf(xiuhua.EUnprocessable, "indicator %s does not apply to %s points",
			"指标 %s 不适用于 %s 类点位", leaf.Code, rp.Type)
	}
	if _, ok := leaf.Rule(in.Category, rp.Type); !ok {
		return Finding{}, casework.Case{}, xiuhua.Errorf(xiuhua.EUnprocessable, "indicator %s has no deduction rule for category %s at %s points",
			"指标 %s 没有适用于分类 %s、%s 类点位的扣分规则", leaf.Code, in.Category, rp.Type)
	}
	now := s.Now()
	f := Finding{Round: round, Point: p.Code, Indicator: leaf.Code, Category: in.Category, Count: in.Count, Note: in.Note,
		Photos: in.Photos, CreatedBy: actor.UserID, CreatedAt: now.UTC().Truncate(time.Millisecond)}
	if f.Photos == nil {
		f.Photos = []string{}
	}
	if err := s.Store.AddFinding(ctx, &f); err != nil {
		return Finding{}, casework.Case{}, err
	}
	desc := fmt.Sprintf("【考核】%s · %s · %s：%s（%d处）", r.Name, p.Name, leaf.Name, in.Note, in.Count)
	lon, lat := p.Lon, p.Lat
	c, err := s.Cases.Report(ctx, actor, casework.ReportInput{Category: in.Category, Description: desc, Lon: &lon, Lat: &lat,
		Source: casework.SourceAssessment, Urgency: catalog.Normal, Address: p.Address, Attachments: in.Photos})
	if err != nil {
		// Nothing was acknowledged: take the finding back.
		if derr := s.Store.DeleteFinding(audit.WithActor(context.WithoutCancel(ctx), actor.UserID), f.ID); derr != nil {
			return Finding{}, casework.Case{}, derr
		}
		return Finding{}, casework.Case{}, err
	}
	f.CaseID = c.ID
	if err := s.Store.LinkFinding(audit.WithActor(ctx, actor.UserID), f.ID, c.ID); err != nil {
		return Finding{}, casework.Case{}, err
	}
	return f, c, s.Store.MarkInspected(ctx, round, p.Code, actor.UserID, now)
}

// Rounds lists the rounds of a period ("" for all) the actor may see.
func (s *Service) Rounds(ctx context.Context, actor auth.Actor, period string) ([]Round, error) {
	if err := canSeeRounds(actor); err != nil {
		return nil, err
	}
	if period != "" {
		per, err := ParsePeriod(period)
		if err != nil {
			return nil, err
		}
		period = per.String()
	}
	rs, err := s.Store.Rounds(ctx, period)
	if err != nil {
		return nil, err
	}
	out := []Round{}
	for _, r := range rs {
		if actor.Covers(r.Territory) || auth.Within(actor.Scope, r.Territory) {
			out = append(out, r)
		}
	}
	return out, nil
}
