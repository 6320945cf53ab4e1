package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestCrash runs the harness at a small size: 3 kills about 2 s apart on
// SQLite, and on PostgreSQL when XIUHUA_TEST_POSTGRES_URL is set. Long runs
// are by hand (see the package comment).
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash harness builds and kills a server: skipped in -short")
	}
	stores := map[string]string{"sqlite": "", "postgres": os.Getenv(storetest.EnvPostgres)}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			if name == "postgres" && stores[name] == "" {
				t.Skip(storetest.EnvPostgres + " is not set: PostgreSQL run skipped")
			}
			res, err := Run(context.Background(), Config{Database: stores[name], Kills: 3, Interval: 2 * time.Second, Clients: 4, Log: testWriter{t}})
			t.Log(res)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range res.Lost {
				t.Error("lost:", l)
			}
			for st, n := range res.Refused {
				if st >= 500 {
					t.Errorf("%d requests answered %d", n, st)
				}
			}
			// The run must have done something for its check to mean anything.
			if res.Kills != 3 || res.Cases == 0 || res.Transitions == 0 || res.Photos == 0 {
				t.Fatalf("too little happened: %s", res)
			}
		})
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
