// Package auth holds who may act: roles, the actor of a request, API tokens
// and the territory scope that bounds every query an actor makes.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/xiuhua/xiuhua"
)

// Role is what a user does in the loop (domain.md §2).
type Role string

// Roles.
const (
	Admin      Role = "admin"      // 管理员: territory, catalogue, units, users
	Dispatcher Role = "dispatcher" // 受理员/派遣员: registers, dispatches, closes
	Handler    Role = "handler"    // 处置单位: fixes what is dispatched to its unit
	Inspector  Role = "inspector"  // 监督员/网格员: reports and verifies on site
	Leader     Role = "leader"     // 领导: reads everything in the territory
)

// Roles lists every role, in the order shown to people.
var Roles = []Role{Admin, Dispatcher, Handler, Inspector, Leader}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// NameZh is the role's Chinese name.
func (r Role) NameZh() string {
	switch r {
	case Admin:
		return "管理员"
	case Dispatcher:
		return "派遣员"
	case Handler:
		return "处置人员"
	case Inspector:
		return "监督员"
	case Leader:
		return "领导"
	}
	return string(r)
}

// Actor is the authenticated person behind a request.
type Actor struct {
	UserID   int64
	Username string
	Role     Role
	// Unit is the code of the user's unit ("" for none).
	Unit string
	// Scope is the territory code the actor may see and act in; "" means the
	// whole installation (only ever given to admins and city-level users).
	Scope string
}

// Covers reports whether the territory code lies inside the actor's scope.
// Territory codes nest by prefix (GB/T 2260 and grid codes extend their parent).
func (a Actor) Covers(code string) bool { return Within(code, a.Scope) }

// Within reports whether code lies inside scope ("" is everything).
func Within(code, scope string) bool {
	return scope == "" || strings.HasPrefix(code, scope)
}

// Narrow intersects a requested territory filter with the actor's scope: the
// narrower of the two when one contains the other, else forbidden.
func (a Actor) Narrow(filter string) (string, error) {
	switch {
	case filter == "":
		return a.Scope, nil
	case Within(filter, a.Scope):
		return filter, nil
	case Within(a.Scope, filter):
		return a.Scope, nil
	}
	return "", xiuhua.Errorf(xiuhua.EForbidden, "territory %s is outside your jurisdiction", "区域 %s 不在您的管辖范围内", filter)
}

// Is reports whether the actor has one of the roles.
func (a Actor) Is(roles ...Role) bool {
	for _, r := range roles {
		if a.Role == r {
			return true
		}
	}
	return false
}

// tokenPrefix marks xiuhua tokens so that secret scanners and people can tell them apart.
const tokenPrefix = "xh_"

// NewToken returns a fresh API token and the hash to store. The token has 256
// random bits, so a fast hash (sha256) is enough: it cannot be brute-forced
// the way a password can, and lookup by hash stays one index probe.
func NewToken() (token, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	token = tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is the stored form of a token.
func HashToken(token string) string {
	s := sha256.Sum256([]byte(token))
	return hex.EncodeToString(s[:])
}
