package bench

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/store"
)

// hotlineCSV builds a 12345 export of n orders spread over the fixture's
// district, with the wordings operators use.
func hotlineCSV(n int) []byte {
	rng := rand.New(rand.NewPCG(12345, 1))
	texts := []string{"违章停车", "垃圾未清运", "占道经营", "噪音扰民", "路灯不亮", "井盖缺失", "乱堆乱放", "小广告"}
	var b bytes.Buffer
	b.WriteString("工单编号,受理时间,诉求类别,问题描述,地址,经度,纬度\n")
	for i := range n {
		fmt.Fprintf(&b, "GD2026%07d,2026-11-20 09:%02d:00,%s,市民反映问题 %d,清扬路%d号,%.6f,%.6f\n",
			i, i%60, texts[i%len(texts)], i, i%500, 120.2+rng.Float64()*0.2, 31.5+rng.Float64()*0.1)
	}
	return b.Bytes()
}

// BenchmarkHotlineImport imports a 100,000-order file into a fresh store
// (the goal: under 30 s). Run with -benchtime 1x.
func BenchmarkHotlineImport(b *testing.B) {
	file := hotlineCSV(100_000)
	stores(b, func(b *testing.B, open func(testing.TB) *store.DB) {
		for b.Loop() {
			b.StopTimer()
			f := apptest.New(b, open(b))
			b.StartTimer()
			rep, err := f.App.ImportHotline(context.Background(), f.Actors["dispatcher"], bytes.NewReader(file), false, nil)
			if err != nil || rep.Imported != 100_000 {
				b.Fatalf("%+v %v", rep.Failed, err)
			}
		}
		b.ReportMetric(float64(100_000*b.N)/b.Elapsed().Seconds(), "orders/s")
	})
}
