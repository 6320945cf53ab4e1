package territory

import "strings"

// Level is a rung of the territory tree.
type Level string

// The levels, from the top of the tree down.
const (
	District  Level = "district"  // 区 / 县级市
	Street    Level = "street"    // 街道 / 镇
	Community Level = "community" // 社区 / 村
	Grid      Level = "grid"      // 单元网格
)

// Valid reports whether l is one of the four levels.
func (l Level) Valid() bool { return l.Rank() > 0 }

// Rank is 1 for District down to 4 for Grid, and 0 for an unknown level.
func (l Level) Rank() int {
	switch l {
	case District:
		return 1
	case Street:
		return 2
	case Community:
		return 3
	case Grid:
		return 4
	}
	return 0
}

// Parent returns the level directly above l: grid → community → street →
// district → "".
func (l Level) Parent() Level {
	switch l {
	case Street:
		return District
	case Community:
		return Street
	case Grid:
		return Community
	}
	return ""
}

// NameZh returns the Chinese name of the level (区, 街道, 社区, 单元网格), or ""
// for an unknown level.
func (l Level) NameZh() string {
	switch l {
	case District:
		return "区"
	case Street:
		return "街道"
	case Community:
		return "社区"
	case Grid:
		return "单元网格"
	}
	return ""
}

// levelAliases are the spellings an import accepts besides the English
// names. Files are often prepared by hand in Chinese; 镇 and 村 sit at the
// same rungs as 街道 and 社区 (domain.md §1).
var levelAliases = map[string]Level{
	"区": District, "县": District, "县级市": District,
	"街道": Street, "镇": Street, "乡": Street,
	"社区": Community, "村": Community,
	"单元网格": Grid, "网格": Grid,
}

// ParseLevel reads a level as an import file may spell it: the English name
// in any case, or its Chinese name (also 镇/乡 for a street and 村 for a
// community).
func ParseLevel(s string) (Level, bool) {
	s = strings.TrimSpace(s)
	if l := Level(strings.ToLower(s)); l.Valid() {
		return l, true
	}
	l, ok := levelAliases[s]
	return l, ok
}

// levelOfCode infers the level from the length of a code. Codes of different
// levels never have the same length, so this is exact for a valid code.
func levelOfCode(code string) Level {
	switch n := len(code); {
	case n == 6:
		return District
	case n == 9:
		return Street
	case n == 12:
		return Community
	case n >= gridMinLen && n <= gridMaxLen:
		return Grid
	}
	return ""
}

// codeLen is the length of a code of level l, or 0 for a grid (whose length
// varies) and an unknown level.
func (l Level) codeLen() int {
	switch l {
	case District:
		return districtLen
	case Street:
		return streetLen
	case Community:
		return communityLen
	}
	return 0
}
