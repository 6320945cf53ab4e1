package assess

import (
	"context"
	"time"
)

// SchemeStore is what schemes, points, rounds, findings and publications
// need from storage.
type SchemeStore interface {
	PutScheme(ctx context.Context, s Scheme, by int64) (Scheme, error)
	Scheme(ctx context.Context, id int64) (Scheme, error)
	SchemeVersion(ctx context.Context, code string, version int) (Scheme, error)
	Schemes(ctx context.Context) ([]Scheme, error)
	PutPoint(ctx context.Context, p Point) error
	Point(ctx context.Context, code string) (Point, error)
	Points(ctx context.Context, territory string) ([]Point, error)
	CreateRound(ctx context.Context, r *Round, points []RoundPoint, by int64) error
	Round(ctx context.Context, id int64) (Round, error)
	Rounds(ctx context.Context, period string) ([]Round, error)
	RoundPoints(ctx context.Context, round int64) ([]RoundPoint, error)
	AddRoundPoint(ctx context.Context, p RoundPoint) error
	MarkInspected(ctx context.Context, round int64, point string, by int64, at time.Time) error
	AddFinding(ctx context.Context, f *Finding) error
	LinkFinding(ctx context.Context, id, caseID int64) error
	DeleteFinding(ctx context.Context, id int64) error
	Findings(ctx context.Context, round int64) ([]Finding, error)
	CaseSummaries(ctx context.Context, ids []int64, cutoff int64) (map[int64]Summary, error)
	Publish(ctx context.Context, p *Publication) error
	Publications(ctx context.Context, kind, period, scope string) ([]Publication, error)
	Publication(ctx context.Context, id int64) (Publication, error)
}
