package auth

import (
	"regexp"
	"strings"

	"github.com/xiuhua/xiuhua"
)

// User is a person who signs in or calls the API.
type User struct {
	ID          int64  `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        Role   `json:"role"`
	Unit        string `json:"unit,omitempty"`
	Scope       string `json:"scope"`
	Disabled    bool   `json:"disabled"`
}

// Actor is the user as the actor of a request.
func (u User) Actor() Actor {
	return Actor{UserID: u.ID, Username: u.Username, Role: u.Role, Unit: u.Unit, Scope: u.Scope}
}

var usernameRE = regexp.MustCompile(`^[\p{L}\p{N}_.-]{2,64}$`)

// Check validates a new user (unit and scope existence are the caller's).
func (u *User) Check() error {
	u.Username = strings.TrimSpace(u.Username)
	if u.DisplayName == "" {
		u.DisplayName = u.Username
	}
	if !usernameRE.MatchString(u.Username) {
		return xiuhua.Errorf(xiuhua.EInvalid, "username must be 2–64 letters, digits, '.', '_' or '-'", "用户名须为2至64位字母、数字或 . _ -")
	}
	if !u.Role.Valid() {
		return xiuhua.Errorf(xiuhua.EInvalid, "role %q must be one of admin, dispatcher, handler, inspector, leader", "角色 %q 须为 admin、dispatcher、handler、inspector、leader 之一", u.Role)
	}
	if u.Role == Handler && u.Unit == "" {
		return xiuhua.Errorf(xiuhua.EInvalid, "a handler must belong to a unit (--unit)", "处置人员必须属于一个单位（--unit）")
	}
	if u.Role != Admin && u.Scope == "" && u.Unit == "" {
		return xiuhua.Errorf(xiuhua.EInvalid, "only an admin may have no territory scope: give --scope or --unit", "只有管理员可以不限区域：请指定 --scope 或 --unit")
	}
	return nil
}
