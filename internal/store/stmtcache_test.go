package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestPreparedLookups checks the lookups that go through prepared
// statements on SQLite, many times over so that connections reuse them:
// a case by id (and a missing one), from concurrent readers.
func TestPreparedLookups(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := apptest.New(t, db)
		ctx := context.Background()
		lon, lat := apptest.PointJiale1[0], apptest.PointJiale1[1]
		c, err := f.App.Cases.Report(ctx, f.Actors["inspector"], casework.ReportInput{Category: "E0102", Description: "预编译", Lon: &lon, Lat: &lat})
		if err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 16)
		for range 16 {
			go func() {
				for range 20 {
					got, err := db.Case(ctx, c.ID)
					if err != nil || got.ID != c.ID || got.Description != "预编译" {
						errc <- errors.Join(err, errors.New("wrong case"))
						return
					}
					if _, err := db.Case(ctx, c.ID+1000); xiuhua.AsError(err).Code != xiuhua.ENotFound {
						errc <- errors.Join(err, errors.New("a missing case is not 404"))
						return
					}
				}
				errc <- nil
			}()
		}
		for range 16 {
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		}
	})
}

func BenchmarkCaseByID(b *testing.B) {
	db := storetest.SQLite(b)
	f := apptest.New(b, db)
	ctx := context.Background()
	lon, lat := apptest.PointJiale1[0], apptest.PointJiale1[1]
	c, err := f.App.Cases.Report(ctx, f.Actors["inspector"], casework.ReportInput{Category: "E0102", Description: "预编译", Lon: &lon, Lat: &lat})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("prepared", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.Case(ctx, c.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The same read compiled each time, as before: the comparison.
	b.Run("compiled-each-time", func(b *testing.B) {
		for b.Loop() {
			var id int64
			var desc string
			if err := db.R.QueryRowContext(ctx, `SELECT id, description, state, category, address, lon, lat, grid, community, street, district,
				source, urgency, created_at, updated_at FROM cases WHERE id = ?`, c.ID).Scan(&id, &desc, new(string), new(string), new(string),
				new(float64), new(float64), new(string), new(string), new(string), new(string), new(string), new(string), new(int64), new(int64)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkUserByToken is the API's lookup of every request, from
// parallel readers, prepared (as UserByToken runs it) and compiled each
// time (as it ran before).
func BenchmarkUserByToken(b *testing.B) {
	db := storetest.SQLite(b)
	f := apptest.New(b, db)
	ctx := context.Background()
	if err := db.CreateToken(ctx, f.Actors["dispatcher"].UserID, "bench-hash", "bench"); err != nil {
		b.Fatal(err)
	}
	b.Run("prepared", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := db.UserByToken(ctx, "bench-hash"); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("compiled-each-time", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				var id int64
				var name, display, role, scope string
				var unit *string
				var disabled bool
				if err := db.R.QueryRowContext(ctx, `SELECT u.id, u.username, u.display_name, u.role, u.unit_code, u.scope, u.disabled FROM tokens t JOIN users u ON u.id = t.user_id
		WHERE t.hash = ? AND t.revoked_at IS NULL AND NOT u.disabled`, "bench-hash").Scan(&id, &name, &display, &role, &unit, &scope, &disabled); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
