package open311_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/open311"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// benchEnv is the door on SQLite (PostgreSQL when XIUHUA_TEST_POSTGRES_URL
// is set) without rate limits.
func benchEnv(b *testing.B) *env {
	db := storetest.SQLite(b)
	if os.Getenv(storetest.EnvPostgres) != "" {
		db = storetest.Postgres(b)
	}
	f := apptest.New(b, db)
	o := open311.New(f.App, nil)
	o.Config = open311.DefaultConfig()
	o.Config.PerIP.Rate, o.Config.PerKey.Rate = 0, 0
	e := &env{f: f, o: o, keys: map[string]string{}}
	e.srv = newServer(b, o)
	_, secret, err := open311.AddKey(context.Background(), f.App, "bench", "")
	if err != nil {
		b.Fatal(err)
	}
	e.keys["city"] = secret
	return e
}

// BenchmarkPostRequest posts FixMyStreet-like reports (url-encoded, an
// attribute, a media_url) from parallel clients: "spread" over the fixture's
// territory (a point every ~100 m), and "hotspot", every report at one point,
// where each report's duplicate search meets all the earlier ones.
func BenchmarkPostRequest(b *testing.B) {
	for _, hot := range []bool{false, true} {
		name := "spread"
		if hot {
			name = "hotspot"
		}
		b.Run(name, func(b *testing.B) {
			e := benchEnv(b)
			var n atomic.Int64
			u := e.srv.URL + open311.Prefix + "requests.xml"
			b.SetParallelism(8) // 8 clients per core, as bench/ does for the JSON API
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					lat, lon := 31.5005+float64(i%100)*0.00099, 120.2005+float64(i/100%200)*0.00099
					if hot {
						lat, lon = 31.521, 120.221
					}
					form := url.Values{"api_key": {e.keys["city"]}, "service_code": {"C0110"}, "lat": {ftoa(lat)}, "long": {ftoa(lon)},
						"description": {"路灯不亮\n\nhttps://fms.example.org/report/1"}, "email": {"a@example.com"}, "first_name": {"A"},
						"last_name": {"B"}, "attribute[asset_id]": {"LD-1"}, "media_url": {"https://fms.example.org/p/1.jpeg"}}
					res, err := http.Post(u, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != 200 {
						b.Errorf("status %d", res.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
		})
	}
}

// BenchmarkGetRequests reads a page of 1000 requests (the spec's default
// limit) in JSON and XML, with and without extensions.
func BenchmarkGetRequests(b *testing.B) {
	e := benchEnv(b)
	ins := make([]casework.ReportInput, 1000)
	for i := range ins {
		lon, lat := 120.2+float64(i%100)*0.002, 31.5+float64(i/100)*0.01
		ins[i] = casework.ReportInput{Category: "E0102", Description: "暴露垃圾", Lon: &lon, Lat: &lat, Source: casework.SourceCitizen}
	}
	if _, _, err := e.f.App.Cases.ReportBatch(context.Background(), e.f.Actors["admin"], ins); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, path, q string }{
		{"json", "requests.json", ""},
		{"xml", "requests.xml", ""},
		{"xml+extensions", "requests.xml", "extensions=true"},
	} {
		b.Run(c.name, func(b *testing.B) {
			u := e.srv.URL + open311.Prefix + c.path + "?" + c.q
			for i := 0; i < b.N; i++ {
				res, err := http.Get(u)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 || n < 100_000 {
					b.Fatalf("status %d, %d bytes", res.StatusCode, n)
				}
			}
		})
	}
}
