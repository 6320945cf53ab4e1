package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/assess"
)

// TestAssessNoticeAndPointsCommands imports points (a bad file imports
// nothing) and prints a stored publication as HTML and XLSX.
func TestAssessNoticeAndPointsCommands(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XIUHUA_DATA", dir)
	t.Setenv("XIUHUA_DATABASE_URL", "")
	if _, err := runCmd(t, "migrate"); err != nil {
		t.Fatal(err)
	}
	terr := filepath.Join(dir, "t.geojson")
	os.WriteFile(terr, apptest.TerritoryGeoJSON(), 0o600)
	if _, err := runCmd(t, "import", "territory", terr); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "points.csv")
	os.WriteFile(good, []byte("code,name,type,lon,lat\nJ1,家乐路口,main_road,120.22,31.52\nN1,南苑菜场,农贸市场,120.27,31.53\n"), 0o600)
	out, err := runCmd(t, "assess", "points", "import", good)
	if err != nil || !strings.Contains(out, "imported 2 points: 2 created, 0 updated, 0 unchanged") {
		t.Fatalf("points import: %v %q", err, out)
	}
	if out, err = runCmd(t, "assess", "points", "import", good); err != nil || !strings.Contains(out, "0 created, 0 updated, 2 unchanged") {
		t.Fatalf("again: %v %q", err, out)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("code,name,type,lon,lat\nK1,好,main_road,120.22,31.52\nK2,坏,moon,120.22,31.52\n"), 0o600)
	if _, err := runCmd(t, "assess", "points", "import", bad); xiuhua.ErrorCode(err) != xiuhua.EInvalid ||
		len(xiuhua.AsError(err).Details) != 1 || !strings.HasPrefix(xiuhua.AsError(err).Details[0], "line 3: unknown point type") {
		t.Fatalf("bad file: %v", err)
	}
	a, err := (&storeFlags{data: dir}).open(context.Background(), logger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	ps, _ := a.DB.Points(context.Background(), "")
	if len(ps) != 2 || ps[1].Type != "market" || ps[1].Community != "320213022003" {
		t.Fatalf("points after a bad file: %+v", ps)
	}

	// A stored publication, written as Publish writes it: the notice prints it as stored.
	body := `{"params":{"kind":"scores","period":"2026-10","round":1,"territory":"320213"},"result":{"round":1,"period":"2026-10","scheme":"civic","scheme_version":1,` +
		`"territory":"320213","cutoff":"2026-11-01T00:00:00+08:00","excellent_threshold":90.00,"min_sample":5,"units":[` +
		`{"unit":"320213022010","name":"家乐花园社区","tier":"320213","inspected":7,"problems":12,"prev_problems":0,"change":12,"indicators":[{"code":"road","full_marks":100.00,"deducted":29.50,"score":70.50}],"deducted":29.50,"fixed_fast":0,"bonus":0.00,"total":70.50,"excellent":false,"insufficient_sample":false,"rank":1}],` +
		`"scored":1,"excellent_units":0,"excellence_rate":0.00,"lists":[{"tier":"320213","red":["320213022010"],"black":[]}],"tie_rule":"t","tie_rule_zh":"按总分排序"}}`
	p := assess.Publication{Kind: "scores", Period: "2026-10", Scope: "round:1", Reason: "", Cutoff: time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC),
		Body: []byte(body), CreatedAt: time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)}
	if err := a.DB.Publish(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	a.DB.Close()
	htmlOut := filepath.Join(dir, "n.html")
	id := "1"
	if out, err = runCmd(t, "assess", "notice", "--publication", id, "--out", htmlOut); err != nil || !strings.Contains(out, "version 1") {
		t.Fatalf("notice html: %v %q", err, out)
	}
	page, _ := os.ReadFile(htmlOut)
	for _, w := range []string{"梁溪区2026年10月城市精细化管理考核结果通报", "70.50", "家乐花园社区（70.50分）", "排名规则：按总分排序", "本期部门处置指标尚未发布"} {
		if !bytes.Contains(page, []byte(w)) {
			t.Errorf("notice lacks %q", w)
		}
	}
	xlsxOut := filepath.Join(dir, "n.xlsx")
	if _, err = runCmd(t, "assess", "notice", "--publication", id, "--format", "xlsx", "--out", xlsxOut); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenFile(xlsxOut)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if v, _ := x.GetCellValue("考核得分", "I2"); v != "70.50" {
		t.Errorf("xlsx total %q", v)
	}
	if _, err := runCmd(t, "assess", "notice", "--publication", "9", "--out", htmlOut); xiuhua.ErrorCode(err) != xiuhua.ENotFound {
		t.Errorf("missing publication: %v", err)
	}
	if _, err := runCmd(t, "assess", "notice", "--publication", id, "--out", filepath.Join(dir, "n.pdf")); xiuhua.ErrorCode(err) != xiuhua.EInvalid {
		t.Errorf("pdf: %v", err)
	}
}
