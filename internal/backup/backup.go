// Package backup writes and restores a whole installation as one file: a
// tar.gz holding a manifest, the database and the photo folder.
//
// SQLite is copied online with VACUUM INTO (a consistent snapshot taken on the
// write connection, so no writer is half-way through it); PostgreSQL is dumped
// logically through the driver, one JSON-lines file per table, inside one
// REPEATABLE READ read-only transaction. Restore copies rows table by table in
// foreign-key order into an empty, migrated schema in one transaction, from
// either kind of backup into either store.
package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/store"
)

// FormatVersion is the version of the backup file layout.
const FormatVersion = 1

// Part names inside the archive.
const (
	manifestName = "manifest.json"
	sqliteName   = "db/xiuhua.db"
	tablesDir    = "db/tables/"
	blobsDir     = "blobs/"
)

// Manifest describes a backup file; it is the archive's first entry.
type Manifest struct {
	Version       int       `json:"version"`
	Dialect       string    `json:"dialect"`
	SchemaVersion int64     `json:"schema_version"`
	Created       time.Time `json:"created"`
	// Parts maps each other entry of the archive to its sha256 (hex).
	Parts map[string]string `json:"parts"`
	// Rows counts the rows per table (informative).
	Rows map[string]int64 `json:"rows,omitempty"`
}

// Backup writes a consistent backup of db and its photo folder to w.
func Backup(ctx context.Context, db *store.DB, w io.Writer) (Manifest, error) {
	cur, _, err := db.SchemaVersion(ctx)
	if err != nil {
		return Manifest{}, fmt.Errorf("schema version: %w", err)
	}
	tmp, err := os.MkdirTemp("", "xiuhua-backup-")
	if err != nil {
		return Manifest{}, err
	}
	defer os.RemoveAll(tmp)
	m := Manifest{Version: FormatVersion, Dialect: string(db.Dialect), SchemaVersion: cur, Created: time.Now().UTC(),
		Parts: map[string]string{}, Rows: map[string]int64{}}
	switch db.Dialect {
	case store.SQLite:
		p := filepath.Join(tmp, "xiuhua.db")
		// VACUUM INTO runs on the single write connection, so it sees only
		// committed transactions and no write can interleave.
		if _, err := db.W.ExecContext(ctx, "VACUUM INTO ?", p); err != nil {
			return Manifest{}, fmt.Errorf("vacuum into: %w", err)
		}
	case store.Postgres:
		// Link queued audit entries first, so that the archive's chain is
		// as complete as the store's (entries still queued are dumped too).
		if _, err := db.SealAudit(ctx); err != nil {
			return Manifest{}, fmt.Errorf("link audit entries: %w", err)
		}
		if err := dumpPostgres(ctx, db, filepath.Join(tmp, "tables"), m.Rows); err != nil {
			return Manifest{}, err
		}
	default:
		return Manifest{}, fmt.Errorf("backup: unknown dialect %q", db.Dialect)
	}
	// Photos are content-addressed and written before their row commits, so
	// copying the folder after the database snapshot covers every row.
	files := map[string]string{} // archive name → local path
	if db.Dialect == store.SQLite {
		files[sqliteName] = filepath.Join(tmp, "xiuhua.db")
	} else {
		ents, err := os.ReadDir(filepath.Join(tmp, "tables"))
		if err != nil {
			return Manifest{}, err
		}
		for _, e := range ents {
			files[tablesDir+e.Name()] = filepath.Join(tmp, "tables", e.Name())
		}
	}
	root := filepath.Join(db.DataDir, "blobs")
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && p == root {
				return filepath.SkipDir
			}
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if rel == "tmp" {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			files[blobsDir+filepath.ToSlash(rel)] = p
		}
		return nil
	})
	if err != nil {
		return Manifest{}, fmt.Errorf("photos: %w", err)
	}
	names := make([]string, 0, len(files))
	for n, p := range files {
		sum, err := fileSHA(p)
		if err != nil {
			return Manifest{}, err
		}
		m.Parts[n] = sum
		names = append(names, n)
	}
	sort.Strings(names)
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	mj, _ := json.MarshalIndent(m, "", "  ")
	if err := tw.WriteHeader(&tar.Header{Name: manifestName, Mode: 0o640, Size: int64(len(mj)), ModTime: m.Created, Typeflag: tar.TypeReg}); err != nil {
		return Manifest{}, err
	}
	if _, err := tw.Write(mj); err != nil {
		return Manifest{}, err
	}
	for _, n := range names {
		if err := addFile(tw, n, files[n], m.Created); err != nil {
			return Manifest{}, err
		}
	}
	if err := tw.Close(); err != nil {
		return Manifest{}, err
	}
	return m, gz.Close()
}

func addFile(tw *tar.Writer, name, p string, mod time.Time) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o640, Size: st.Size(), ModTime: mod, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

func fileSHA(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// header is the first line of a table's JSON-lines file.
type header struct {
	Table   string   `json:"table"`
	Columns []string `json:"columns"`
}

func dumpPostgres(ctx context.Context, db *store.DB, dir string, rows map[string]int64) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	tx, err := db.R.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	tables, err := schemaOf(ctx, tx, db.Dialect)
	if err != nil {
		return err
	}
	for i, t := range tables {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%03d_%s.jsonl", i, t.Name)))
		if err != nil {
			return err
		}
		n, err := dumpTable(ctx, tx, t, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("dump %s: %w", t.Name, err)
		}
		rows[t.Name] = n
	}
	return tx.Commit()
}

func dumpTable(ctx context.Context, q querier, t Table, w io.Writer) (int64, error) {
	enc := json.NewEncoder(w)
	if err := enc.Encode(header{Table: t.Name, Columns: t.Columns}); err != nil {
		return 0, err
	}
	var n int64
	err := eachRow(ctx, q, t, func(vals []any) error {
		n++
		return enc.Encode(vals)
	})
	return n, err
}

// Restore reads a backup from r into db, which must be migrated to the same
// schema version; stop the servers on db first, since they keep snapshots
// (territory, catalogue) that the restore replaces underneath them. It refuses a target that holds data unless force is set
// (then the target's rows are replaced), and a file whose checksums fail.
func Restore(ctx context.Context, db *store.DB, r io.Reader, force bool) (Manifest, error) {
	tmp, err := os.MkdirTemp("", "xiuhua-restore-")
	if err != nil {
		return Manifest{}, err
	}
	defer os.RemoveAll(tmp)
	m, err := extract(r, tmp)
	if err != nil {
		return m, err
	}
	cur, _, err := db.SchemaVersion(ctx)
	if err != nil {
		return m, fmt.Errorf("schema version: %w", err)
	}
	if m.SchemaVersion != cur {
		return m, xiuhua.Errorf(xiuhua.EConflict, "the backup has schema version %d but the target has %d: restore with the release that made it",
			"备份的数据库结构版本为 %d，目标为 %d：请使用生成该备份的版本恢复", m.SchemaVersion, cur)
	}
	if !force {
		if t, err := nonEmpty(ctx, db); err != nil {
			return m, err
		} else if t != "" {
			return m, xiuhua.Errorf(xiuhua.EConflict, "the target store already holds data (table %s); use --force to replace it",
				"目标数据库已有数据（表 %s）；如需覆盖请加 --force", t)
		}
	}
	var src source
	switch m.Dialect {
	case string(store.SQLite):
		s, err := store.Open(ctx, tmp, "sqlite:"+filepath.Join(tmp, filepath.FromSlash(sqliteName)))
		if err != nil {
			return m, err
		}
		defer s.Close()
		src = dbSource{s}
	case string(store.Postgres):
		src = jsonSource{filepath.Join(tmp, filepath.FromSlash(tablesDir))}
	default:
		return m, xiuhua.Errorf(xiuhua.EUnprocessable, "unknown database kind %q in the backup", "备份中的数据库类型 %q 无法识别", m.Dialect)
	}
	// Photos first: a row that names a photo must never exist without it.
	if err := copyBlobs(filepath.Join(tmp, "blobs"), filepath.Join(db.DataDir, "blobs")); err != nil {
		return m, fmt.Errorf("restore photos: %w", err)
	}
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		tables, err := schemaOf(ctx, tx, db.Dialect)
		if err != nil {
			return err
		}
		for i := len(tables) - 1; i >= 0; i-- {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+tables[i].Name); err != nil {
				return fmt.Errorf("empty %s: %w", tables[i].Name, err)
			}
		}
		for _, t := range tables {
			if err := src.copyInto(ctx, db, tx, t); err != nil {
				return fmt.Errorf("restore %s: %w", t.Name, err)
			}
		}
		if db.Dialect == store.Postgres {
			for _, t := range tables {
				if t.Identity == "" {
					continue
				}
				q := fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', '%s'), COALESCE(MAX(%s), 0) + 1, false) FROM %s",
					t.Name, t.Identity, t.Identity, t.Name)
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return fmt.Errorf("reset sequence of %s: %w", t.Name, err)
				}
			}
		}
		return nil
	})
	return m, err
}

// nonEmpty names a table that holds data a fresh store does not (the
// catalogue is seeded at first start, so it does not count).
func nonEmpty(ctx context.Context, db *store.DB) (string, error) {
	for _, t := range []string{"areas", "users", "cases", "audit_log"} {
		var n int
		if err := db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t).Scan(&n); err != nil {
			return "", err
		}
		if n > 0 {
			return t, nil
		}
	}
	return "", nil
}

func badFile(en, zh string, args ...any) error {
	return xiuhua.Errorf(xiuhua.EUnprocessable, "not a usable backup: "+en, "备份文件不可用："+zh, args...)
}

// extract unpacks the archive into dir, checking every part against the manifest.
func extract(r io.Reader, dir string) (Manifest, error) {
	var m Manifest
	gz, err := gzip.NewReader(r)
	if err != nil {
		return m, badFile("not gzip: %v", "不是 gzip 格式：%v", err)
	}
	tr := tar.NewReader(gz)
	seen := map[string]bool{}
	first := true
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return m, badFile("damaged archive: %v", "归档已损坏：%v", err)
		}
		if first {
			first = false
			if h.Name != manifestName {
				return m, badFile("no manifest", "缺少清单")
			}
			dec := json.NewDecoder(io.LimitReader(tr, 64<<20))
			if err := dec.Decode(&m); err != nil {
				return m, badFile("bad manifest: %v", "清单无效：%v", err)
			}
			if m.Version != FormatVersion {
				return m, badFile("format version %d (want %d)", "格式版本 %d（应为 %d）", m.Version, FormatVersion)
			}
			continue
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		want, ok := m.Parts[h.Name]
		clean := path.Clean(h.Name)
		if !ok || clean != h.Name || clean == ".." || strings.HasPrefix(clean, "../") || path.IsAbs(clean) {
			return m, badFile("unexpected entry %q", "意外的条目 %q", h.Name)
		}
		p := filepath.Join(dir, filepath.FromSlash(clean))
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			return m, err
		}
		f, err := os.Create(p)
		if err != nil {
			return m, err
		}
		hs := sha256.New()
		_, err = io.Copy(io.MultiWriter(f, hs), tr)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return m, badFile("damaged archive: %v", "归档已损坏：%v", err)
		}
		if hex.EncodeToString(hs.Sum(nil)) != want {
			return m, badFile("checksum mismatch for %s", "%s 校验和不符", h.Name)
		}
		seen[h.Name] = true
	}
	if first {
		return m, badFile("empty archive", "归档为空")
	}
	for n := range m.Parts {
		if !seen[n] {
			return m, badFile("part %s is missing", "缺少部分 %s", n)
		}
	}
	return m, nil
}

func copyBlobs(from, to string) error {
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && p == from {
				return filepath.SkipDir
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
			return err
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(dst)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		if err := out.Sync(); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}
