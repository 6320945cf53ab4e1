package hotline

import (
	"slices"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua"

	"golang.org/x/text/encoding/simplifiedchinese"
)

const sample = "\ufeff工单编号,受理时间,诉求类别,问题描述,地址,经度,纬度,紧急程度\n" +
	"GD001,2026-11-20 09:12:00,违章停车,小区门口消防通道被占,清扬路1号,120.22,31.52,一般\n" +
	"GD002,2026-11-20 10:00:00,垃圾未清运,垃圾桶满溢,清扬路2号,120.27,31.55,紧急\n" +
	",2026-11-20 10:05:00,违章停车,无编号,清扬路3号,120.22,31.52,\n" +
	"GD001,2026-11-20 10:06:00,违章停车,重复编号,清扬路4号,120.22,31.52,\n" +
	"GD003,2026-11-20 10:07:00,违章停车,无坐标,清扬路5号,,,\n" +
	"GD004,2026-11-20 10:08:00,违章停车,坐标错误,清扬路6号,东经,31.52,\n" +
	"\n" +
	"GD005,2026-11-20 10:09:00,乱堆乱放,坐标在一列,清扬路7号,,,\n" +
	"GD006,2026-11-20 10:10:00,乱堆乱放,无坐标无地址,,,,\n" +
	"GD007,2026-11-20 10:11:00,乱堆乱放,只有经度,清扬路8号,120.22,,\n"

func TestParse(t *testing.T) {
	orders, errs, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	// GD003 and GD005 give an address only: they wait for LocateAddresses.
	if len(orders) != 4 || orders[0].No != "GD001" || orders[0].Row != 2 || *orders[0].Lon != 120.22 || orders[0].Urgent || !orders[1].Urgent {
		t.Fatalf("orders %+v", orders)
	}
	if o := orders[2]; o.No != "GD003" || o.Row != 6 || o.Lon != nil || o.Lat != nil || o.Address != "清扬路5号" {
		t.Errorf("address-only order %+v", o)
	}
	if o := orders[3]; o.No != "GD005" || o.Row != 9 || o.Lon != nil || o.Address != "清扬路7号" {
		t.Errorf("address-only order %+v", o)
	}
	// Rows 4 (no number), 5 (repeated), 7 (bad), 10 (no coordinates, no address), 11 (one coordinate).
	wantRows := []int{4, 5, 7, 10, 11}
	if len(errs) != len(wantRows) {
		t.Fatalf("errors %+v", errs)
	}
	for i, e := range errs {
		if e.Row != wantRows[i] || e.Message == "" || e.MessageZh == "" {
			t.Errorf("error %d = %+v, want row %d", i, e, wantRows[i])
		}
	}
	if !strings.Contains(errs[1].MessageZh, "第 2 行") {
		t.Errorf("repeat should name the first row: %q", errs[1].MessageZh)
	}
}

func TestParseGB18030AndCoordsColumn(t *testing.T) {
	text := "工单号,问题分类,工单内容,坐标\nGD9,占道经营,水果摊占道,\"120.27,31.55\"\n"
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	orders, errs, err := Parse(strings.NewReader(gb))
	if err != nil || len(errs) != 0 || len(orders) != 1 {
		t.Fatalf("%v %v %v", orders, errs, err)
	}
	o := orders[0]
	if o.CategoryText != "占道经营" || o.Description != "水果摊占道" || *o.Lon != 120.27 || *o.Lat != 31.55 {
		t.Errorf("%+v", o)
	}
}

func TestParseRefusesFile(t *testing.T) {
	for name, f := range map[string]string{
		"empty":      "",
		"no columns": "a,b,c\n1,2,3\n",
		"no coords":  "工单编号,诉求类别,问题描述,备注\nGD1,违章停车,x,y\n",
	} {
		if _, _, err := Parse(strings.NewReader(f)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestLocateAddresses(t *testing.T) {
	orders, errs, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	var asked []string
	// A locator that knows 清扬路5号 only.
	orders, errs = LocateAddresses(orders, errs, func(addr string) (Placed, error) {
		asked = append(asked, addr)
		if addr == "清扬路5号" {
			return Placed{Lon: 120.5, Lat: 31.5, Area: "320213022010", Note: "位置按地址定位至某社区（近似）"}, nil
		}
		return Placed{}, xiuhua.Errorf(xiuhua.EUnprocessable, "the address matched X only", "地址仅匹配到X")
	})
	if len(asked) != 2 || asked[0] != "清扬路5号" || asked[1] != "清扬路7号" {
		t.Errorf("asked %q", asked)
	}
	if len(orders) != 3 || orders[2].No != "GD003" || *orders[2].Lon != 120.5 || *orders[2].Lat != 31.5 || orders[2].Note == "" ||
		orders[2].Area != "320213022010" || orders[0].Area != "" || orders[1].Area != "" {
		t.Fatalf("orders %+v", orders)
	}
	// GD005 (row 9) joins the errors in row order, with the locator's reason.
	var rows []int
	for _, e := range errs {
		rows = append(rows, e.Row)
	}
	if !slices.Equal(rows, []int{4, 5, 7, 9, 10, 11}) {
		t.Fatalf("error rows %v", rows)
	}
	if e := errs[3]; e.OrderNo != "GD005" || e.Message != "no coordinates, and the address matched X only" || e.MessageZh != "缺少经纬度，且地址仅匹配到X" {
		t.Errorf("error %+v", e)
	}
}
