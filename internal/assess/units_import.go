package assess

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/xiuhua/xiuhua"
)

// ParseMgmtUnits reads a management units file: JSON (an array of units, or
// {"items": [...]}) or CSV with a header naming the columns code, name,
// parent and grids (or 编码, 名称, 上级区域, 网格). A CSV grids cell lists
// grid codes separated by ';', '；', '、', '|' or spaces; a unit may also
// take several rows (one per grid or group of grids), which are merged.
func ParseMgmtUnits(data []byte) ([]MgmtUnit, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, xiuhua.Errorf(xiuhua.EInvalid, "the file is empty", "文件为空")
	}
	if trimmed[0] == '[' || trimmed[0] == '{' {
		var us []MgmtUnit
		if trimmed[0] == '{' {
			var w struct {
				Items []MgmtUnit `json:"items"`
			}
			if err := json.Unmarshal(trimmed, &w); err != nil {
				return nil, badJSON(err)
			}
			us = w.Items
		} else if err := json.Unmarshal(trimmed, &us); err != nil {
			return nil, badJSON(err)
		}
		return us, nil
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	head, err := r.Read()
	if err != nil {
		return nil, xiuhua.Errorf(xiuhua.EInvalid, "the CSV has no header line", "CSV 文件缺少表头")
	}
	col := map[string]int{}
	alias := map[string]string{"编码": "code", "管理单元编码": "code", "名称": "name", "管理单元名称": "name", "上级区域": "parent",
		"所属区域": "parent", "网格": "grids", "网格编码": "grids", "grid": "grids"}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(h))
		if a, ok := alias[h]; ok {
			h = a
		}
		col[h] = i
	}
	for _, c := range []string{"code", "name", "parent", "grids"} {
		if _, ok := col[c]; !ok {
			return nil, xiuhua.Errorf(xiuhua.EInvalid, "the CSV header must name the columns code, name, parent and grids (missing %s)",
				"CSV 表头须包含 code、name、parent、grids 列（缺少 %s）", c)
		}
	}
	var out []MgmtUnit
	at := map[string]int{}
	var probs []string
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			probs = append(probs, fmt.Sprintf("line %d: not valid CSV / 第%d行：CSV 格式有误", line, line))
			break
		}
		get := func(c string) string {
			if i := col[c]; i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if strings.Join(rec, "") == "" {
			continue
		}
		code, name, parent := get("code"), get("name"), get("parent")
		grids := strings.FieldsFunc(get("grids"), func(r rune) bool {
			return r == ';' || r == '；' || r == '、' || r == '|' || r == ' ' || r == '\t' || r == ','
		})
		if i, ok := at[code]; ok {
			u := &out[i]
			if (name != "" && name != u.Name) || (parent != "" && parent != u.Parent) {
				probs = append(probs, fmt.Sprintf("line %d: unit %s has another name or parent above / 第%d行：管理单元 %s 的名称或上级区域与前文不一致", line, code, line, code))
			}
			u.Grids = append(u.Grids, grids...)
			continue
		}
		at[code] = len(out)
		out = append(out, MgmtUnit{Code: code, Name: name, Parent: parent, Grids: grids})
	}
	if len(probs) > 0 {
		e := xiuhua.Errorf(xiuhua.EInvalid, "invalid management units file: %s", "管理单元文件有误：%s", strings.Join(probs, "; "))
		e.Details = probs
		return nil, e
	}
	return out, nil
}

func badJSON(err error) error {
	return xiuhua.Errorf(xiuhua.EInvalid, "the file is not valid JSON: %v", "文件不是有效的 JSON：%v", err)
}
