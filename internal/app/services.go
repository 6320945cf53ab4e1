package app

import (
	"context"

	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/plan"
	"github.com/xiuhua/xiuhua/internal/territory"
)

// AssessService binds assessment to the app, for every door (API, console,
// command line, background jobs): its clock is the case loop's, and
// organisation units are placed by the territory they serve, so that each
// door shows the same units to the same reader.
func (a *App) AssessService() *assess.Service {
	return &assess.Service{Store: a.DB, Cases: a.Cases, Calendar: a.Calendar, Locate: a.Locate, Category: a.Category,
		Area: func(code string) (territory.Area, bool) { return a.Territory().Area(code) }, Now: a.Cases.Now,
		UnitScope: func(code string) (string, bool) {
			u, err := a.DB.Unit(context.Background(), code)
			return u.Scope, err == nil
		}}
}

// PlanService binds targets, statements and projects to the app, with
// targets computed from assessment through AssessService.
func (a *App) PlanService() *plan.Service {
	ps := &plan.Service{
		Store:       a.DB,
		Ancestors:   func(code string) []string { return a.Territory().Ancestors(code) },
		HasCategory: func(code string) bool { _, ok := a.Category(code); return ok },
		Now:         a.Cases.Now,
	}
	ps.UseAssessment(a.AssessService())
	return ps
}

// CodeNames names organisation units by their names and territory codes by
// the tree (units first: a unit's code may look like an area's), for a
// notice or a report that prints codes people must read.
func (a *App) CodeNames(ctx context.Context) func(string) string {
	units := map[string]string{}
	if us, err := a.DB.Units(ctx, ""); err == nil {
		for _, u := range us {
			units[u.Code] = u.Name
		}
	}
	tree := a.Territory()
	return func(code string) string {
		if n, ok := units[code]; ok {
			return n
		}
		if ar, ok := tree.Area(code); ok {
			return ar.Name
		}
		return ""
	}
}
