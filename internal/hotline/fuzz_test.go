package hotline

import (
	"bytes"
	"testing"

	"github.com/xiuhua/xiuhua"
)

// FuzzParse: any file either parses (every order with a number and valid
// coordinates or, lacking both, an address; every bad row reported with its
// line) or is refused with a clear error. Never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte("工单号,问题分类,工单内容,坐标\nGD9,占道经营,水果摊占道,\"120.27,31.55\"\n"))
	f.Add([]byte("order_no,category,description,lon,lat\n\"x,1,2,3\n"))
	f.Add([]byte("工单编号,诉求类别,问题描述,地址\nGD1,违章停车,x,梁溪区家乐花园社区\nGD2,违章停车,y,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		orders, errs, err := Parse(bytes.NewReader(data))
		if err != nil {
			if e := xiuhua.AsError(err); e.Code == xiuhua.EInternal || e.MessageZh == "" {
				t.Fatalf("unclear refusal: %v", err)
			}
			return
		}
		for _, o := range orders {
			if o.No == "" || o.Row < 2 || (o.Lon == nil) != (o.Lat == nil) || (o.Lon == nil && o.Address == "") {
				t.Fatalf("bad order accepted: %+v", o)
			}
			if o.Lon != nil && (*o.Lon < -180 || *o.Lon > 180 || *o.Lat < -90 || *o.Lat > 90) {
				t.Fatalf("bad coordinates accepted: %+v", o)
			}
		}
		for _, e := range errs {
			if e.Message == "" || e.MessageZh == "" || e.Row < 1 {
				t.Fatalf("unclear row error: %+v", e)
			}
		}
	})
}
