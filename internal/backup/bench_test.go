package backup

import (
	"bytes"
	"context"
	"testing"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/demo"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// BenchmarkDemo backs up and restores the Wuxi demo (about 11,000 areas,
// 320 cases with their events and photos) on each store:
//
//	go test ./internal/backup -run '^$' -bench Demo -benchtime 3x
func BenchmarkDemo(b *testing.B) {
	for _, s := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(s.name, func(b *testing.B) {
			ctx := context.Background()
			db := s.open(b)
			a, err := app.New(ctx, db, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := demo.Seed(ctx, a); err != nil {
				b.Fatal(err)
			}
			var buf bytes.Buffer
			b.Run("backup", func(b *testing.B) {
				for b.Loop() {
					buf.Reset()
					if _, err := Backup(ctx, db, &buf); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(buf.Len())/1e6, "MB")
			})
			b.Run("restore", func(b *testing.B) {
				for b.Loop() {
					b.StopTimer()
					target := s.open(b)
					b.StartTimer()
					if _, err := Restore(ctx, target, bytes.NewReader(buf.Bytes()), false); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
