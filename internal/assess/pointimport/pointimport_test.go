package pointimport

import (
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua"
)

// TestParseCSV: rows keep their line numbers and their problems; a broken
// header refuses the file.
func TestParseCSV(t *testing.T) {
	rows, err := Parse([]byte("code,name,type,lon,lat,enabled\nA,甲,main_road,120.1,31.5,否\nB,乙,main_road,east,31.5,\nC,丙,main_road\n\"D,丁\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows: %+v", len(rows), rows)
	}
	if a := rows[0]; a.Where != "line 2" || a.Enabled == nil || *a.Enabled || *a.Lon != 120.1 || len(a.Problems) != 0 {
		t.Errorf("A: %+v", a)
	}
	if b := rows[1]; len(b.Problems) != 1 || !strings.HasPrefix(b.Problems[0], `line 3: lon "east" is not a number / 第3行`) {
		t.Errorf("B: %+v", b.Problems)
	}
	if c := rows[2]; len(c.Problems) != 1 || !strings.HasPrefix(c.Problems[0], "line 4: 3 fields, the header has 6") {
		t.Errorf("C: %+v", c.Problems)
	}
	if d := rows[3]; len(d.Problems) != 1 || !strings.HasPrefix(d.Problems[0], "line 5:") {
		t.Errorf("D: %+v", d)
	}
	_, err = Parse([]byte("code,name,kind,lon,lat\n"))
	if e := xiuhua.AsError(err); e.Code != xiuhua.EInvalid || len(e.Details) != 2 {
		t.Fatalf("bad header: %v %v", err, e.Details)
	}
}

func TestParseGeoJSON(t *testing.T) {
	rows, err := Parse([]byte(` {"type":"FeatureCollection","features":[
		{"type":"Feature","geometry":{"type":"Point","coordinates":[120.2,31.5]},"properties":{"code":7,"name":"七","type":"toilet","territory":"320213"}},
		{"type":"Feature","geometry":null,"properties":{"code":"X","name":["bad"]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if r := rows[0]; r.Code != "7" || r.Territory != "320213" || *r.Lat != 31.5 || len(r.Problems) != 0 {
		t.Errorf("feature 1: %+v", r)
	}
	if r := rows[1]; len(r.Problems) != 2 || !strings.HasPrefix(r.Problems[0], `feature 2: property "name" must be a string`) {
		t.Errorf("feature 2: %+v", r.Problems)
	}
	if _, err := Parse([]byte(`{"type":"Feature"}`)); xiuhua.ErrorCode(err) != xiuhua.EInvalid {
		t.Errorf("a lone feature: %v", err)
	}
}
