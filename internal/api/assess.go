package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/auth"
)

// assessRoutes registers assessment (考核): metrics, schemes, points,
// rounds, findings, scores and publications.
func (s *Server) assessRoutes() {
	s.handle("GET /api/v1/assess/metrics", s.assessMetrics)
	s.handle("GET /api/v1/assess/schemes", s.assessSchemes)
	s.handle("POST /api/v1/assess/schemes", s.assessPutScheme)
	s.handle("GET /api/v1/assess/points", s.assessPoints)
	s.handle("POST /api/v1/assess/points", s.assessPutPoint)
	s.handle("GET /api/v1/assess/rounds", s.assessRounds)
	s.handle("POST /api/v1/assess/rounds", s.assessCreateRound)
	s.handle("GET /api/v1/assess/rounds/{id}", s.assessRound)
	s.handle("GET /api/v1/assess/rounds/{id}/sample", s.assessSample)
	s.handle("POST /api/v1/assess/rounds/{id}/visits", s.assessVisit)
	s.handle("POST /api/v1/assess/rounds/{id}/inspected", s.assessInspected)
	s.handle("POST /api/v1/assess/rounds/{id}/findings", s.assessFinding)
	s.handle("GET /api/v1/assess/scores", s.assessScores)
	s.handle("POST /api/v1/assess/publish", s.assessPublish)
	s.handle("GET /api/v1/assess/publications", s.assessPublications)
	s.assessUnitsRoutes()
}

// assessService binds assessment to the app; its clock is the case loop's.
func (s *Server) assessService() *assess.Service {
	return s.App.AssessService()
}

func periodParam(r *http.Request) (assess.Period, error) {
	return assess.ParsePeriod(r.URL.Query().Get("period"))
}

func roundID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, xiuhua.Errorf(xiuhua.ENotFound, "no round %s", "考核轮次 %s 不存在", r.PathValue("id"))
	}
	return id, nil
}

// weightsParam reads "4000,3000,2000,1000" (basis points of on-time handling,
// closure, no rework, no overdue).
func weightsParam(v string) (assess.Weights, error) {
	if v == "" {
		return assess.DefaultWeights, nil
	}
	parts := strings.Split(v, ",")
	bad := xiuhua.Errorf(xiuhua.EInvalid, "weights must be four basis-point integers summing to 10000, e.g. 4000,3000,2000,1000",
		"weights 须为合计 10000 的四个万分数整数，如 4000,3000,2000,1000")
	if len(parts) != 4 {
		return assess.Weights{}, bad
	}
	var n [4]int64
	for i, p := range parts {
		x, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if err != nil {
			return assess.Weights{}, bad
		}
		n[i] = x
	}
	w := assess.Weights{OnTimeHandling: n[0], Closure: n[1], NoRework: n[2], NoOverdue: n[3]}
	return w, w.Check()
}

func (s *Server) assessMetrics(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	per, err := periodParam(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	wt, err := weightsParam(q.Get("weights"))
	if err != nil {
		return err
	}
	res, err := s.assessService().Metrics(r.Context(), a, assess.MetricsQuery{Period: per, By: q.Get("by"), Territory: q.Get("territory"),
		Unit: q.Get("unit"), Weights: wt})
	if err != nil {
		return err
	}
	writeJSON(w, 200, res)
	return nil
}

func (s *Server) assessSchemes(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	out, err := s.assessService().Schemes(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, 200, map[string]any{"items": out})
	return nil
}

func (s *Server) assessPutScheme(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var sc assess.Scheme
	if err := decode(r, &sc); err != nil {
		return err
	}
	out, err := s.assessService().PutScheme(r.Context(), a, sc)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) assessPoints(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	out, err := s.assessService().Points(r.Context(), a, r.URL.Query().Get("territory"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, map[string]any{"items": out, "types": assess.PointTypes})
	return nil
}

func (s *Server) assessPutPoint(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var in assess.PointInput
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := s.assessService().PutPoint(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) assessRounds(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	out, err := s.assessService().Rounds(r.Context(), a, r.URL.Query().Get("period"))
	if err != nil {
		return err
	}
	for i := range out {
		out[i].Strata = nil // the sample has its own endpoint
	}
	writeJSON(w, 200, map[string]any{"items": out})
	return nil
}

func (s *Server) assessCreateRound(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var in assess.RoundInput
	if err := decode(r, &in); err != nil {
		return err
	}
	rd, pts, err := s.assessService().CreateRound(r.Context(), a, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/assess/rounds/"+strconv.FormatInt(rd.ID, 10))
	writeJSON(w, http.StatusCreated, assess.RoundDetail{Round: rd, Points: pts, Findings: []assess.Finding{}})
	return nil
}

func (s *Server) assessRound(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := roundID(r)
	if err != nil {
		return err
	}
	d, err := s.assessService().Round(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, 200, d)
	return nil
}

// assessSample shows the recorded sample and redraws it from its seed.
func (s *Server) assessSample(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := roundID(r)
	if err != nil {
		return err
	}
	d, err := s.assessService().Round(r.Context(), a, id)
	if err != nil {
		return err
	}
	re := assess.Redraw(d.Round)
	writeJSON(w, 200, map[string]any{"round": d.ID, "seed": strconv.FormatUint(d.Seed, 10), "algorithm": d.Algorithm, "sizes": d.Sizes,
		"strata": d.Strata, "redraw_matches": reflect.DeepEqual(re, d.Strata)})
	return nil
}

func (s *Server) assessVisit(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := roundID(r)
	if err != nil {
		return err
	}
	var in struct {
		Point string `json:"point"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	rp, err := s.assessService().AddVisit(r.Context(), a, id, in.Point)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rp)
	return nil
}

func (s *Server) assessInspected(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := roundID(r)
	if err != nil {
		return err
	}
	var in struct {
		Point string `json:"point"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := s.assessService().Inspected(r.Context(), a, id, in.Point); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) assessFinding(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := roundID(r)
	if err != nil {
		return err
	}
	var in assess.FindingInput
	if err := decode(r, &in); err != nil {
		return err
	}
	f, c, err := s.assessService().RecordFinding(r.Context(), a, id, in)
	if err != nil {
		return err
	}
	s.actions.WithLabelValues("report").Inc()
	writeJSON(w, http.StatusCreated, map[string]any{"finding": f, "case": s.caseOut(c, a, time.Now())})
	return nil
}

func (s *Server) assessScores(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	q := r.URL.Query()
	var round int64
	if v := q.Get("round"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return xiuhua.Errorf(xiuhua.EInvalid, "round must be a round id", "round 须为考核轮次编号")
		}
		round = n
	} else if _, err := periodParam(r); err != nil {
		return err
	}
	sc, err := s.assessService().Scores(r.Context(), a, assess.ScoreQuery{Round: round, Period: q.Get("period"), Scheme: q.Get("scheme")})
	if err != nil {
		return err
	}
	writeJSON(w, 200, sc)
	return nil
}

// publicationJSON is a publication with its frozen body.
type publicationJSON struct {
	assess.Publication
	Body       json.RawMessage `json:"body"`
	Recomputes *bool           `json:"recomputes,omitempty"`
}

func (s *Server) assessPublish(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var in assess.PublishInput
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := s.assessService().Publish(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, publicationJSON{Publication: p, Body: p.Body})
	return nil
}

// assessPublications lists a period's published versions; verify=true
// recomputes each from the ledger and says whether it matches byte for byte.
func (s *Server) assessPublications(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	q := r.URL.Query()
	if q.Get("kind") == "" || q.Get("scope") == "" {
		return xiuhua.Errorf(xiuhua.EInvalid, "kind, period and scope are required (scope as returned by publish, e.g. round:3 or metrics:unit:320213)",
			"须提供 kind、period 和 scope（scope 为发布时返回的值，如 round:3 或 metrics:unit:320213）")
	}
	svc := s.assessService()
	ps, err := svc.Publications(r.Context(), a, q.Get("kind"), q.Get("period"), q.Get("scope"))
	if err != nil {
		return err
	}
	items := make([]publicationJSON, len(ps))
	for i, p := range ps {
		items[i] = publicationJSON{Publication: p, Body: p.Body}
		if q.Get("verify") == "true" {
			same, _, err := svc.Recompute(r.Context(), a, p)
			if err != nil {
				return err
			}
			items[i].Recomputes = &same
		}
	}
	writeJSON(w, 200, map[string]any{"items": items})
	return nil
}
