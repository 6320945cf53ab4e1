package open311

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Key is the API key of a client system. The key itself is shown once, when
// it is made; only its sha256 is stored.
type Key struct {
	ID   int64
	Name string
	// Scope is the territory code the key may report and read in ("" is the
	// whole installation).
	Scope     string
	CreatedAt time.Time
	RevokedAt time.Time // zero while live
}

// Actor is the key as the actor of what its client sends: a system actor
// named "open311:NAME" with the key's scope and no user.
func (k Key) Actor() auth.Actor { return auth.SystemActor("open311:"+k.Name, k.Scope) }

// keyPrefix marks Open311 keys so that secret scanners and people can tell
// them from user tokens (xh_).
const keyPrefix = "o311_"

var keyNameRE = regexp.MustCompile(`^[\p{L}\p{N}_.-]{2,64}$`)

// AddKey makes a key for a client system and returns it with the secret to
// give the client. Names are unique among live keys.
func AddKey(ctx context.Context, a *app.App, name, scope string) (Key, string, error) {
	name = strings.TrimSpace(name)
	if !keyNameRE.MatchString(name) {
		return Key{}, "", xiuhua.Errorf(xiuhua.EInvalid, "the key name must be 2–64 letters, digits, '.', '_' or '-'", "密钥名称须为2至64位字母、数字或 . _ -")
	}
	if scope != "" {
		if _, ok := a.Territory().Area(scope); !ok {
			return Key{}, "", xiuhua.Errorf(xiuhua.EUnprocessable, "unknown territory %s", "区域 %s 不存在", scope)
		}
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return Key{}, "", err
	}
	secret := keyPrefix + base64.RawURLEncoding.EncodeToString(b)
	k := Key{Name: name, Scope: scope, CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}
	id, err := a.DB.CreateOpen311Key(ctx, k.Name, auth.HashToken(secret), k.Scope, k.CreatedAt)
	if err != nil {
		return Key{}, "", err
	}
	k.ID = id
	return k, secret, nil
}

// RevokeKey revokes the live key of that name: it is refused from the next request on.
func RevokeKey(ctx context.Context, db *store.DB, name string) error {
	return db.RevokeOpen311Key(ctx, name, time.Now())
}

// Keys lists every key, live and revoked, oldest first.
func Keys(ctx context.Context, db *store.DB) ([]Key, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT id, name, scope, created_at, revoked_at FROM open311_keys ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		var k Key
		var created int64
		var revoked sql.NullInt64
		if err := rows.Scan(&k.ID, &k.Name, &k.Scope, &created, &revoked); err != nil {
			return nil, err
		}
		k.CreatedAt, k.RevokedAt = time.UnixMilli(created).UTC(), fromMS(revoked)
		out = append(out, k)
	}
	return out, rows.Err()
}

// keyBySecret resolves a key a client sent; unknown and revoked answer the
// same forbidden error, without saying which.
func keyBySecret(ctx context.Context, db *store.DB, secret string) (Key, error) {
	var k Key
	var created int64
	err := db.R.QueryRowContext(ctx, db.Q(`SELECT id, name, scope, created_at FROM open311_keys WHERE hash = ? AND revoked_at IS NULL`),
		auth.HashToken(secret)).Scan(&k.ID, &k.Name, &k.Scope, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return k, badKey()
	}
	k.CreatedAt = time.UnixMilli(created).UTC()
	return k, err
}

func badKey() error {
	return xiuhua.Errorf(xiuhua.EForbidden, "invalid or revoked api_key", "api_key 无效或已吊销")
}
