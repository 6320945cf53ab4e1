package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"github.com/xiuhua/xiuhua"
)

// Stages of a project, from its milestones.
const (
	Planned    = "planned"     // no milestone reached yet
	InProgress = "in_progress" // some reached
	Done       = "done"        // every milestone reached (and there is one)
)

// StageOf tells how far the works are: done when every milestone has been
// reached, planned when none has, in progress between.
func StageOf(p Project) string {
	reached := 0
	for _, m := range p.Milestones {
		if m.Actual != "" {
			reached++
		}
	}
	switch {
	case len(p.Milestones) > 0 && reached == len(p.Milestones):
		return Done
	case reached > 0:
		return InProgress
	}
	return Planned
}

// StageZh names the stages in Chinese.
var StageZh = map[string]string{Planned: "计划中", InProgress: "实施中", Done: "已完工"}

// maxAreaPoints bounds a project's polygon: a block is drawn with tens of
// points, an imported survey with hundreds.
const maxAreaPoints = 5000

// CheckArea validates a project's territory drawn or imported as a GeoJSON
// Polygon or MultiPolygon geometry (a Feature's geometry is taken too) and
// returns it in a normal form; null or empty is no area. Rings must be
// closed, have at least four positions, lie on the globe and enclose an
// area.
func CheckArea(raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	bad := func(en, zh string) error {
		e := xiuhua.Errorf(xiuhua.EInvalid, "invalid project area", "项目范围无效")
		e.Details = []string{en + " / " + zh}
		return e
	}
	var probe struct {
		Type     string          `json:"type"`
		Geometry json.RawMessage `json:"geometry"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, bad("area: not a GeoJSON object", "范围不是 GeoJSON 对象")
	}
	if probe.Type == "Feature" {
		raw = probe.Geometry
	}
	g, err := geojson.UnmarshalGeometry(raw)
	if err != nil || g == nil || g.Coordinates == nil {
		return nil, bad("area: not a GeoJSON geometry", "范围不是 GeoJSON 几何对象")
	}
	var polys []orb.Polygon
	switch v := g.Coordinates.(type) {
	case orb.Polygon:
		polys = []orb.Polygon{v}
	case orb.MultiPolygon:
		polys = v
	default:
		return nil, bad(fmt.Sprintf("area: a %s; it must be a Polygon or MultiPolygon", g.Coordinates.GeoJSONType()),
			fmt.Sprintf("范围为 %s，须为 Polygon 或 MultiPolygon", g.Coordinates.GeoJSONType()))
	}
	if len(polys) == 0 {
		return nil, bad("area: no polygon", "范围中没有多边形")
	}
	n := 0
	for i, p := range polys {
		if len(p) == 0 {
			return nil, bad(fmt.Sprintf("area: polygon %d has no ring", i+1), fmt.Sprintf("范围：第 %d 个多边形没有边界环", i+1))
		}
		for j, r := range p {
			n += len(r)
			if len(r) < 4 || !r.Closed() {
				return nil, bad(fmt.Sprintf("area: polygon %d ring %d must be closed with at least 4 positions", i+1, j+1),
					fmt.Sprintf("范围：第 %d 个多边形的第 %d 个环须闭合且至少有 4 个点", i+1, j+1))
			}
			for _, pt := range r {
				if math.IsNaN(pt[0]) || math.IsNaN(pt[1]) || math.Abs(pt[0]) > 180 || math.Abs(pt[1]) > 90 {
					return nil, bad("area: a position is not a longitude, latitude", "范围：有坐标不是有效的经纬度")
				}
			}
		}
		if planar.Area(p[0]) == 0 {
			return nil, bad(fmt.Sprintf("area: polygon %d encloses no area", i+1), fmt.Sprintf("范围：第 %d 个多边形面积为零", i+1))
		}
	}
	if n > maxAreaPoints {
		return nil, bad(fmt.Sprintf("area: %d positions, at most %d", n, maxAreaPoints), fmt.Sprintf("范围：共 %d 个点，最多 %d 个", n, maxAreaPoints))
	}
	out, err := json.Marshal(g)
	if err != nil {
		return nil, xiuhua.Internal(err)
	}
	return out, nil
}

// Photo kinds: before the works, during them, after them.
const (
	Before   = "before"
	Progress = "progress"
	After    = "after"
)

// PhotoKinds in the order shown.
var PhotoKinds = []string{Before, Progress, After}

// Photo is a photo of a project (a blob), with its kind, caption and the
// time it was taken.
type Photo struct {
	ID      int64     `json:"id"`
	Project int64     `json:"project"`
	Blob    string    `json:"blob"`
	Kind    string    `json:"kind"`
	Caption string    `json:"caption"`
	TakenAt time.Time `json:"taken_at"`
	AddedBy int64     `json:"added_by"`
	AddedAt time.Time `json:"added_at"`
}

// Suggestion kinds: a suggestion (金点子, 问计于民) or a comment.
const (
	KindSuggestion = "suggestion"
	KindComment    = "comment"
)

// Moderation states of a suggestion.
const (
	Pending  = "pending"
	Approved = "approved"
	Rejected = "rejected"
)

// Suggestion is a citizen's suggestion or comment on a project. Contact is
// private: it is never shown on the portal. Only approved suggestions are
// public; a rejection keeps its reason.
type Suggestion struct {
	ID          int64     `json:"id"`
	Project     int64     `json:"project"`
	Kind        string    `json:"kind"`
	Body        string    `json:"body"`
	Contact     string    `json:"contact,omitempty"`
	State       string    `json:"state"`
	Reason      string    `json:"reason,omitempty"`
	ModeratedBy int64     `json:"moderated_by,omitempty"`
	ModeratedAt time.Time `json:"moderated_at,omitzero"`
	CreatedAt   time.Time `json:"created_at"`
}

// Poll answers of a completed project's satisfaction poll, in the order
// shown (满意/基本满意/不满意): the portal's case ratings.
var PollAnswers = []string{"satisfied", "basic", "unsatisfied"}

// PollZh names the poll answers in Chinese.
var PollZh = map[string]string{"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"}

// Poll is a satisfaction poll's result.
type Poll struct {
	Votes       int            `json:"votes"`
	Counts      map[string]int `json:"counts"`
	Satisfied   int            `json:"satisfied"`
	Basic       int            `json:"basic"`
	Unsatisfied int            `json:"unsatisfied"`
	// Rate is the satisfaction rate (满意率): satisfied and basically
	// satisfied over all votes, in percent (nil: no vote yet).
	Rate *float64 `json:"rate"`
}

// Tally builds a poll's result from its counts.
func Tally(counts map[string]int) Poll {
	p := Poll{Counts: map[string]int{}}
	for _, a := range PollAnswers {
		p.Counts[a] = counts[a]
		p.Votes += counts[a]
	}
	p.Satisfied, p.Basic, p.Unsatisfied = counts["satisfied"], counts["basic"], counts["unsatisfied"]
	if p.Votes > 0 {
		r := round2(float64(p.Satisfied+p.Basic) * 100 / float64(p.Votes))
		p.Rate = &r
	}
	return p
}
