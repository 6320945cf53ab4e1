package assess

import (
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/catalog"
)

// TestSchemeCheckMessages: each refusal names its indicator and values in
// both halves, English and Chinese.
func TestSchemeCheckMessages(t *testing.T) {
	known := func(code string) (catalog.Category, bool) { return catalog.Category{Code: code}, code == "E0102" }
	sc := Scheme{Code: "s", Name: "测试办法", Level: "community", Excellent: FixedOf(90),
		Indicators: []Indicator{{Code: "road", Name: "道路", FullMarks: FixedOf(60), PointTypes: []string{"main_road", "moon"},
			Deductions: []Deduction{{Category: "X9999", Points: FixedOf(1)}}}}}
	e := xiuhua.AsError(sc.Check(known))
	if e.Code != xiuhua.EInvalid {
		t.Fatalf("Check = %v, want EInvalid", e)
	}
	want := []string{
		`indicator "road": unknown point type "moon" / 指标 "road"：未知点位类型 "moon"`,
		`indicator "road": unknown category "X9999" / 指标 "road"：未知分类 "X9999"`,
		`the leaves' full marks add up to 60.00, not 100 / 末级指标满分合计为 60.00，应为 100`,
	}
	all := strings.Join(e.Details, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("no detail %q in\n%s", w, all)
		}
	}
	if strings.Contains(all, "MISSING") || strings.Contains(all, "EXTRA") {
		t.Errorf("a half lost its arguments:\n%s", all)
	}
}
