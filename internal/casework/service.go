package casework

import (
	"context"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/territory"
)

// Store is what the case loop needs from storage.
type Store interface {
	// CreateCases inserts new cases and their first events in one
	// transaction, setting their ids: all or nothing.
	CreateCases(ctx context.Context, cs []*Case, evs []*Event) error
	// UpdateCase reads the case, calls fn and writes the case and the event
	// fn returns, in one transaction; the write fails with a conflict when
	// the stored version moved meanwhile.
	UpdateCase(ctx context.Context, id int64, fn func(Case) (Case, Event, error)) (Case, error)
	Case(ctx context.Context, id int64) (Case, error)
	Events(ctx context.Context, caseID int64) ([]Event, error)
	Cases(ctx context.Context, f Filter) ([]Case, error)
	Unit(ctx context.Context, code string) (org.Unit, error)
	// UnusableBlobs returns the ids that may not be attached as use says (see store.DB.UnusableBlobs).
	UnusableBlobs(ctx context.Context, use BlobUse, ids []string) ([]string, error)
}

// BlobUse is who attaches photos, and to which case.
type BlobUse struct {
	UserID int64
	Scope  string
	// System: the portal or Open311 attaching what a citizen just sent.
	System bool
	// Case is the case they are attached to; 0 for a new report.
	Case int64
}

// Filter selects cases for a list. Territory must already be narrowed to the
// actor's scope.
type Filter struct {
	Territory string
	States    []State
	Category  string
	Unit      string
	Source    Source
	// Overdue selects cases being handled past their deadline at Now.
	Overdue *bool
	// Approx selects cases whose position was located from the address
	// (true) or came from coordinates (false); nil for all.
	Approx *bool
	Now    time.Time
	// Before is the cursor: only ids below it (lists run newest first).
	Before int64
	Limit  int
}

// Service runs the case loop.
type Service struct {
	Store Store
	// Locate finds the unit grid under a point.
	Locate func(lon, lat float64) (territory.Location, bool)
	// Category looks up a catalogue entry.
	Category func(code string) (catalog.Category, bool)
	Clock    Clock
	Now      func() time.Time
}

// ReportInput is a new problem.
type ReportInput struct {
	Category    string          `json:"category"`
	Description string          `json:"description"`
	Lat         *float64        `json:"lat"`
	Lon         *float64        `json:"lon"`
	Source      Source          `json:"source"`
	Urgency     catalog.Urgency `json:"urgency"`
	Address     string          `json:"address"`
	Attachments []string        `json:"attachments"`
	// ExternalRef names the report in the system it came from (e.g. a 12345
	// hotline work order); a second report with the same ref is refused, which
	// makes imports idempotent.
	ExternalRef string `json:"-"`
	// ApproxArea is set by the doors that place a report by its address
	// (hotline import, Open311): the code of the area the address was
	// matched to, Lat and Lon being a point inside it (see Case.ApproxArea).
	// Never taken from a client's JSON.
	ApproxArea string `json:"-"`
}

// Report puts a new problem in the ledger in state reported.
func (s *Service) Report(ctx context.Context, actor auth.Actor, in ReportInput) (Case, error) {
	c, ev, err := s.prepare(ctx, actor, in)
	if err != nil {
		return Case{}, err
	}
	if err := s.Store.CreateCases(ctx, []*Case{&c}, []*Event{&ev}); err != nil {
		return Case{}, err
	}
	return c, nil
}

// ReportBatch checks every input and stores the acceptable ones in one
// transaction: the way bulk imports keep up. errs[i] says why ins[i] was
// refused (nil when stored); err is a failure of the whole batch, in which
// case nothing was stored.
func (s *Service) ReportBatch(ctx context.Context, actor auth.Actor, ins []ReportInput) (cases []Case, errs []error, err error) {
	cases, errs = make([]Case, len(ins)), make([]error, len(ins))
	var cp []*Case
	var ep []*Event
	evs := make([]Event, len(ins))
	for i, in := range ins {
		cases[i], evs[i], errs[i] = s.prepare(ctx, actor, in)
		if errs[i] == nil {
			cp, ep = append(cp, &cases[i]), append(ep, &evs[i])
		}
	}
	if len(cp) == 0 {
		return cases, errs, nil
	}
	return cases, errs, s.Store.CreateCases(ctx, cp, ep)
}

// Check validates a report as Report would, without storing it (dry runs).
func (s *Service) Check(ctx context.Context, actor auth.Actor, in ReportInput) error {
	_, _, err := s.prepare(ctx, actor, in)
	return err
}

// prepare validates a report and builds the case and its first event.
func (s *Service) prepare(ctx context.Context, actor auth.Actor, in ReportInput) (Case, Event, error) {
	if actor.Role == auth.Handler {
		return Case{}, Event{}, xiuhua.Errorf(xiuhua.EForbidden, "handlers do not report cases", "处置人员不能上报案件")
	}
	in.Description = strings.TrimSpace(in.Description)
	in.Address = strings.TrimSpace(in.Address)
	if in.Urgency == "" {
		in.Urgency = catalog.Normal
	}
	if in.Source == "" {
		in.Source = SourceInspector
		if actor.Role == auth.Leader {
			in.Source = SourceLeader
		}
	}
	var probs []string
	if in.Category == "" {
		probs = append(probs, "category is required / 分类必填")
	}
	if in.Lat == nil || in.Lon == nil || math.IsNaN(*in.Lat) || math.IsNaN(*in.Lon) || *in.Lat < -90 || *in.Lat > 90 || *in.Lon < -180 || *in.Lon > 180 {
		probs = append(probs, "lat and lon are required, in degrees (lat −90…90, lon −180…180) / 经纬度必填且须在有效范围内")
	}
	if in.Description == "" || utf8.RuneCountInString(in.Description) > 2000 {
		probs = append(probs, "description is required, at most 2000 characters / 问题描述必填，不超过2000字")
	}
	if utf8.RuneCountInString(in.Address) > 200 {
		probs = append(probs, "address is at most 200 characters / 地址不超过200字")
	}
	if !in.Source.Valid() {
		probs = append(probs, "source must be one of inspector, citizen, hotline, leader, assessment, media / 来源无效")
	}
	if !in.Urgency.Valid() {
		probs = append(probs, "urgency must be normal or urgent / 紧急程度须为 normal 或 urgent")
	}
	if len(in.Attachments) > 20 {
		probs = append(probs, "at most 20 attachments / 最多20个附件")
	}
	if len(in.ApproxArea) > 40 {
		probs = append(probs, "approximate area code is at most 40 bytes / 近似定位区域编码不超过40字节")
	}
	if len(in.ExternalRef) > 100 {
		probs = append(probs, "external reference is at most 100 bytes / 外部编号不超过100字节")
	}
	if len(probs) > 0 {
		e := xiuhua.Errorf(xiuhua.EInvalid, "invalid report: %s", "上报信息有误：%s", strings.Join(probs, "; "))
		e.Details = probs
		return Case{}, Event{}, e
	}
	cat, ok := s.Category(in.Category)
	if !ok || !cat.Enabled {
		return Case{}, Event{}, xiuhua.Errorf(xiuhua.EUnprocessable, "unknown or disabled category %q", "分类 %q 不存在或已停用", in.Category)
	}
	loc, ok := s.Locate(*in.Lon, *in.Lat)
	if !ok {
		return Case{}, Event{}, xiuhua.Errorf(xiuhua.EUnprocessable, "the point (%.6f, %.6f) is outside every unit grid of this jurisdiction",
			"该位置（%.6f, %.6f）不在本辖区任何单元网格内", *in.Lon, *in.Lat)
	}
	if !actor.Covers(loc.Grid.Code) {
		return Case{}, Event{}, xiuhua.Errorf(xiuhua.EForbidden, "the point is in grid %s, outside your jurisdiction", "该位置属于网格 %s，不在您的管辖范围内", loc.Grid.Code)
	}
	if err := s.checkBlobs(ctx, actor, 0, in.Attachments); err != nil {
		return Case{}, Event{}, err
	}
	now := s.Now()
	c := Case{State: Reported, Version: 1, Category: cat.Code, Description: in.Description, Address: in.Address,
		Lon: *in.Lon, Lat: *in.Lat, Grid: loc.Grid.Code, Community: loc.Community.Code, Street: loc.Street.Code, District: loc.District.Code,
		Source: in.Source, Urgency: in.Urgency, ReporterID: actor.UserID, ExternalRef: in.ExternalRef, ApproxArea: strings.TrimSpace(in.ApproxArea), CreatedAt: now, UpdatedAt: now}
	ev := Event{Seq: 1, Action: Report, To: Reported, ActorID: actor.UserID, ActorName: actor.Username, ActorUnit: actor.Unit,
		At: now, Note: in.Description, Attachments: in.Attachments}
	return c, ev, nil
}

// Act takes one action on a case.
func (s *Service) Act(ctx context.Context, actor auth.Actor, id int64, a Action, in Input) (Case, error) {
	if !ValidAction(a) {
		return Case{}, xiuhua.Errorf(xiuhua.ENotFound, "unknown action %q", "未知操作 %q", a)
	}
	if err := s.checkBlobs(ctx, actor, id, in.Attachments); err != nil {
		return Case{}, err
	}
	var target *Unit
	if a == Dispatch && in.Unit != "" {
		u, err := s.Store.Unit(ctx, in.Unit)
		if err == nil {
			target = &Unit{Code: u.Code, Scope: u.Scope, Enabled: u.Enabled}
		} else if xiuhua.ErrorCode(err) != xiuhua.ENotFound {
			return Case{}, err
		}
	}
	return s.Store.UpdateCase(ctx, id, func(c Case) (Case, Event, error) {
		if !actor.Covers(c.Grid) {
			// Out of scope reads as absent: the case's existence is not the actor's business.
			return c, Event{}, notFound(id)
		}
		env := Env{Now: s.Now(), Clock: s.Clock, Target: target}
		if cat, ok := s.Category(c.Category); ok {
			env.Limit, env.ClockTime = cat.Limit(c.Urgency)
		}
		return Apply(c, actor, a, in, env)
	})
}

// Get returns a case and its history, if the actor may see it.
func (s *Service) Get(ctx context.Context, actor auth.Actor, id int64) (Case, []Event, error) {
	c, err := s.Store.Case(ctx, id)
	if err != nil {
		return c, nil, err
	}
	if !actor.Covers(c.Grid) {
		return Case{}, nil, notFound(id)
	}
	evs, err := s.Store.Events(ctx, id)
	return c, evs, err
}

// List returns cases in the actor's territory, newest first.
func (s *Service) List(ctx context.Context, actor auth.Actor, f Filter) ([]Case, error) {
	t, err := actor.Narrow(f.Territory)
	if err != nil {
		return nil, err
	}
	f.Territory = t
	// Doors validate their own page sizes; this only bounds what one call can pull.
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 1001)
	f.Now = s.Now()
	return s.Store.Cases(ctx, f)
}

// checkBlobs refuses attachments the actor may not attach to case id (0: a new report).
func (s *Service) checkBlobs(ctx context.Context, actor auth.Actor, id int64, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	missing, err := s.Store.UnusableBlobs(ctx, BlobUse{UserID: actor.UserID, Scope: actor.Scope, System: actor.Role == auth.System, Case: id}, ids)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return xiuhua.Errorf(xiuhua.EUnprocessable, "unknown attachments: %s (upload them to /api/v1/blobs first)",
			"附件不存在或无权使用：%s（请先上传到 /api/v1/blobs）", strings.Join(missing, ", "))
	}
	return nil
}

func notFound(id int64) error {
	return xiuhua.Errorf(xiuhua.ENotFound, "no case %d", "案件 %d 不存在", id)
}
