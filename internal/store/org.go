package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/org"
)

// PutUnit adds or changes a unit.
func (db *DB) PutUnit(ctx context.Context, u org.Unit) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.Q(`INSERT INTO units (code, name, kind, duty, scope, enabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, duty = excluded.duty, scope = excluded.scope, enabled = excluded.enabled`),
			u.Code, u.Name, string(u.Kind), u.Duty, u.Scope, u.Enabled, ms(time.Now()))
		if isForeignKey(err) {
			return xiuhua.Errorf(xiuhua.EUnprocessable, "unknown territory %s", "区域 %s 不存在", u.Scope)
		}
		if err != nil {
			return err
		}
		return db.auditChange(ctx, tx, "unit.put", u.Code, u)
	})
}

const unitCols = `code, name, kind, duty, scope, enabled`

func scanUnit(s interface{ Scan(...any) error }) (org.Unit, error) {
	var u org.Unit
	err := s.Scan(&u.Code, &u.Name, &u.Kind, &u.Duty, &u.Scope, &u.Enabled)
	return u, err
}

// Unit returns one unit.
func (db *DB) Unit(ctx context.Context, code string) (org.Unit, error) {
	u, err := scanUnit(db.R.QueryRowContext(ctx, db.Q(`SELECT `+unitCols+` FROM units WHERE code = ?`), code))
	if errors.Is(err, sql.ErrNoRows) {
		return u, xiuhua.Errorf(xiuhua.ENotFound, "no unit %s", "单位 %s 不存在", code)
	}
	return u, err
}

// Units lists the units whose scope lies in, or contains, the given territory
// ("" lists all): the ones that can act there or are seen from there.
func (db *DB) Units(ctx context.Context, scope string) ([]org.Unit, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT `+unitCols+` FROM units ORDER BY code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []org.Unit
	for rows.Next() {
		u, err := scanUnit(rows)
		if err != nil {
			return nil, err
		}
		if auth.Within(u.Scope, scope) || auth.Within(scope, u.Scope) {
			out = append(out, u)
		}
	}
	return out, rows.Err()
}

// CreateUser adds a user and returns its id.
func (db *DB) CreateUser(ctx context.Context, u auth.User, passwordHash string) (int64, error) {
	var unit, pw any
	if u.Unit != "" {
		unit = u.Unit
	}
	if passwordHash != "" {
		pw = passwordHash
	}
	var id int64
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, db.Q(`INSERT INTO users (username, display_name, role, unit_code, scope, password_hash, disabled, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			u.Username, u.DisplayName, string(u.Role), unit, u.Scope, pw, u.Disabled, ms(time.Now())).Scan(&id)
		if err != nil {
			return err
		}
		u.ID = id
		return db.auditChange(ctx, tx, "user.create", u.Username, u) // never the password hash
	})
	switch {
	case isUnique(err):
		return 0, xiuhua.Errorf(xiuhua.EConflict, "username %s is taken", "用户名 %s 已存在", u.Username)
	case isForeignKey(err):
		return 0, xiuhua.Errorf(xiuhua.EUnprocessable, "unknown unit %s", "单位 %s 不存在", u.Unit)
	}
	return id, err
}

const userCols = `u.id, u.username, u.display_name, u.role, u.unit_code, u.scope, u.disabled`

func scanUser(s interface{ Scan(...any) error }) (auth.User, error) {
	var u auth.User
	var unit sql.NullString
	err := s.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Role, &unit, &u.Scope, &u.Disabled)
	u.Unit = unit.String
	return u, err
}

// UserByName returns a user by username.
func (db *DB) UserByName(ctx context.Context, username string) (auth.User, error) {
	u, err := scanUser(db.R.QueryRowContext(ctx, db.Q(`SELECT `+userCols+` FROM users u WHERE u.username = ?`), username))
	if errors.Is(err, sql.ErrNoRows) {
		return u, xiuhua.Errorf(xiuhua.ENotFound, "no user %s", "用户 %s 不存在", username)
	}
	return u, err
}

// CreateToken stores the hash of a new API token for a user.
func (db *DB) CreateToken(ctx context.Context, userID int64, hash, label string) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, db.Q(`INSERT INTO tokens (user_id, hash, label, created_at) VALUES (?, ?, ?, ?) RETURNING id`),
			userID, hash, label, ms(time.Now())).Scan(&id); err != nil {
			return err
		}
		// The entry names the token by id: neither it nor its hash goes in the log.
		return db.auditChange(ctx, tx, "token.issue", strconv.FormatInt(userID, 10), map[string]any{"token_id": id, "label": label})
	})
}

// UserByToken returns the live user holding a token hash; unknown, revoked
// and disabled all answer unauthorized, without saying which.
func (db *DB) UserByToken(ctx context.Context, hash string) (auth.User, error) {
	u, err := scanUser(db.readRow(ctx, `SELECT `+userCols+` FROM tokens t JOIN users u ON u.id = t.user_id
		WHERE t.hash = ? AND t.revoked_at IS NULL AND NOT u.disabled`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return u, xiuhua.Errorf(xiuhua.EUnauthorized, "invalid or revoked token", "令牌无效或已吊销")
	}
	return u, err
}

// RevokeTokens revokes every token of a user.
func (db *DB) RevokeTokens(ctx context.Context, userID int64) error {
	return db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.Q(`UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`), ms(time.Now()), userID)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		return db.auditChange(ctx, tx, "token.revoke", strconv.FormatInt(userID, 10), map[string]any{"revoked": n})
	})
}
