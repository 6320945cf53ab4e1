package portal

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/assess"
)

// The red and black lists (红黑榜) on the portal: the latest published
// assessment results, as the notice (通报) makes them public. Only what a
// publication freezes is read, never a live score, so a round still being
// inspected shows nothing; and only the period and the lists' unit names are
// shown, no scores, findings, correction reasons or who published.

func init() {
	pages["board"] = template.Must(template.New("layout.html").Funcs(template.FuncMap{"t": func(string, ...any) string { return "" }}).
		ParseFS(templateFS, "templates/layout.html", "templates/board.html"))
}

// boardList is a tier's red and black list by unit names.
type boardList struct {
	Tier       string
	Red, Black []string
}

// boardPart is one published round of the period: its territory and lists.
type boardPart struct {
	Territory string
	Published string
	Lists     []boardList
}

// boardScores mirrors what a scores publication's body holds that the board reads.
type boardScores struct {
	Result struct {
		Territory string `json:"territory"`
		Units     []struct {
			Unit string `json:"unit"`
			Name string `json:"name"`
		} `json:"units"`
		Lists []assess.TierList `json:"lists"`
	} `json:"result"`
}

// latestBoard reads the latest period's published scores (every round of it,
// each at its latest version). ok is false when nothing is published yet.
func (s *Server) latestBoard(ctx context.Context) (period assess.Period, parts []boardPart, ok bool, err error) {
	pubs, err := s.App.DB.LatestPublications(ctx, "scores")
	if err != nil {
		return period, nil, false, err
	}
	period, ok = latestPeriod(pubs)
	if !ok {
		return period, nil, false, nil
	}
	ix := s.App.Territory()
	name := func(code string) string {
		if a, ok := ix.Area(code); ok {
			return a.Name
		}
		return code
	}
	for _, h := range pubs {
		if h.Period != period.String() {
			continue
		}
		p, err := s.App.DB.Publication(ctx, h.ID)
		if err != nil {
			return period, nil, false, err
		}
		var b boardScores
		if err := json.Unmarshal(p.Body, &b); err != nil {
			return period, nil, false, xiuhua.Internal(fmt.Errorf("publication %d: %w", p.ID, err))
		}
		unitName := map[string]string{}
		for _, u := range b.Result.Units {
			unitName[u.Unit] = u.Name
		}
		names := func(codes []string) []string {
			out := make([]string, 0, len(codes))
			for _, c := range codes {
				if n := unitName[c]; n != "" {
					out = append(out, n)
				} else {
					out = append(out, name(c))
				}
			}
			return out
		}
		part := boardPart{Territory: name(b.Result.Territory), Published: p.CreatedAt.In(s.App.Calendar().Location()).Format("2006-01-02")}
		for _, l := range b.Result.Lists {
			part.Lists = append(part.Lists, boardList{Tier: name(l.Tier), Red: names(l.Red), Black: names(l.Black)})
		}
		parts = append(parts, part)
	}
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].Territory < parts[j].Territory })
	return period, parts, true, nil
}

// latestPeriod is the period of the publications that ends last; of two
// ending together (December and the fourth quarter) the longer, as the
// fuller result. ok is false when there is none.
func latestPeriod(pubs []assess.Publication) (period assess.Period, ok bool) {
	for _, p := range pubs {
		per, err := assess.ParsePeriod(p.Period)
		if err != nil {
			continue
		}
		if !ok || per.End.After(period.End) || per.End.Equal(period.End) && per.Start.Before(period.Start) {
			period, ok = per, true
		}
	}
	return period, ok
}

// periodName names a period in a language: 2026年10月 / October 2026,
// 2026年第四季度 / Q4 2026, 2026年度 / 2026.
func periodName(lang string, p assess.Period) string {
	y := p.Start.Year()
	switch p.Kind {
	case assess.Month:
		if lang == "en" {
			return p.Start.Month().String() + " " + fmt.Sprint(y)
		}
		return fmt.Sprintf("%d年%d月", y, p.Start.Month())
	case assess.Quarter:
		q := (int(p.Start.Month())-1)/3 + 1
		if lang == "en" {
			return fmt.Sprintf("Q%d %d", q, y)
		}
		return fmt.Sprintf("%d年第%s季度", y, []string{"一", "二", "三", "四"}[q-1])
	}
	if lang == "en" {
		return fmt.Sprint(y)
	}
	return fmt.Sprintf("%d年度", y)
}

// board is the public page of the latest red and black lists.
func (s *Server) board(w http.ResponseWriter, r *http.Request, q *request) error {
	per, parts, ok, err := s.latestBoard(r.Context())
	if err != nil {
		return err
	}
	data := map[string]any{"Published": ok}
	if ok {
		data["Period"], data["Parts"] = periodName(q.lang, per), parts
		data["Until"] = per.End.Add(-time.Millisecond).Format("2006-01-02")
		data["From"] = per.Start.Format("2006-01-02")
	}
	s.render(w, q, http.StatusOK, "board", data)
	return nil
}
