package open311

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// The answers are built once as a small ordered tree and written either as
// XML (the format the spec requires) or JSON, so that both carry the same
// fields in the same order by construction.

// field is one named value of an object.
type field struct {
	Name  string
	Value any
}

// object is an ordered set of fields: <name>value</name>… in XML, {…} in JSON.
// Values are string, bool, int, int64, float64, nil (null: an empty element
// in XML), object or list.
type object []field

// list is a repeated element: in XML each item is wrapped in <Item>, in JSON
// it is an array.
type list struct {
	Item  string
	Items []any
}

// format is how an answer is written, chosen by the path's suffix.
type format string

const (
	fmtXML  format = "xml"
	fmtJSON format = "json"
)

func (f format) contentType() string {
	if f == fmtJSON {
		return "application/json; charset=utf-8"
	}
	return "text/xml; charset=utf-8"
}

// write renders v under the root element name (XML) or as itself (JSON).
func write(w http.ResponseWriter, f format, status int, root string, v any) {
	var b bytes.Buffer
	if f == fmtJSON {
		writeJSON(&b, v)
	} else {
		b.WriteString(xml.Header)
		writeXML(&b, root, v)
	}
	b.WriteByte('\n')
	w.Header().Set("Content-Type", f.contentType())
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

func writeJSON(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case object:
		b.WriteByte('{')
		for i, f := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonString(b, f.Name)
			b.WriteByte(':')
			writeJSON(b, f.Value)
		}
		b.WriteByte('}')
	case list:
		b.WriteByte('[')
		for i, it := range x.Items {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, it)
		}
		b.WriteByte(']')
	case string:
		jsonString(b, x)
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		b.WriteString(number(x))
	default:
		panic(fmt.Sprintf("open311: cannot encode %T", v))
	}
}

// jsonString writes s as encoding/json does with HTML escaping off. Most
// strings need no escape at all and are copied between quotes: a list of a
// thousand requests writes some twenty thousand strings, and an Encoder
// each cost more than the rest of the answer. Anything else goes to
// encoding/json, so the output is the same byte for byte.
func jsonString(b *bytes.Buffer, s string) {
	if plainJSON(s) {
		b.WriteByte('"')
		b.WriteString(s)
		b.WriteByte('"')
		return
	}
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	b.Truncate(b.Len() - 1) // Encode adds a newline
}

// plainJSON says whether encoding/json (HTML escaping off) writes s
// unchanged between quotes: valid UTF-8 with no quote, backslash, control
// character or U+2028/U+2029 (which it escapes for JavaScript).
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' {
			return false
		}
		// U+2028 and U+2029 are E2 80 A8 and E2 80 A9 in UTF-8.
		if c == 0xE2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9) {
			return false
		}
	}
	return utf8.ValidString(s)
}

// number formats a coordinate or distance without exponent; NaN and
// infinities never reach here (inputs are checked), but are written as 0
// rather than as invalid JSON.
func number(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "0"
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func writeXML(b *bytes.Buffer, name string, v any) {
	b.WriteByte('<')
	b.WriteString(name)
	if v == nil {
		b.WriteString("/>")
		return
	}
	b.WriteByte('>')
	switch x := v.(type) {
	case object:
		for _, f := range x {
			writeXML(b, f.Name, f.Value)
		}
	case list:
		for _, it := range x.Items {
			writeXML(b, x.Item, it)
		}
	case string:
		xml.EscapeText(b, []byte(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		b.WriteString(number(x))
	default:
		panic(fmt.Sprintf("open311: cannot encode %T", v))
	}
	b.WriteString("</")
	b.WriteString(name)
	b.WriteByte('>')
}

// nullable returns nil for "" so that an absent value is null in JSON and an
// empty element in XML.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
