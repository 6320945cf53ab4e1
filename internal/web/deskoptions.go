package web

import (
	"html/template"
	"strconv"
	"strings"

	"github.com/xiuhua/xiuhua/internal/catalog"
)

// The desk's filter lists every category and the areas of two levels
// under the actor's scope (a district's: some two hundred options) on
// every load; written by the template engine they cost as much as the
// page's fifty rows. They are written here instead, byte for byte as the
// template wrote them (deskoptions_test.go compares the two).

// htmlText escapes as html/template does text and quoted attribute values.
var htmlText = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;")

// categoryOptions are the category filter's options:
//
//	<option value="{{.Code}}"{{if eq $cat .Code}} selected{{end}}>{{.Code}} {{catName .Code}}</option>
func categoryOptions(cats []catalog.Category, selected, lang string) template.HTML {
	var b strings.Builder
	for _, c := range cats {
		name := c.NameZh
		if lang == "en" {
			name = c.NameEn
		}
		b.WriteString(`<option value="`)
		htmlText.WriteString(&b, c.Code)
		b.WriteByte('"')
		if c.Code == selected {
			b.WriteString(" selected")
		}
		b.WriteByte('>')
		htmlText.WriteString(&b, c.Code)
		b.WriteByte(' ')
		htmlText.WriteString(&b, name)
		b.WriteString("</option>")
	}
	return template.HTML(b.String())
}

// areaOptionsHTML are the territory filter's options:
//
//	<option value="{{.Value}}" class="depth-{{.Depth}}"{{if eq $ter .Value}} selected{{end}}>{{if eq .Depth 2}}　{{end}}{{.Label}}</option>
func areaOptionsHTML(opts []option, selected string) template.HTML {
	var b strings.Builder
	for _, o := range opts {
		b.WriteString(`<option value="`)
		htmlText.WriteString(&b, o.Value)
		b.WriteString(`" class="depth-`)
		b.WriteString(strconv.Itoa(o.Depth))
		b.WriteByte('"')
		if o.Value == selected {
			b.WriteString(" selected")
		}
		b.WriteByte('>')
		if o.Depth == 2 {
			b.WriteString("　")
		}
		htmlText.WriteString(&b, o.Label)
		b.WriteString("</option>")
	}
	return template.HTML(b.String())
}
