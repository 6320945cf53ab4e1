package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// build fills db with the fixture, three cases at different steps and a photo.
func build(t *testing.T, db *store.DB) {
	t.Helper()
	f := apptest.New(t, db)
	ctx := context.Background()
	photo := f.Photo(t, "backup")
	act := func(who string, c casework.Case, a casework.Action, in casework.Input) casework.Case {
		t.Helper()
		in.Version = c.Version
		n, err := f.App.Cases.Act(ctx, f.Actors[who], c.ID, a, in)
		if err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		return n
	}
	for i, pt := range [][2]float64{apptest.PointJiale1, apptest.PointJiale2, apptest.PointNanyuan} {
		c, err := f.App.Cases.Report(ctx, f.Actors["inspector"], casework.ReportInput{
			Category: "E0102", Description: "暴露垃圾 backup", Lon: &pt[0], Lat: &pt[1], Attachments: []string{photo}})
		if err != nil {
			t.Fatal(err)
		}
		if i >= 1 {
			c = act("dispatcher", c, casework.Register, casework.Input{})
		}
		if i >= 2 {
			c = act("dispatcher", c, casework.Dispatch, casework.Input{Unit: "320213.sanitation"})
			act("san", c, casework.Handle, casework.Input{Note: "cleared", Attachments: []string{photo}})
		}
	}
}

// dump reads every table row by row in key order.
func dump(t *testing.T, db *store.DB) map[string][][]any {
	t.Helper()
	tables, err := Tables(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][][]any{}
	for _, tb := range tables {
		rows := [][]any{}
		if err := eachRow(context.Background(), db.R, tb, func(v []any) error { rows = append(rows, v); return nil }); err != nil {
			t.Fatal(err)
		}
		out[tb.Name] = rows
	}
	return out
}

func blobs(t *testing.T, db *store.DB) map[string][]byte {
	t.Helper()
	root := filepath.Join(db.DataDir, "blobs")
	out := map[string][]byte{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if strings.HasPrefix(rel, "tmp") {
			return nil
		}
		b, err := os.ReadFile(p)
		out[rel] = b
		return err
	})
	return out
}

func TestRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		build(t, db)
		var buf bytes.Buffer
		m, err := Backup(ctx, db, &buf)
		if err != nil {
			t.Fatal(err)
		}
		if m.Dialect != string(db.Dialect) || m.SchemaVersion == 0 {
			t.Fatalf("manifest %+v", m)
		}
		want, wantBlobs := dump(t, db), blobs(t, db)
		if len(want["cases"]) != 3 || len(want["events"]) != 7 || len(wantBlobs) != 1 {
			t.Fatalf("fixture: %d cases, %d events, %d blobs", len(want["cases"]), len(want["events"]), len(wantBlobs))
		}

		// Restore into a fresh store of the same kind.
		var fresh *store.DB
		if db.Dialect == store.Postgres {
			fresh = storetest.Postgres(t)
		} else {
			fresh = storetest.SQLite(t)
		}
		if _, err := Restore(ctx, fresh, bytes.NewReader(buf.Bytes()), false); err != nil {
			t.Fatal(err)
		}
		got := dump(t, fresh)
		for name, rows := range want {
			if !reflect.DeepEqual(rows, got[name]) {
				t.Errorf("table %s differs after restore:\nwant %v\ngot  %v", name, rows, got[name])
			}
		}
		if !reflect.DeepEqual(wantBlobs, blobs(t, fresh)) {
			t.Error("photos differ after restore")
		}
		rep, err := fresh.VerifyAudit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Problems) > 0 || rep.Events != 7 {
			t.Fatalf("audit after restore: %d events, problems %+v", rep.Events, rep.Problems)
		}
		// A second restore into the now non-empty store is refused, and
		// allowed with force.
		_, err = Restore(ctx, fresh, bytes.NewReader(buf.Bytes()), false)
		if xiuhua.ErrorCode(err) != xiuhua.EConflict {
			t.Fatalf("restore into non-empty store: %v", err)
		}
		if _, err := Restore(ctx, fresh, bytes.NewReader(buf.Bytes()), true); err != nil {
			t.Fatalf("forced restore: %v", err)
		}
		if got := dump(t, fresh); !reflect.DeepEqual(got["cases"], want["cases"]) {
			t.Fatal("cases differ after forced restore")
		}

		// A damaged file is refused.
		bad := append([]byte(nil), buf.Bytes()...)
		bad[len(bad)/2] ^= 0xff
		other := storetest.SQLite(t)
		if _, err := Restore(ctx, other, bytes.NewReader(bad), false); xiuhua.ErrorCode(err) != xiuhua.EUnprocessable {
			t.Fatalf("damaged file: %v", err)
		}
	})
}

// TestSequenceAfterRestore checks that a case reported after a restore gets
// an id after the restored ones.
func TestSequenceAfterRestore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		build(t, db)
		var buf bytes.Buffer
		if _, err := Backup(ctx, db, &buf); err != nil {
			t.Fatal(err)
		}
		var fresh *store.DB
		if db.Dialect == store.Postgres {
			fresh = storetest.Postgres(t)
		} else {
			fresh = storetest.SQLite(t)
		}
		if _, err := Restore(ctx, fresh, &buf, false); err != nil {
			t.Fatal(err)
		}
		var next int64
		if err := fresh.W.QueryRowContext(ctx, fresh.Q(`INSERT INTO users (username, display_name, role, scope, disabled, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), "after-restore", "x", "leader", "320213", false, 1).Scan(&next); err != nil {
			t.Fatalf("insert after restore: %v", err)
		}
		var users int64
		fresh.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM users").Scan(&users)
		if next != users {
			t.Fatalf("new user id %d, want %d (one after the %d restored)", next, users, users-1)
		}
	})
}

// TestCrossStore restores a SQLite backup into PostgreSQL and back.
func TestCrossStore(t *testing.T) {
	ctx := context.Background()
	lite := storetest.SQLite(t)
	build(t, lite)
	want := dump(t, lite)
	var buf bytes.Buffer
	if _, err := Backup(ctx, lite, &buf); err != nil {
		t.Fatal(err)
	}
	pg := storetest.Postgres(t)
	if _, err := Restore(ctx, pg, &buf, false); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if _, err := Backup(ctx, pg, &buf); err != nil {
		t.Fatal(err)
	}
	back := storetest.SQLite(t)
	if _, err := Restore(ctx, back, &buf, false); err != nil {
		t.Fatal(err)
	}
	for _, db := range []*store.DB{pg, back} {
		got := dump(t, db)
		for name, rows := range want {
			if !reflect.DeepEqual(rows, got[name]) {
				t.Errorf("%s: table %s differs:\nwant %v\ngot  %v", db.Dialect, name, rows, got[name])
			}
		}
		if rep, err := db.VerifyAudit(ctx); err != nil || len(rep.Problems) > 0 {
			t.Fatalf("%s audit: %v %+v", db.Dialect, err, rep.Problems)
		}
	}
}

// rewrite copies a backup archive, letting edit change each entry's content.
func rewrite(t *testing.T, in []byte, edit func(name string, b []byte) []byte) []byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var out bytes.Buffer
	gw := gzip.NewWriter(&out)
	tw := tar.NewWriter(gw)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		b = edit(h.Name, b)
		h.Size = int64(len(b))
		tw.WriteHeader(h)
		tw.Write(b)
	}
	tw.Close()
	gw.Close()
	return out.Bytes()
}

// TestRefusals checks that a part whose bytes do not match the manifest,
// a missing part and another schema version are refused, leaving the target empty.
func TestRefusals(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	build(t, db)
	var buf bytes.Buffer
	if _, err := Backup(ctx, db, &buf); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		edit func(name string, b []byte) []byte
		code xiuhua.Code
		msg  string
	}{
		"edited photo": {func(name string, b []byte) []byte {
			if strings.HasPrefix(name, blobsDir) {
				b[len(b)-1] ^= 1
			}
			return b
		}, xiuhua.EUnprocessable, "checksum mismatch"},
		"missing part": {func(name string, b []byte) []byte {
			if name == manifestName {
				var m Manifest
				json.Unmarshal(b, &m)
				m.Parts["blobs/zz/extra"] = strings.Repeat("0", 64)
				b, _ = json.Marshal(m)
			}
			return b
		}, xiuhua.EUnprocessable, "is missing"},
		"newer schema": {func(name string, b []byte) []byte {
			if name == manifestName {
				var m Manifest
				json.Unmarshal(b, &m)
				m.SchemaVersion++
				b, _ = json.Marshal(m)
			}
			return b
		}, xiuhua.EConflict, "schema version"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			target := storetest.SQLite(t)
			_, err := Restore(ctx, target, bytes.NewReader(rewrite(t, buf.Bytes(), c.edit)), false)
			if xiuhua.ErrorCode(err) != c.code || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("got %v, want %s with %q", err, c.code, c.msg)
			}
			if tb, err := nonEmpty(ctx, target); err != nil || tb != "" {
				t.Fatalf("target holds data after a refused restore: %q %v", tb, err)
			}
		})
	}
	// The unedited copy restores: the rewriting itself is faithful.
	if _, err := Restore(ctx, storetest.SQLite(t), bytes.NewReader(rewrite(t, buf.Bytes(), func(_ string, b []byte) []byte { return b })), false); err != nil {
		t.Fatal(err)
	}
}
