// Package org holds the units that own territory and handle cases: street
// offices, community committees, departments and companies, each with a duty
// and a territory scope ("whose turf, whose duty": 谁的地盘谁负责).
package org

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/catalog"
)

// Kind is what sort of body a unit is.
type Kind string

// Unit kinds.
const (
	Street     Kind = "street"     // 街道办事处
	Community  Kind = "community"  // 社区居委会
	Department Kind = "department" // 职能部门: 城管执法, 环卫, 住建, 交警…
	Company    Kind = "company"    // 企业: 物业公司, 供水, 燃气…
)

// Kinds lists the unit kinds.
var Kinds = []Kind{Street, Community, Department, Company}

// Unit is a responsible unit (责任单位 / 处置单位).
type Unit struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	// Duty is the kind of work it takes (catalog.Duties), matched against a
	// category's default duty when a dispatcher asks for a suggestion.
	Duty string `json:"duty"`
	// Scope is the territory code it answers for.
	Scope   string `json:"scope"`
	Enabled bool   `json:"enabled"`
}

var unitCodeRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Check validates a unit before it is stored (its scope is checked against
// the territory by the caller).
func (u *Unit) Check() error {
	u.Name = strings.TrimSpace(u.Name)
	var probs []string
	if !unitCodeRE.MatchString(u.Code) {
		probs = append(probs, "code must be 1–64 letters, digits, '.', '_' or '-' / 编码须为1至64位字母、数字或 . _ -")
	}
	if u.Name == "" || len(u.Name) > 200 {
		probs = append(probs, "name is required (at most 200 bytes) / 名称必填且不超过200字节")
	}
	ok := false
	for _, k := range Kinds {
		ok = ok || u.Kind == k
	}
	if !ok {
		probs = append(probs, fmt.Sprintf("kind %q must be one of street, community, department, company / 类型须为 street、community、department、company 之一", u.Kind))
	}
	if u.Duty == "" {
		switch u.Kind {
		case Street:
			u.Duty = "street_office"
		case Community:
			u.Duty = "community"
		}
	}
	if _, ok := catalog.Duties[u.Duty]; !ok {
		probs = append(probs, fmt.Sprintf("unknown duty %q / 未知的职责类型", u.Duty))
	}
	if u.Scope == "" {
		probs = append(probs, "scope (a territory code) is required / 责任区域必填")
	}
	if len(probs) > 0 {
		e := xiuhua.Errorf(xiuhua.EInvalid, "invalid unit: %s", "单位信息无效：%s", strings.Join(probs, "; "))
		e.Details = probs
		return e
	}
	return nil
}
