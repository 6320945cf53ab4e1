package portal

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"html/template"
	"io"
	"net/http"
	"slices"
	"strconv"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/blob"
	"github.com/xiuhua/xiuhua/internal/plan"
	"github.com/xiuhua/xiuhua/internal/reqtext"
)

// Public consultation on renovation projects (问情于民、问需于民、问计于民、
// 问绩于民): the projects published by staff, each with its area on a map,
// milestones, outputs, budget and photos before and after; a suggestion
// form (金点子) while the project is open for them, shown only once staff
// approve them, the contact never; and, once the works are done, a
// satisfaction poll of one vote per browser and none from the same address
// within plan.VoteWindow.

// projectRoutes registers the project pages on the portal's mux.
func (s *Server) projectRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /public/projects", s.handle(s.projects))
	m.HandleFunc("GET /public/projects/{id}", s.handle(s.projectPage))
	m.HandleFunc("POST /public/projects/{id}/suggest", s.handle(s.suggest))
	m.HandleFunc("POST /public/projects/{id}/vote", s.handle(s.vote))
	m.HandleFunc("GET /public/projects/{id}/photo/{blob}", s.handle(s.projectPhoto))
}

func init() {
	funcs := template.FuncMap{"t": func(string, ...any) string { return "" }}
	for _, p := range []string{"projects", "project"} {
		pages[p] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+p+".html"))
	}
}

// plans is the plan service as the portal uses it: public methods only.
func (s *Server) plans() *plan.Service {
	return &plan.Service{Store: s.App.DB, Now: s.Now}
}

const voterCookie = "xh_public_voter"

// voter returns the hash of the browser's voting cookie, setting a new
// cookie when there is none ("" then: the browser has not shown one yet).
func (s *Server) voter(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(voterCookie); err == nil && len(c.Value) == 32 {
		if _, err := hex.DecodeString(c.Value); err == nil {
			h := sha256.Sum256([]byte("voter|" + c.Value))
			return hex.EncodeToString(h[:])
		}
	}
	b := make([]byte, 16)
	rand.Read(b)
	http.SetCookie(w, &http.Cookie{Name: voterCookie, Value: hex.EncodeToString(b), Path: Prefix + "projects/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(r)})
	return ""
}

// ipHash keeps no address: only a hash to refuse a second vote from it.
func ipHash(ip string) string {
	h := sha256.Sum256([]byte("vote-ip|" + ip))
	return hex.EncodeToString(h[:])
}

// projectCard is what the list shows of a project.
type projectCard struct {
	ID                   int64
	Name, Kind, Place    string
	Stage, StageKey      string
	Budget, Spent        string
	Consult, Poll        bool
	LateMilestones, Done int
	Total                int
}

func wan(yuan int64) string { return strconv.FormatFloat(float64(yuan)/10000, 'f', -1, 64) }

func (s *Server) place(code string) string {
	if a, ok := s.App.Territory().Area(code); ok {
		return a.Name
	}
	return code
}

func (s *Server) card(q *request, p plan.Project) projectCard {
	c := projectCard{ID: p.ID, Name: p.Name, Kind: translate(q.lang, "project.kind."+p.Kind), Place: s.place(p.Territory),
		Stage: translate(q.lang, "project.stage."+p.Stage), StageKey: p.Stage, Budget: wan(p.Budget), Spent: wan(p.Spent),
		Consult: p.Consult, Poll: p.Stage == plan.Done, LateMilestones: p.LateMilestones, Total: len(p.Milestones)}
	for _, m := range p.Milestones {
		if m.Actual != "" {
			c.Done++
		}
	}
	return c
}

func (s *Server) projects(w http.ResponseWriter, r *http.Request, q *request) error {
	ps, err := s.plans().PublicProjects(r.Context())
	if err != nil {
		return err
	}
	var cards []projectCard
	for _, p := range ps {
		cards = append(cards, s.card(q, p))
	}
	s.render(w, q, http.StatusOK, "projects", map[string]any{"Projects": cards})
	return nil
}

func projectID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, xiuhua.Errorf(xiuhua.ENotFound, "No such project.", "项目不存在。")
	}
	return id, nil
}

// milestoneRow is a milestone as shown.
type milestoneRow struct {
	Name, Planned, Actual string
	Late                  bool
}

// photoGroup is the photos of one kind.
type photoGroup struct {
	Kind, Title string
	Photos      []plan.Photo
}

// pollRow is one answer of the poll with its share.
type pollRow struct {
	Answer, Label string
	Count         int
	Percent       string
	Width         int
}

func (s *Server) projectPage(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.showProject(w, r, q, http.StatusOK, nil, nil)
}

// showProject renders a project's page, with the suggestion form as
// entered and the problems found when a suggestion was refused.
func (s *Server) showProject(w http.ResponseWriter, r *http.Request, q *request, status int, form map[string]string, problems []string) error {
	id, err := projectID(r)
	if err != nil {
		return err
	}
	v, err := s.plans().PublicProject(r.Context(), id)
	if err != nil {
		return err
	}
	s.voter(w, r)
	p := v.Project
	today := s.Now().In(s.App.Calendar().Location()).Format("2006-01-02")
	var steps []milestoneRow
	for _, m := range p.Milestones {
		steps = append(steps, milestoneRow{m.Name, m.Planned, m.Actual, m.Late(today)})
	}
	var groups []photoGroup
	for _, k := range plan.PhotoKinds {
		g := photoGroup{Kind: k, Title: translate(q.lang, "project.photos."+k)}
		for _, ph := range v.Photos {
			if ph.Kind == k {
				g.Photos = append(g.Photos, ph)
			}
		}
		if len(g.Photos) > 0 {
			groups = append(groups, g)
		}
	}
	type suggestionRow struct{ Kind, Body, When string }
	var sgs []suggestionRow
	for _, sg := range v.Suggestions {
		sgs = append(sgs, suggestionRow{translate(q.lang, "project.kind_"+sg.Kind), sg.Body, s.when(sg.CreatedAt)})
	}
	data := map[string]any{
		"P": s.card(q, p), "Milestones": steps, "Outputs": p.Outputs, "Groups": groups, "Suggestions": sgs,
		"Area": string(p.Area), "TileURL": s.Config.TileURL, "TileAttribution": s.Config.TileAttribution,
		"SpentRate": "", "Form": form, "Problems": problems,
		"Suggested": r.URL.Query().Get("suggested") == "1", "Voted": r.URL.Query().Get("voted") == "1",
	}
	if p.Budget > 0 {
		data["SpentRate"] = strconv.FormatFloat(float64(p.Spent)*100/float64(p.Budget), 'f', 1, 64)
	}
	if v.Poll != nil {
		var rows []pollRow
		for _, a := range plan.PollAnswers {
			row := pollRow{Answer: a, Label: translate(q.lang, "rating."+a), Count: v.Poll.Counts[a], Percent: "0"}
			if v.Poll.Votes > 0 {
				pct := float64(row.Count) * 100 / float64(v.Poll.Votes)
				row.Percent, row.Width = strconv.FormatFloat(pct, 'f', 1, 64), int(pct+0.5)
			}
			rows = append(rows, row)
		}
		data["Poll"], data["PollRows"], data["PollVotes"] = v.Poll, rows, v.Poll.Votes
		if v.Poll.Rate != nil {
			data["PollRate"] = strconv.FormatFloat(*v.Poll.Rate, 'f', -1, 64)
		}
	}
	s.render(w, q, status, "project", data)
	return nil
}

// suggest takes a citizen's suggestion or comment: CSRF, honeypot and the
// post limit as on the report form; it waits for moderation.
func (s *Server) suggest(w http.ResponseWriter, r *http.Request, q *request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 32<<10)
	if err := r.ParseForm(); err != nil {
		return xiuhua.Errorf(xiuhua.ETooLarge, "The suggestion is too long.", "意见内容过长。")
	}
	v := r.PostForm
	if !checkCSRF(q, v.Get("csrf")) {
		return xiuhua.Errorf(xiuhua.EForbidden, "The form has expired: please reload the page and send it again.", "表单已失效，请刷新页面后重新提交。")
	}
	if err := reqtext.Check(r); err != nil {
		return err
	}
	if v.Get("website") != "" {
		return xiuhua.Errorf(xiuhua.EInvalid, "The suggestion was refused as automated. If you are a person, please reload the page and send it again.",
			"提交被识别为自动程序而被拒绝。如您是人工填写，请刷新页面后重新提交。")
	}
	id, err := projectID(r)
	if err != nil {
		return err
	}
	in := plan.SuggestInput{Kind: v.Get("kind"), Body: v.Get("body"), Contact: v.Get("contact")}
	if _, err := s.plans().Suggest(r.Context(), id, in); err != nil {
		e := xiuhua.AsError(err)
		if e.Code != xiuhua.EInvalid {
			return err
		}
		var probs []string
		for _, d := range e.Details {
			probs = append(probs, pickHalf(d, q.lang))
		}
		return s.showProject(w, r, q, http.StatusBadRequest, map[string]string{"kind": in.Kind, "body": in.Body, "contact": in.Contact}, probs)
	}
	http.Redirect(w, r, Prefix+"projects/"+strconv.FormatInt(id, 10)+"?suggested=1#suggest", http.StatusSeeOther)
	return nil
}

// vote records a satisfaction vote on a completed project.
func (s *Server) vote(w http.ResponseWriter, r *http.Request, q *request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		return xiuhua.Errorf(xiuhua.ETooLarge, "The vote is too long.", "提交内容过长。")
	}
	if !checkCSRF(q, r.PostForm.Get("csrf")) {
		return xiuhua.Errorf(xiuhua.EForbidden, "The form has expired: please reload the page and send it again.", "表单已失效，请刷新页面后重新提交。")
	}
	if err := reqtext.Check(r); err != nil {
		return err
	}
	id, err := projectID(r)
	if err != nil {
		return err
	}
	voter := s.voter(w, r)
	if err := s.plans().Vote(r.Context(), id, voter, ipHash(s.clientIP(r)), r.PostForm.Get("rating")); err != nil {
		return err
	}
	http.Redirect(w, r, Prefix+"projects/"+strconv.FormatInt(id, 10)+"?voted=1#poll", http.StatusSeeOther)
	return nil
}

// projectPhoto serves a photo of a published project, cleaned on the way
// out as case photos are: staff photos were not cleaned when uploaded.
func (s *Server) projectPhoto(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := projectID(r)
	if err != nil {
		return err
	}
	v, err := s.plans().PublicProject(r.Context(), id)
	if err != nil {
		return err
	}
	bid := r.PathValue("blob")
	if !blob.ValidID(bid) || !slices.ContainsFunc(v.Photos, func(ph plan.Photo) bool { return ph.Blob == bid }) {
		return xiuhua.Errorf(xiuhua.ENotFound, "No such photo.", "照片不存在。")
	}
	return s.sendPhoto(w, bid)
}

// sendPhoto sends a stored photo the caller has decided is public, cleaned
// on the way out (metadata stripped, size bounded).
func (s *Server) sendPhoto(w http.ResponseWriter, id string) error {
	f, err := s.App.Blobs.Open(id)
	if err != nil {
		return xiuhua.Errorf(xiuhua.ENotFound, "No such photo.", "照片不存在。")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, blob.MaxSize+1))
	if err != nil {
		return err
	}
	clean, ct, err := Clean(data, s.Config.MaxPixels)
	if err != nil {
		return xiuhua.Errorf(xiuhua.ENotFound, "No such photo.", "照片不存在。")
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Cache-Control", "private, max-age=3600")
	w.Write(clean)
	return nil
}
