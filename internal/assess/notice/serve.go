package notice

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"

	"github.com/xiuhua/xiuhua"
)

// ParseID reads a publication id from a path segment; anything else is
// not found, as an unknown id is.
func ParseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, xiuhua.Errorf(xiuhua.ENotFound, "no publication %s", "发布记录 %s 不存在", s)
	}
	return id, nil
}

// Formats a notice is served in.
const (
	FormatHTML = "html"
	FormatXLSX = "xlsx"
)

// Serve writes the notice as a printable HTML page or an XLSX download,
// the same for every door (console, API). The page is built whole before
// anything is written, so a failure answers with an error, not half a file.
func (n *Notice) Serve(w http.ResponseWriter, format string) error {
	var b bytes.Buffer
	switch format {
	case FormatHTML:
		if err := n.HTML(&b); err != nil {
			return xiuhua.Internal(err)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// A printable page with inline styles only: nothing loaded or run.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	case FormatXLSX:
		if err := n.XLSX(&b); err != nil {
			return xiuhua.Internal(err)
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="notice-%s-v%d.xlsx"`, n.Period, n.Version))
	default:
		return xiuhua.Internal(fmt.Errorf("notice: unknown format %q", format))
	}
	w.Write(b.Bytes())
	return nil
}
