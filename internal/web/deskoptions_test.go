package web

import (
	"html/template"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/catalog"
)

// The template lines the desk's option writers replace, as desk.html had them.
const (
	catOptionsTmpl  = `{{$cat := .Sel}}{{range .Cats}}<option value="{{.Code}}"{{if eq $cat .Code}} selected{{end}}>{{.Code}} {{catName .Code}}</option>{{end}}`
	areaOptionsTmpl = `{{$ter := .Sel}}{{range .Areas}}<option value="{{.Value}}" class="depth-{{.Depth}}"{{if eq $ter .Value}} selected{{end}}>{{if eq .Depth 2}}　{{end}}{{.Label}}</option>{{end}}`
)

// TestDeskOptionsMatchTemplate checks that categoryOptions and
// areaOptionsHTML write exactly what html/template wrote from the lines
// they replace, with names that need escaping among them.
func TestDeskOptionsMatchTemplate(t *testing.T) {
	cats := []catalog.Category{
		{Code: "E0102", NameZh: "暴露垃圾", NameEn: "Exposed rubbish"},
		{Code: "C0110", NameZh: "井盖", NameEn: "Manhole cover"},
		{Code: `X"1`, NameZh: `<b>&'+</b>`, NameEn: "nul\x00 here"},
	}
	areas := []option{{Value: "320213022", Label: "蠡园街道", Depth: 1}, {Value: "320213022003", Label: "南苑社区", Depth: 2},
		{Value: `a&b"`, Label: `<script>'x'+1</script>`, Depth: 2}, {Value: "320213", Label: "滨湖区", Depth: 0}}
	for _, lang := range []string{"zh", "en"} {
		catName := func(code string) string {
			for _, c := range cats {
				if c.Code == code {
					if lang == "en" {
						return c.NameEn
					}
					return c.NameZh
				}
			}
			return code
		}
		tm := template.Must(template.New("x").Funcs(template.FuncMap{"catName": catName}).Parse(
			`<select>` + catOptionsTmpl + `</select><select>` + areaOptionsTmpl + `</select>`))
		for _, sel := range []string{"", "C0110", `X"1`, "320213022003", `a&b"`} {
			var want strings.Builder
			if err := tm.Execute(&want, map[string]any{"Sel": sel, "Cats": cats, "Areas": areas}); err != nil {
				t.Fatal(err)
			}
			got := "<select>" + string(categoryOptions(cats, sel, lang)) + "</select><select>" + string(areaOptionsHTML(areas, sel)) + "</select>"
			if got != want.String() {
				t.Errorf("%s, %q selected:\n got %s\nwant %s", lang, sel, got, want.String())
			}
		}
	}
}
