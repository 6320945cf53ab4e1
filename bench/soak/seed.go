package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/demo"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/territory"
)

// handlers are the demo's handler accounts by the unit they work for: the
// soak dispatches only to these, so that every case can go round the loop.
var handlers = map[string]string{"sanitation": "sanitation", "law_enforcement": "lawenf"}

// tracked is a case the load knows the state and version of.
type tracked struct {
	ID      int64
	Code    string
	Version int
	Duty    string // the category's duty: which unit and handler it goes to
}

// seeded is what the load starts from.
type seeded struct {
	Tokens    map[string]string // demo username → API token
	Photos    map[string]string // username → a photo id that user uploaded (for handle and verify)
	Points    [][2]float64      // lon/lat inside 梁溪区's grids
	Codes     map[string]string // category code → duty, of the categories the soak reports
	CodeList  []string
	Pools     map[casework.State][]tracked
	Cases     int // cases in the store
	SeedTime  time.Duration
	DemoCases int
}

// seed fills the store: the demo (Wuxi territory, units, users, a few hundred
// cases and an assessment) and n more cases in 梁溪区, spread over the past
// four weeks and over every state of the loop, on a simulated clock.
func seed(ctx context.Context, data, dbURL string, n int, rng *mrand.Rand, log io.Writer) (*seeded, error) {
	start := time.Now()
	db, err := store.Open(ctx, data, dbURL)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	a, err := app.New(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		return nil, err
	}
	res, err := demo.Seed(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("demo seed: %w", err)
	}
	fmt.Fprintf(log, "demo seeded: %d areas, %d units, %d cases (%v)\n", res.Areas, res.Units, res.Cases, time.Since(start).Round(time.Millisecond))
	s := &seeded{Tokens: map[string]string{}, Photos: map[string]string{}, Codes: map[string]string{}, Pools: map[casework.State][]tracked{}, DemoCases: res.Cases}
	actors := map[string]auth.Actor{}
	for _, u := range []string{"admin", "dispatcher", "inspector", "inspector2", "sanitation", "lawenf", "leader"} {
		tok, err := a.IssueToken(ctx, u, "soak")
		if err != nil {
			return nil, fmt.Errorf("token for %s: %w", u, err)
		}
		s.Tokens[u] = tok
		if actors[u], err = a.Authenticate(ctx, tok); err != nil {
			return nil, err
		}
	}
	for i, u := range []string{"inspector", "inspector2", "sanitation", "lawenf"} {
		id, err := putPhoto(ctx, a, actors[u].UserID, uint8(i*40))
		if err != nil {
			return nil, err
		}
		s.Photos[u] = id
	}
	for _, c := range a.Categories() {
		if _, ok := handlers[c.Duty]; ok && c.Enabled {
			s.Codes[c.Code] = c.Duty
			s.CodeList = append(s.CodeList, c.Code)
		}
	}
	if len(s.CodeList) == 0 {
		return nil, fmt.Errorf("no enabled category is handled by sanitation or law enforcement")
	}
	areas, err := db.Areas(ctx)
	if err != nil {
		return nil, err
	}
	var grids []territory.Area
	for _, ar := range areas {
		if ar.Level == territory.Grid && len(ar.Code) >= 6 && ar.Code[:6] == "320213" {
			grids = append(grids, ar)
		}
	}
	for len(s.Points) < 2000 && len(grids) > 0 {
		if p, ok := territory.RandomPoint(grids[rng.IntN(len(grids))].Geometry, rng); ok {
			if _, ok := a.Locate(p[0], p[1]); ok {
				s.Points = append(s.Points, [2]float64{p[0], p[1]})
			}
		}
	}
	if len(s.Points) == 0 {
		return nil, fmt.Errorf("no point found in 梁溪区's grids")
	}

	now := time.Now()
	clock := now
	svc := *a.Cases
	svc.Now = func() time.Time { return clock }
	t := true
	for i := range n {
		code := s.CodeList[rng.IntN(len(s.CodeList))]
		pt := s.Points[rng.IntN(len(s.Points))]
		clock = now.Add(-time.Duration(rng.Float64() * 28 * 24 * float64(time.Hour)))
		c, err := svc.Report(ctx, actors["inspector"], casework.ReportInput{Category: code, Description: fmt.Sprintf("压测案件 %d：人行道暴露垃圾", i),
			Lat: &pt[1], Lon: &pt[0], Source: casework.SourceInspector, Urgency: catalog.Normal, Attachments: []string{s.Photos["inspector"]}})
		if err != nil {
			return nil, fmt.Errorf("seed case %d: %w", i, err)
		}
		duty := s.Codes[code]
		handler := handlers[duty]
		// How far round the loop it gets: 10% stay reported, 10% registered,
		// 15% dispatched, 10% handled, 10% verified, 45% closed.
		target := rng.IntN(100)
		steps := []struct {
			upTo   int
			who    string
			action casework.Action
			in     casework.Input
		}{
			{10, "dispatcher", casework.Register, casework.Input{}},
			{20, "dispatcher", casework.Dispatch, casework.Input{Unit: "320213." + duty}},
			{35, handler, casework.Handle, casework.Input{Note: "已清理", Attachments: []string{s.Photos[handler]}}},
			{45, "inspector2", casework.Verify, casework.Input{Passed: &t, Attachments: []string{s.Photos["inspector2"]}}},
			{55, "dispatcher", casework.Close, casework.Input{Note: "结案"}},
		}
		for _, st := range steps {
			if target < st.upTo {
				break
			}
			next := clock.Add(time.Duration((0.2 + rng.Float64()*6) * float64(time.Hour)))
			if next.After(now) {
				break
			}
			clock = next
			st.in.Version = c.Version
			if c, err = svc.Act(ctx, actors[st.who], c.ID, st.action, st.in); err != nil {
				return nil, fmt.Errorf("seed case %d, %s: %w", i, st.action, err)
			}
		}
		if c.State != casework.Closed {
			s.Pools[c.State] = append(s.Pools[c.State], tracked{ID: c.ID, Code: c.Code(), Version: c.Version, Duty: duty})
		}
		if (i+1)%1000 == 0 {
			fmt.Fprintf(log, "seeded %d/%d cases (%v)\n", i+1, n, time.Since(start).Round(time.Millisecond))
		}
	}
	s.Cases = res.Cases + n
	if err := db.Optimize(ctx); err != nil {
		return nil, err
	}
	s.SeedTime = time.Since(start)
	return s, nil
}

// putPhoto stores a small generated image as uploaded by user.
func putPhoto(ctx context.Context, a *app.App, user int64, tint uint8) (string, error) {
	body := photoBytes(tint, 0)
	id, ct, size, err := a.Blobs.Put(bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	return id, a.DB.PutBlob(ctx, store.Blob{ID: id, ContentType: ct, Size: size, CreatedBy: user, CreatedAt: time.Now()})
}

// photoBytes is a 64×48 PNG, different for every (tint, n): a site photo's
// stand-in, about 10 KB.
func photoBytes(tint uint8, n uint64) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			v := uint32(x*7+y*13) ^ uint32(n*2654435761>>uint(x%24))
			img.Set(x, y, color.RGBA{uint8(v) ^ tint, uint8(v >> 8), uint8(v>>16) + tint, 0xff})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}
