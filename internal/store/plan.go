package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/plan"
)

const targetCols = `id, year, unit_code, territory, name, measure, direction, baseline, goal, due_at, source, category, created_by, created_at, scheme, point_type`

func scanTarget(s interface{ Scan(...any) error }) (plan.Target, error) {
	var t plan.Target
	var due, at int64
	err := s.Scan(&t.ID, &t.Year, &t.Unit, &t.Territory, &t.Name, &t.Measure, &t.Direction, &t.Baseline, &t.Goal, &due, &t.Source, &t.Category, &t.CreatedBy, &at, &t.Scheme, &t.PointType)
	t.Due, t.CreatedAt = time.UnixMilli(due).UTC(), time.UnixMilli(at).UTC()
	return t, err
}

// CreateTarget stores a new target and sets its id.
func (db *DB) CreateTarget(ctx context.Context, t *plan.Target) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, db.Q(`INSERT INTO plan_targets (year, unit_code, territory, name, measure, direction, baseline, goal, due_at, source, category, created_by, created_at, scheme, point_type)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			t.Year, t.Unit, t.Territory, t.Name, t.Measure, t.Direction, t.Baseline, t.Goal, ms(t.Due), t.Source, t.Category, t.CreatedBy, ms(t.CreatedAt), t.Scheme, t.PointType).Scan(&t.ID)
		if err != nil {
			if isForeignKey(err) {
				return xiuhua.Errorf(xiuhua.EInvalid, "no unit %s", "单位 %s 不存在", t.Unit)
			}
			return err
		}
		return db.auditChange(ctx, tx, "plan.target", strconv.FormatInt(t.ID, 10), t)
	})
}

// Target returns one target.
func (db *DB) Target(ctx context.Context, id int64) (plan.Target, error) {
	t, err := scanTarget(db.R.QueryRowContext(ctx, db.Q(`SELECT `+targetCols+` FROM plan_targets WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, xiuhua.Errorf(xiuhua.ENotFound, "no target %d", "目标 %d 不存在", id)
	}
	return t, err
}

// Targets lists the targets of a year (0: all), of a unit ("" all), by id.
func (db *DB) Targets(ctx context.Context, year int, unit string) ([]plan.Target, error) {
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT `+targetCols+` FROM plan_targets
		WHERE (? = 0 OR year = ?) AND (? = '' OR unit_code = ?) ORDER BY id`), year, year, unit, unit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []plan.Target{}
	for rows.Next() {
		t, err := scanTarget(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// AddReport stores a value reported by hand and sets its id.
func (db *DB) AddReport(ctx context.Context, r *plan.Report) error {
	if r.Blobs == nil {
		r.Blobs = []string{}
	}
	blobs, _ := json.Marshal(r.Blobs)
	return db.Tx(ctx, func(tx *sql.Tx) error {
		for _, b := range r.Blobs {
			var n int
			if err := tx.QueryRowContext(ctx, db.Q(`SELECT COUNT(*) FROM blobs WHERE id = ?`), b).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return xiuhua.Errorf(xiuhua.EInvalid, "no photo %s (upload it to /blobs first)", "照片 %s 不存在（请先上传到 /blobs）", b)
			}
		}
		if err := tx.QueryRowContext(ctx, db.Q(`INSERT INTO plan_reports (target_id, value, note, blobs, actor_id, at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
			r.Target, r.Value, r.Note, string(blobs), r.ActorID, ms(r.At)).Scan(&r.ID); err != nil {
			return err
		}
		return db.auditChange(ctx, tx, "plan.report", strconv.FormatInt(r.Target, 10), r)
	})
}

// Reports returns the reports of the targets, oldest first.
func (db *DB) Reports(ctx context.Context, ids []int64) (map[int64][]plan.Report, error) {
	out := map[int64][]plan.Report{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT id, target_id, value, note, blobs, actor_id, at FROM plan_reports
		WHERE target_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`) ORDER BY target_id, at, id`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r plan.Report
		var blobs string
		var at int64
		if err := rows.Scan(&r.ID, &r.Target, &r.Value, &r.Note, &blobs, &r.ActorID, &at); err != nil {
			return nil, err
		}
		r.At = time.UnixMilli(at).UTC()
		if err := json.Unmarshal([]byte(blobs), &r.Blobs); err != nil {
			return nil, err
		}
		out[r.Target] = append(out[r.Target], r)
	}
	return out, rows.Err()
}

// CountCases counts the cases of a category reported in a territory in
// [from, to).
func (db *DB) CountCases(ctx context.Context, category, territory string, from, to time.Time) (int, error) {
	var n int
	err := db.R.QueryRowContext(ctx, db.Q(`SELECT COUNT(*) FROM cases WHERE category = ? AND `+territoryColumn(territory)+` = ? AND created_at >= ? AND created_at < ?`),
		category, territory, ms(from), ms(to)).Scan(&n)
	return n, err
}

// CaseGrids returns the grid of each existing case among ids.
func (db *DB) CaseGrids(ctx context.Context, ids []int64) (map[int64]string, error) {
	return db.stringsByID(ctx, `SELECT id, grid FROM cases WHERE id IN (%s)`, ids)
}

const statementCols = `id, year, unit_code, territory, title, targets, issued_by, issued_at, signed_by, signer_name, signed_at`

func scanStatement(s interface{ Scan(...any) error }) (plan.Statement, error) {
	var st plan.Statement
	var targets string
	var issued int64
	var signedBy, signedAt sql.NullInt64
	if err := s.Scan(&st.ID, &st.Year, &st.Unit, &st.Territory, &st.Title, &targets, &st.IssuedBy, &issued, &signedBy, &st.SignerName, &signedAt); err != nil {
		return st, err
	}
	st.IssuedAt = time.UnixMilli(issued).UTC()
	st.SignedBy = signedBy.Int64
	if signedAt.Valid {
		st.SignedAt = time.UnixMilli(signedAt.Int64).UTC()
	}
	return st, json.Unmarshal([]byte(targets), &st.Targets)
}

// CreateStatement stores a new responsibility statement and sets its id.
func (db *DB) CreateStatement(ctx context.Context, st *plan.Statement) error {
	targets, _ := json.Marshal(st.Targets)
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, db.Q(`INSERT INTO plan_statements (year, unit_code, territory, title, targets, issued_by, issued_at, signer_name)
			VALUES (?, ?, ?, ?, ?, ?, ?, '') RETURNING id`),
			st.Year, st.Unit, st.Territory, st.Title, string(targets), st.IssuedBy, ms(st.IssuedAt)).Scan(&st.ID); err != nil {
			return err
		}
		return db.auditChange(ctx, tx, "plan.statement", strconv.FormatInt(st.ID, 10), st)
	})
}

// Statement returns one statement.
func (db *DB) Statement(ctx context.Context, id int64) (plan.Statement, error) {
	st, err := scanStatement(db.R.QueryRowContext(ctx, db.Q(`SELECT `+statementCols+` FROM plan_statements WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return st, xiuhua.Errorf(xiuhua.ENotFound, "no responsibility statement %d", "责任状 %d 不存在", id)
	}
	return st, err
}

// Statements lists statements of a year (0: all), by id.
func (db *DB) Statements(ctx context.Context, year int) ([]plan.Statement, error) {
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT `+statementCols+` FROM plan_statements WHERE (? = 0 OR year = ?) ORDER BY id`), year, year)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []plan.Statement{}
	for rows.Next() {
		st, err := scanStatement(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// SignStatement records the signature; a statement already signed is a
// conflict, decided by the update itself so that two signers cannot race.
func (db *DB) SignStatement(ctx context.Context, id, userID int64, name string, at time.Time) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.Q(`UPDATE plan_statements SET signed_by = ?, signer_name = ?, signed_at = ? WHERE id = ? AND signed_by IS NULL`),
			userID, name, ms(at), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return xiuhua.Errorf(xiuhua.EConflict, "responsibility statement %d is already signed", "责任状 %d 已签署", id)
		}
		return db.auditChange(ctx, tx, "plan.statement.sign", strconv.FormatInt(id, 10), map[string]any{"signed_by": userID, "signer_name": name, "signed_at": ms(at)})
	})
}

const projectCols = `id, name, kind, territory, district, budget, spent, milestones, outputs, case_ids, version, created_by, created_at, updated_at, area, public, consult`

func scanProject(s interface{ Scan(...any) error }) (plan.Project, error) {
	var p plan.Project
	var m, o, c, area string
	var created, updated int64
	var public, consult int
	if err := s.Scan(&p.ID, &p.Name, &p.Kind, &p.Territory, &p.District, &p.Budget, &p.Spent, &m, &o, &c, &p.Version, &p.CreatedBy, &created, &updated, &area, &public, &consult); err != nil {
		return p, err
	}
	if area != "" {
		p.Area = json.RawMessage(area)
	}
	p.Public, p.Consult = public != 0, consult != 0
	p.CreatedAt, p.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return p, errors.Join(json.Unmarshal([]byte(m), &p.Milestones), json.Unmarshal([]byte(o), &p.Outputs), json.Unmarshal([]byte(c), &p.Cases))
}

// SaveProject creates a project (ID 0) or replaces one whose stored version
// is p.Version; the version then moves on.
func (db *DB) SaveProject(ctx context.Context, p *plan.Project) error {
	m, _ := json.Marshal(p.Milestones)
	o, _ := json.Marshal(p.Outputs)
	c, _ := json.Marshal(p.Cases)
	return db.Tx(ctx, func(tx *sql.Tx) error {
		if p.ID == 0 {
			p.Version = 1
			if err := tx.QueryRowContext(ctx, db.Q(`INSERT INTO plan_projects (name, kind, territory, district, budget, spent, milestones, outputs, case_ids, version, created_by, created_at, updated_at, area)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
				p.Name, p.Kind, p.Territory, p.District, p.Budget, p.Spent, string(m), string(o), string(c), p.Version, p.CreatedBy, ms(p.CreatedAt), ms(p.UpdatedAt), string(p.Area)).Scan(&p.ID); err != nil {
				return err
			}
		} else {
			res, err := tx.ExecContext(ctx, db.Q(`UPDATE plan_projects SET name = ?, kind = ?, territory = ?, district = ?, budget = ?, spent = ?, milestones = ?, outputs = ?, case_ids = ?,
				area = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ?`),
				p.Name, p.Kind, p.Territory, p.District, p.Budget, p.Spent, string(m), string(o), string(c), string(p.Area), ms(p.UpdatedAt), p.ID, p.Version)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return xiuhua.Errorf(xiuhua.EConflict, "project %d changed meanwhile (version %d is stale); reload and retry", "项目 %d 已被修改（版本 %d 已过期），请刷新后重试", p.ID, p.Version)
			}
			p.Version++
		}
		return db.auditChange(ctx, tx, "plan.project", strconv.FormatInt(p.ID, 10), p)
	})
}

// Project returns one project.
func (db *DB) Project(ctx context.Context, id int64) (plan.Project, error) {
	p, err := scanProject(db.R.QueryRowContext(ctx, db.Q(`SELECT `+projectCols+` FROM plan_projects WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, xiuhua.Errorf(xiuhua.ENotFound, "no project %d", "项目 %d 不存在", id)
	}
	return p, err
}

// Projects lists all projects by id; callers keep the ones in scope.
func (db *DB) Projects(ctx context.Context) ([]plan.Project, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT `+projectCols+` FROM plan_projects ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []plan.Project{}
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
