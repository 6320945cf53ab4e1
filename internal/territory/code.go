package territory

import (
	"fmt"
	"strings"
)

// Code lengths (standards.md §1). A grid code is its community's 12 digits
// plus a serial whose length varies by city, so only the range is fixed.
const (
	districtLen  = 6
	streetLen    = 9
	communityLen = 12
	gridMinLen   = communityLen + 2
	gridMaxLen   = communityLen + 4
)

// CheckCode checks that code is well formed for level: only digits, 6 for a
// district, 9 for a street, 12 for a community and 14 to 16 (the community's
// 12 plus a serial of 2 to 4) for a grid. It returns an *xiuhua.Error with
// code EInvalid.
//
// Whether the code extends its parent's is CheckNesting's job: it needs the
// parent.
func CheckCode(level Level, code string) error {
	if m, bad := checkCode(level, code); bad {
		return m.err()
	}
	return nil
}

func checkCode(level Level, code string) (msg, bool) {
	if !level.Valid() {
		return msg{
			fmt.Sprintf("unknown level %q", string(level)),
			fmt.Sprintf("未知的区划层级“%s”", string(level)),
		}, true
	}
	if code == "" {
		return msg{
			fmt.Sprintf("%s code is missing", level),
			fmt.Sprintf("缺少%s编码", level.NameZh()),
		}, true
	}
	if !allDigits(code) {
		return msg{
			fmt.Sprintf("%s code %q must contain only digits", level, code),
			fmt.Sprintf("%s编码“%s”只能包含数字", level.NameZh(), code),
		}, true
	}
	n := len(code)
	if level == Grid {
		if n < gridMinLen || n > gridMaxLen {
			return msg{
				fmt.Sprintf("grid code %s must be %d to %d digits (the community's 12 and a serial of 2 to 4), not %d",
					code, gridMinLen, gridMaxLen, n),
				fmt.Sprintf("单元网格编码%s应为%d至%d位数字（社区编码12位加2至4位序号），实际为%d位",
					code, gridMinLen, gridMaxLen, n),
			}, true
		}
		return msg{}, false
	}
	if want := level.codeLen(); n != want {
		return msg{
			fmt.Sprintf("%s code %s must be %d digits, not %d", level, code, want, n),
			fmt.Sprintf("%s编码%s应为%d位数字，实际为%d位", level.NameZh(), code, want, n),
		}, true
	}
	return msg{}, false
}

// CheckNesting checks that parent can hold child: the parent is exactly one
// level up, child.ParentCode (when set) names it, and child's code starts
// with the parent's code. It returns an *xiuhua.Error with code EInvalid.
func CheckNesting(child Area, parent Area) error {
	if m, bad := checkNesting(child, parent); bad {
		return m.err()
	}
	return nil
}

func checkNesting(child, parent Area) (msg, bool) {
	if child.Level == District {
		return msg{
			fmt.Sprintf("a district has no parent, but %s was given", parent.Code),
			fmt.Sprintf("区没有上级区划，但指定了%s", parent.Code),
		}, true
	}
	if want := child.Level.Parent(); parent.Level != want {
		return msg{
			fmt.Sprintf("a %s must sit under a %s, but its parent %s is a %s",
				levelNameEn(child.Level), want, parent.Code, levelNameEn(parent.Level)),
			fmt.Sprintf("%s的上级应为%s，但上级%s是%s",
				levelNameZh(child.Level), want.NameZh(), parent.Code, levelNameZh(parent.Level)),
		}, true
	}
	if child.ParentCode != "" && child.ParentCode != parent.Code {
		return msg{
			fmt.Sprintf("parent_code %s does not name the parent %s", child.ParentCode, parent.Code),
			fmt.Sprintf("上级编码%s与上级区划%s不符", child.ParentCode, parent.Code),
		}, true
	}
	if !strings.HasPrefix(child.Code, parent.Code) || len(child.Code) <= len(parent.Code) {
		return msg{
			fmt.Sprintf("code %s does not extend its parent's code %s", child.Code, parent.Code),
			fmt.Sprintf("编码%s未以上级编码%s开头", child.Code, parent.Code),
		}, true
	}
	return msg{}, false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// levelNameEn and levelNameZh name a level in a message, including one that
// is not a level at all (an area stored without one).
func levelNameEn(l Level) string {
	if l.Valid() {
		return string(l)
	}
	return "area of unknown level"
}

func levelNameZh(l Level) string {
	if l.Valid() {
		return l.NameZh()
	}
	return "未知层级的区划"
}
