package assess

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/audit"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/territory"
)

// MgmtLevel is the scheme level that scores custom management units.
const MgmtLevel = "management_unit"

// MgmtUnit is a management unit (管理单元): a set of unit grids an assessment
// scores as one, e.g. a stretch of road with its frontages or a market with
// its surroundings, cut across community lines. Parent is the territory it
// lies in (every grid is inside it): scopes and tiers read it, the way they
// read a community's code. A grid is in at most one management unit, so the
// management units are one level of the scheme, like communities.
type MgmtUnit struct {
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	Parent    string    `json:"parent"`
	Grids     []string  `json:"grids"`
	UpdatedAt time.Time `json:"updated_at"`
}

// MgmtStore keeps management units.
type MgmtStore interface {
	// MgmtUnits lists every management unit by code, grids sorted.
	MgmtUnits(ctx context.Context) ([]MgmtUnit, error)
	// PutMgmtUnits adds or replaces management units (their grid lists
	// whole) in one transaction.
	PutMgmtUnits(ctx context.Context, us []MgmtUnit) error
}

// isTerritoryCode: territory codes are digits; a management unit's code
// never is, so a unit code says which kind it is.
func isTerritoryCode(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// MgmtResult is what putting management units did.
type MgmtResult struct {
	Created int        `json:"created"`
	Updated int        `json:"updated"`
	Units   []MgmtUnit `json:"units"`
}

// PutMgmtUnits adds or replaces management units, all or nothing: every
// problem of every unit is reported at once. A grid moved from one unit to
// another must leave the first in the same call.
func (s *Service) PutMgmtUnits(ctx context.Context, actor auth.Actor, us []MgmtUnit) (MgmtResult, error) {
	if err := canAssess(actor); err != nil {
		return MgmtResult{}, err
	}
	if len(us) == 0 || len(us) > 10000 {
		return MgmtResult{}, xiuhua.Errorf(xiuhua.EInvalid, "give 1–10000 management units", "须提供1至10000个管理单元")
	}
	existing, err := s.Store.MgmtUnits(ctx)
	if err != nil {
		return MgmtResult{}, err
	}
	owner := map[string]string{} // grid → unit, after this call
	known := map[string]string{} // code → parent
	for _, u := range existing {
		known[u.Code] = u.Parent
	}
	batch := map[string]bool{}
	for _, u := range us {
		batch[u.Code] = true
	}
	for _, u := range existing {
		if batch[u.Code] {
			continue // replaced whole
		}
		for _, g := range u.Grids {
			owner[g] = u.Code
		}
	}
	var probs []string
	add := func(code, en, zh string, args ...any) {
		probs = append(probs, fmt.Sprintf("unit %q: "+en+" / 管理单元 %q："+zh, append(append([]any{code}, args...), append([]any{code}, args...)...)...))
	}
	seen := map[string]bool{}
	now := s.Now().UTC().Truncate(time.Millisecond)
	for i := range us {
		u := &us[i]
		u.Name, u.Parent, u.UpdatedAt = strings.TrimSpace(u.Name), strings.TrimSpace(u.Parent), now
		if !codeRE.MatchString(u.Code) || isTerritoryCode(u.Code) {
			add(u.Code, "code must be 1–64 letters, digits, '.', '_' or '-', not only digits", "编码须为1至64位字母、数字或 . _ -，且不能全为数字")
		} else if seen[u.Code] {
			add(u.Code, "given twice", "重复")
		} else if p, ok := known[u.Code]; ok && !actor.Covers(p) {
			// Another jurisdiction's unit is not redefined from here.
			add(u.Code, "the code is taken by a unit outside your jurisdiction", "该编码已被您管辖范围外的管理单元使用")
		}
		seen[u.Code] = true
		if u.Name == "" || utf8.RuneCountInString(u.Name) > 200 {
			add(u.Code, "name is required (at most 200 characters)", "名称必填且不超过200字")
		}
		pa, parentOK := s.area(u.Parent)
		if parentOK = parentOK && pa.Level != territory.Grid; !parentOK {
			add(u.Code, "parent %q is not a district, street or community", "上级区域 %q 不是区、街道或社区", u.Parent)
		} else if !actor.Covers(u.Parent) {
			add(u.Code, "parent %s is outside your jurisdiction", "上级区域 %s 不在您的管辖范围内", u.Parent)
		}
		if len(u.Grids) == 0 || len(u.Grids) > 10000 {
			add(u.Code, "give 1–10000 grids", "须包含1至10000个网格")
		}
		for j, g := range u.Grids {
			g = strings.TrimSpace(g)
			u.Grids[j] = g
			ga, ok := s.area(g)
			switch {
			case !ok || ga.Level != territory.Grid:
				add(u.Code, "%q is not a unit grid", "%q 不是单元网格", g)
			case parentOK && !auth.Within(g, u.Parent):
				add(u.Code, "grid %s is not inside %s", "网格 %s 不在 %s 内", g, u.Parent)
			case owner[g] != "":
				add(u.Code, "grid %s is already in management unit %s", "网格 %s 已属于管理单元 %s", g, owner[g])
			default:
				owner[g] = u.Code
			}
		}
		sort.Strings(u.Grids)
	}
	if len(probs) > 0 {
		e := xiuhua.Errorf(xiuhua.EInvalid, "invalid management units: %s", "管理单元有误：%s", strings.Join(probs, "; "))
		e.Details = probs
		return MgmtResult{}, e
	}
	if err := s.Store.PutMgmtUnits(audit.WithActor(ctx, actor.UserID), us); err != nil {
		return MgmtResult{}, err
	}
	res := MgmtResult{Units: us}
	for _, u := range us {
		if _, ok := known[u.Code]; ok {
			res.Updated++
		} else {
			res.Created++
		}
	}
	return res, nil
}

func (s *Service) area(code string) (territory.Area, bool) {
	if s.Area == nil || code == "" {
		return territory.Area{}, false
	}
	return s.Area(code)
}

// MgmtUnits lists the management units in or around a territory (within the
// actor's scope): those whose parent is inside it or contains it.
func (s *Service) MgmtUnits(ctx context.Context, actor auth.Actor, terr string) ([]MgmtUnit, error) {
	if err := canSeeRounds(actor); err != nil {
		return nil, err
	}
	t, err := actor.Narrow(terr)
	if err != nil {
		return nil, err
	}
	all, err := s.Store.MgmtUnits(ctx)
	if err != nil {
		return nil, err
	}
	out := []MgmtUnit{}
	for _, u := range all {
		if auth.Within(u.Parent, t) || auth.Within(t, u.Parent) {
			out = append(out, u)
		}
	}
	return out, nil
}

// unitArea returns what places a scored unit in the territory: a management
// unit's parent, or a territory unit's own code.
func (s *Service) unitArea(ctx context.Context) (func(unit string) string, error) {
	us, err := s.Store.MgmtUnits(ctx)
	if err != nil {
		return nil, err
	}
	parent := make(map[string]string, len(us))
	for _, u := range us {
		parent[u.Code] = u.Parent
	}
	return func(unit string) string {
		if isTerritoryCode(unit) {
			return unit
		}
		return parent[unit]
	}, nil
}

// mgmtNames names the management units by code.
func (s *Service) mgmtNames(ctx context.Context) (map[string]string, error) {
	us, err := s.Store.MgmtUnits(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(us))
	for _, u := range us {
		out[u.Code] = u.Name
	}
	return out, nil
}
