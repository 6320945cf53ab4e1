package territory

import (
	"errors"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua"
)

func TestLevel(t *testing.T) {
	tests := []struct {
		l      Level
		valid  bool
		rank   int
		parent Level
		zh     string
	}{
		{District, true, 1, "", "区"},
		{Street, true, 2, District, "街道"},
		{Community, true, 3, Street, "社区"},
		{Grid, true, 4, Community, "单元网格"},
		{"province", false, 0, "", ""},
		{"", false, 0, "", ""},
	}
	for _, tt := range tests {
		if got := tt.l.Valid(); got != tt.valid {
			t.Errorf("%q.Valid() = %v, want %v", tt.l, got, tt.valid)
		}
		if got := tt.l.Rank(); got != tt.rank {
			t.Errorf("%q.Rank() = %d, want %d", tt.l, got, tt.rank)
		}
		if got := tt.l.Parent(); got != tt.parent {
			t.Errorf("%q.Parent() = %q, want %q", tt.l, got, tt.parent)
		}
		if got := tt.l.NameZh(); got != tt.zh {
			t.Errorf("%q.NameZh() = %q, want %q", tt.l, got, tt.zh)
		}
	}
}

func TestParseLevel(t *testing.T) {
	tests := map[string]Level{
		"district": District, " Street ": Street, "COMMUNITY": Community, "grid": Grid,
		"区": District, "街道": Street, "镇": Street, "社区": Community, "村": Community, "单元网格": Grid, "网格": Grid,
	}
	for in, want := range tests {
		if got, ok := ParseLevel(in); !ok || got != want {
			t.Errorf("ParseLevel(%q) = %q, %v; want %q, true", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "province", "市"} {
		if got, ok := ParseLevel(in); ok {
			t.Errorf("ParseLevel(%q) = %q, true; want false", in, got)
		}
	}
}

func TestCheckCode(t *testing.T) {
	tests := []struct {
		level Level
		code  string
		ok    bool
		want  string // part of the English message when !ok
	}{
		{District, "320213", true, ""},
		{District, "32021", false, "must be 6 digits, not 5"},
		{District, "3202130", false, "must be 6 digits, not 7"},
		{District, "", false, "district code is missing"},
		{Street, "320213022", true, ""},
		{Street, "32021302", false, "must be 9 digits"},
		{Street, "32021302a", false, "only digits"},
		{Community, "320213022010", true, ""},
		{Community, "320213022010 ", false, "only digits"},
		{Community, "32021302201", false, "must be 12 digits"},
		{Grid, "32021302201001", true, ""},   // 2-digit serial
		{Grid, "320213022010001", true, ""},  // 3-digit serial
		{Grid, "3202130220100001", true, ""}, // 4-digit serial
		{Grid, "3202130220101", false, "14 to 16 digits"},
		{Grid, "32021302201000001", false, "14 to 16 digits"},
		{Grid, "320213022010", false, "14 to 16 digits"},
		{Grid, "32021302201０01", false, "only digits"}, // a full-width zero
		{"province", "32", false, "unknown level"},
	}
	for _, tt := range tests {
		err := CheckCode(tt.level, tt.code)
		if tt.ok {
			if err != nil {
				t.Errorf("CheckCode(%s, %q) = %v, want nil", tt.level, tt.code, err)
			}
			continue
		}
		var e *xiuhua.Error
		if !errors.As(err, &e) || e.Code != xiuhua.EInvalid {
			t.Errorf("CheckCode(%s, %q) = %v, want an EInvalid *xiuhua.Error", tt.level, tt.code, err)
			continue
		}
		if !strings.Contains(e.Message, tt.want) {
			t.Errorf("CheckCode(%s, %q) message %q, want it to contain %q", tt.level, tt.code, e.Message, tt.want)
		}
		if e.MessageZh == "" || e.MessageZh == e.Message {
			t.Errorf("CheckCode(%s, %q) has no Chinese message: %q", tt.level, tt.code, e.MessageZh)
		}
	}
}

func TestCheckNesting(t *testing.T) {
	district := Area{Code: "320213", Level: District}
	street := Area{Code: "320213022", Level: Street, ParentCode: "320213"}
	community := Area{Code: "320213022010", Level: Community, ParentCode: "320213022"}
	grid := Area{Code: "32021302201001", Level: Grid, ParentCode: "320213022010"}
	tests := []struct {
		name          string
		child, parent Area
		want          string // "" for no error, else part of the English message
	}{
		{"street in district", street, district, ""},
		{"community in street", community, street, ""},
		{"grid in community", grid, community, ""},
		{"grid under a street", Area{Code: "32021302201001", Level: Grid, ParentCode: "320213022"}, street, "a grid must sit under a community, but its parent 320213022 is a street"},
		{"community under a district", Area{Code: "320213022010", Level: Community}, district, "must sit under a street"},
		{"district under anything", district, street, "a district has no parent"},
		{"code does not extend parent", Area{Code: "320213023010", Level: Community, ParentCode: "320213022"}, street, "does not extend its parent's code 320213022"},
		{"parent_code names another", Area{Code: "320213022010", Level: Community, ParentCode: "320213099"}, street, "parent_code 320213099 does not name the parent 320213022"},
	}
	for _, tt := range tests {
		err := CheckNesting(tt.child, tt.parent)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: CheckNesting = %v, want nil", tt.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: CheckNesting = %v, want an error containing %q", tt.name, err, tt.want)
		}
		if xiuhua.ErrorCode(err) != xiuhua.EInvalid {
			t.Errorf("%s: code %q, want %q", tt.name, xiuhua.ErrorCode(err), xiuhua.EInvalid)
		}
	}
}
