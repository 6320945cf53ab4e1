package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/plan"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestConsoleBadInput: the plan and assessment console pages, as every
// role, with malformed ids, years, territories and forms: never a 500; and
// every POST without the CSRF token is refused (403); a citizen's contact
// on a suggestion shows to the admin, on no page of anyone who does not plan.
func TestConsoleBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		// A project open for suggestions, with one waiting, and a target: the
		// forms below reach past the id checks into the services.
		ctx := context.Background()
		svc := e.web.planService()
		admin := e.f.Actors["admin"]
		pr, err := svc.SaveProject(ctx, admin, plan.Project{Name: "背街小巷整治", Kind: plan.BackAlley, Territory: "320213022010",
			Milestones: []plan.Step{{Name: "开工", Planned: "2026-01-10"}}, Outputs: []plan.Output{{Name: "路面", Unit: "米", Planned: 100}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetConsultation(ctx, admin, pr.ID, plan.ConsultInput{Public: true, Consult: true}); err != nil {
			t.Fatal(err)
		}
		sg, err := svc.Suggest(ctx, pr.ID, plan.SuggestInput{Kind: plan.KindSuggestion, Body: "增加路灯照明", Contact: "13800000000"})
		if err != nil {
			t.Fatal(err)
		}
		pp := fmt.Sprintf("/plan/projects/%d", pr.ID)
		for _, who := range []string{"admin", "dispatcher", "dispatcher-jx", "inspector", "san", "jiale", "leader"} {
			c := e.client()
			c.login(who)
			tok := csrf(t, c.get("/cases"))
			gets := []string{"/plan", "/plan/targets?year=abc", "/plan/targets?year=2026&unit=%00", "/plan/targets/0", "/plan/targets/abc", "/plan/targets/99/photos/zz",
				"/plan/statements?year=1", "/plan/statements/99", "/plan/statements/x/print", "/plan/projects?territory=999&kind=zz", "/plan/projects/99",
				"/plan/projects/1/photos/abc", pp, pp + "/photos/zz", "/plan/report.xlsx?year=2026&territory=999", "/plan/report.html?year=x", "/plan/report.html?territory=320213023",
				"/assess/schemes", "/assess/schemes/abc", "/assess/schemes/99", "/assess/schemes/new?from=x", "/assess/schemes/new?from=99", "/assess/schemes/99/edit",
				"/assess/rounds/new", "/assess/points?territory=999&type=zz&edit=zz", "/assess/trend?scheme=zz&unit=zz", "/assess/trend?unit=320213023",
				"/assess/units", "/assess/units?done=import&created=x", "/assess/publications/abc/notice.xlsx", "/assess/publications/99/notice.xlsx",
				"/assess/scores?round=abc", "/assess/scores?period=2026-13"}
			for _, g := range gets {
				p := c.get(g)
				if p.status >= 500 {
					t.Errorf("%s GET %s: %d %s", who, g, p.status, alert(p.body))
				}
				// A citizen's contact is for who plans the project's territory only.
				if planner := who == "admin" || who == "leader"; !planner && strings.Contains(p.body, "13800000000") {
					t.Errorf("%s GET %s shows the citizen's contact", who, g)
				}
				if who == "admin" && g == pp && !strings.Contains(p.body, "13800000000") {
					t.Errorf("the admin does not see the contact on %s", g)
				}
			}
			posts := map[string]url.Values{
				"/plan/targets":                            {"year": {"x"}},
				"/plan/targets/99/reports":                 {"value": {"x"}},
				"/plan/statements":                         {"year": {"2026"}, "target": {"x"}},
				"/plan/statements/99/sign":                 {"confirm": {"yes"}},
				"/plan/projects":                           {"budget": {"1e99"}, "area": {"{"}},
				"/plan/projects/99":                        {"version": {"x"}},
				"/plan/projects/99/photos":                 {"kind": {"zz"}},
				"/plan/projects/99/consult":                {"public": {"yes"}},
				"/plan/projects/99/suggestions/x":          {"decision": {"zz"}},
				"/plan/projects/99/suggestions/5":          {"decision": {"approve"}},
				"/assess/schemes":                          {"code": {"x"}, "i_key": {"a", "a"}},
				"/assess/schemes/99":                       {"code": {"x"}},
				"/assess/rounds":                           {"scheme": {"x@y"}, "seed": {"-1"}, "size.main_road": {"x"}},
				"/assess/points":                           {"lat": {"x"}},
				"/assess/points/import":                    {},
				"/assess/publish":                          {"round": {"99"}},
				"/assess/units/import":                     {},
				pp:                                         {"version": {"1"}, "spent": {"x"}},
				pp + "/consult":                            {"consult": {"yes"}},
				pp + "/photos":                             {"kind": {"before"}, "taken": {"2026-13-01"}},
				pp + fmt.Sprintf("/suggestions/%d", sg.ID): {"decision": {"reject"}, "reason": {" "}},
			}
			for path, form := range posts {
				form.Set("_csrf", tok)
				if p := c.post(path, form); p.status >= 500 {
					t.Errorf("%s POST %s: %d %s", who, path, p.status, alert(p.body))
				}
				// Without the token: refused.
				f2 := url.Values{}
				for k, v := range form {
					if k != "_csrf" {
						f2[k] = v
					}
				}
				if p := c.post(path, f2); p.status != 403 {
					t.Errorf("%s POST %s without CSRF: %d", who, path, p.status)
				}
			}
		}
	})
}
