// Package app wires the domain packages to the store: it keeps the in-memory
// snapshots every request reads (territory index, catalogue, calendar),
// rebuilds them when an import changes them, and offers the operations that
// span several packages (imports, users and tokens). The doors (api, cmd)
// call it; it knows nothing of HTTP.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync/atomic"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/audit"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/blob"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/gazetteer"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/territory"
)

// App is a running installation.
type App struct {
	DB    *store.DB
	Blobs blob.Dir
	Cases *casework.Service
	Log   *slog.Logger
	// Hours are the office hours deadlines count (default 09:00–12:00, 13:00–18:00).
	Hours calendar.Hours

	index atomic.Pointer[territory.Index]
	cats  atomic.Pointer[map[string]catalog.Category]
	cal   atomic.Pointer[calendar.Calendar]
	ref   refState // versions of the snapshots, for other instances' changes (refresh.go)

	gaz atomic.Pointer[gazetteer.Gazetteer] // the index's area names, built on demand (gazetteer.go)

	bg background // work outliving its request, drained at shutdown (background.go)
}

// New opens the installation on a migrated store: it seeds the catalogue on
// first start and loads the snapshots.
func New(ctx context.Context, db *store.DB, log *slog.Logger, hours calendar.Hours) (*App, error) {
	if log == nil {
		log = slog.Default()
	}
	if hours == nil {
		hours = calendar.DefaultHours()
	}
	a := &App{DB: db, Blobs: blob.Dir{Root: db.DataDir + "/blobs"}, Log: log, Hours: hours}
	if err := db.SeedCategories(ctx, catalog.Defaults()); err != nil {
		return nil, fmt.Errorf("seed catalogue: %w", err)
	}
	if err := a.loadAll(ctx); err != nil {
		return nil, err
	}
	a.Cases = &casework.Service{Store: db, Locate: a.Locate, Category: a.Category, Clock: a, Now: time.Now}
	return a, nil
}

// Reload rebuilds every snapshot from the store.
func (a *App) Reload(ctx context.Context) error {
	if err := a.reloadTerritory(ctx); err != nil {
		return err
	}
	if err := a.reloadCatalog(ctx); err != nil {
		return err
	}
	return a.reloadCalendar(ctx)
}

func (a *App) reloadTerritory(ctx context.Context) error {
	areas, err := a.DB.Areas(ctx)
	if err != nil {
		return fmt.Errorf("load territory: %w", err)
	}
	a.index.Store(territory.NewIndex(areas))
	return nil
}

func (a *App) reloadCatalog(ctx context.Context) error {
	cs, err := a.DB.Categories(ctx)
	if err != nil {
		return fmt.Errorf("load catalogue: %w", err)
	}
	m := make(map[string]catalog.Category, len(cs))
	for _, c := range cs {
		m[c.Code] = c
	}
	a.cats.Store(&m)
	return nil
}

func (a *App) reloadCalendar(ctx context.Context) error {
	days, err := a.DB.CalendarDays(ctx)
	if err != nil {
		return fmt.Errorf("load calendar: %w", err)
	}
	c := calendar.Default().WithHours(a.Hours)
	if len(days) > 0 {
		c = c.With(days)
	}
	a.cal.Store(c)
	if y := time.Now().In(c.Location()).Year(); !c.Covered(y) {
		a.Log.Warn("the holiday calendar does not cover this year: deadlines count Monday to Friday only; import the State Council schedule with `xiuhua import calendar`", "year", y)
	}
	return nil
}

// Territory returns the current territory index.
func (a *App) Territory() *territory.Index { return a.index.Load() }

// Locate finds the unit grid under a point.
func (a *App) Locate(lon, lat float64) (territory.Location, bool) {
	return a.index.Load().Locate(lon, lat)
}

// Category looks up a catalogue entry.
func (a *App) Category(code string) (catalog.Category, bool) {
	c, ok := (*a.cats.Load())[code]
	return c, ok
}

// Categories lists the catalogue by code.
func (a *App) Categories() []catalog.Category {
	m := *a.cats.Load()
	out := make([]catalog.Category, 0, len(m))
	for _, c := range m {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// Calendar returns the working-time calendar in force.
func (a *App) Calendar() *calendar.Calendar { return a.cal.Load() }

// Deadline implements casework.Clock on the calendar in force.
func (a *App) Deadline(start time.Time, d time.Duration, clock bool) time.Time {
	return a.cal.Load().Deadline(start, d, clock)
}

// Between implements casework.Clock on the calendar in force.
func (a *App) Between(x, y time.Time) time.Duration { return a.cal.Load().Between(x, y) }

// ImportTerritory checks a GeoJSON file against itself and the stored tree
// and stores it whole, or nothing. It returns the number of areas and the
// warnings (overlaps, children outside their parent) a city should look at.
func (a *App) ImportTerritory(ctx context.Context, data []byte) (int, []territory.Warning, error) {
	areas, err := territory.ParseGeoJSON(data)
	if err != nil {
		return 0, nil, err
	}
	existing, err := a.DB.Areas(ctx)
	if err != nil {
		return 0, nil, err
	}
	m := make(map[string]territory.Area, len(existing))
	for _, ar := range existing {
		m[ar.Code] = ar
	}
	warnings, err := territory.Validate(areas, m)
	if err != nil {
		return 0, nil, err
	}
	if err := a.DB.ImportAreas(ctx, areas); err != nil {
		return 0, nil, err
	}
	return len(areas), warnings, a.changed(ctx, RefTerritory)
}

// ImportCalendar adds a published holiday schedule.
func (a *App) ImportCalendar(ctx context.Context, data []byte) (int, error) {
	days, err := calendar.ParseSchedule(data)
	if err != nil {
		return 0, err
	}
	if err := a.DB.ImportCalendar(ctx, days); err != nil {
		return 0, err
	}
	return len(days), a.changed(ctx, RefCalendar)
}

// PutCategory adds or changes a catalogue entry (admins only).
func (a *App) PutCategory(ctx context.Context, actor auth.Actor, c catalog.Category) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	if err := c.Check(); err != nil {
		return err
	}
	if err := a.DB.PutCategory(audit.WithActor(ctx, actor.UserID), c); err != nil {
		return err
	}
	return a.changed(ctx, RefCatalog)
}

// DeleteCategory removes an unused category (admins only).
func (a *App) DeleteCategory(ctx context.Context, actor auth.Actor, code string) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	if err := a.DB.DeleteCategory(audit.WithActor(ctx, actor.UserID), code); err != nil {
		return err
	}
	return a.changed(ctx, RefCatalog)
}

// PutUnit adds or changes a unit (admins only, inside their scope) and
// returns it as stored.
func (a *App) PutUnit(ctx context.Context, actor auth.Actor, u org.Unit) (org.Unit, error) {
	if err := requireAdmin(actor); err != nil {
		return u, err
	}
	if err := u.Check(); err != nil {
		return u, err
	}
	if _, ok := a.Territory().Area(u.Scope); !ok {
		return u, xiuhua.Errorf(xiuhua.EUnprocessable, "unknown territory %s", "区域 %s 不存在", u.Scope)
	}
	if !actor.Covers(u.Scope) {
		return u, xiuhua.Errorf(xiuhua.EForbidden, "territory %s is outside your jurisdiction", "区域 %s 不在您的管辖范围内", u.Scope)
	}
	return u, a.DB.PutUnit(audit.WithActor(ctx, actor.UserID), u)
}

// Units lists the units an actor can see: those working inside or over its territory.
func (a *App) Units(ctx context.Context, actor auth.Actor) ([]org.Unit, error) {
	return a.DB.Units(ctx, actor.Scope)
}

// AddUser creates a user and returns a first API token for it. A user given a
// unit but no scope gets the unit's scope.
func (a *App) AddUser(ctx context.Context, u auth.User, passwordHash string) (string, error) {
	if u.Unit != "" {
		unit, err := a.DB.Unit(ctx, u.Unit)
		if err != nil {
			return "", xiuhua.Errorf(xiuhua.EUnprocessable, "unknown unit %s", "单位 %s 不存在", u.Unit)
		}
		if u.Scope == "" {
			u.Scope = unit.Scope
		}
	}
	if err := u.Check(); err != nil {
		return "", err
	}
	if u.Scope != "" {
		if _, ok := a.Territory().Area(u.Scope); !ok {
			return "", xiuhua.Errorf(xiuhua.EUnprocessable, "unknown territory %s", "区域 %s 不存在", u.Scope)
		}
	}
	id, err := a.DB.CreateUser(ctx, u, passwordHash)
	if err != nil {
		return "", err
	}
	return a.issue(ctx, id, "created with the user")
}

// IssueToken gives a user a new API token.
func (a *App) IssueToken(ctx context.Context, username, label string) (string, error) {
	u, err := a.DB.UserByName(ctx, username)
	if err != nil {
		return "", err
	}
	return a.issue(ctx, u.ID, label)
}

func (a *App) issue(ctx context.Context, userID int64, label string) (string, error) {
	tok, hash := auth.NewToken()
	if err := a.DB.CreateToken(ctx, userID, hash, label); err != nil {
		return "", err
	}
	return tok, nil
}

// Authenticate resolves an API token to its actor.
func (a *App) Authenticate(ctx context.Context, token string) (auth.Actor, error) {
	if token == "" {
		return auth.Actor{}, xiuhua.Errorf(xiuhua.EUnauthorized, "authentication required: send Authorization: Bearer <token>", "需要身份认证：请在请求头中提供 Authorization: Bearer <令牌>")
	}
	u, err := a.DB.UserByToken(ctx, auth.HashToken(token))
	if err != nil {
		return auth.Actor{}, err
	}
	return u.Actor(), nil
}

func requireAdmin(actor auth.Actor) error {
	if actor.Role != auth.Admin {
		return xiuhua.Errorf(xiuhua.EForbidden, "only an admin may change this", "只有管理员可以修改此项")
	}
	return nil
}
