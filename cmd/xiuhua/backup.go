package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/backup"
	"github.com/xiuhua/xiuhua/internal/store"
)

// openStore opens and migrates the store without starting the app, so that
// nothing (such as the seeded catalogue) is written before a restore.
func openStore(ctx context.Context, sf storeFlags) (*store.DB, error) {
	if sf.data == "" {
		return nil, xiuhua.Errorf(xiuhua.EInvalid, "--data DIR is required (or set XIUHUA_DATA)", "必须指定 --data 数据目录（或设置 XIUHUA_DATA）")
	}
	db, err := store.Open(ctx, sf.data, sf.database)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return db, nil
}

// cmdBackup writes a consistent backup (database and photos) to one file,
// safe to run while the server is serving.
func cmdBackup(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("backup", "backup --data DIR [--database URL] --out FILE.tar.gz", stdout)
	var sf storeFlags
	sf.register(fs)
	out := fs.String("out", "", "the backup file to write (a tar.gz)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return xiuhua.Errorf(xiuhua.EInvalid, "--out FILE is required", "必须指定 --out 备份文件")
	}
	db, err := openStore(ctx, sf)
	if err != nil {
		return err
	}
	defer db.Close()
	// Write beside the target and rename, so a failed backup never leaves a
	// file that looks complete.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".xiuhua-backup-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	m, err := backup.Backup(ctx, db, tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup written to %s: %s store, schema version %d, %d parts\n", *out, m.Dialect, m.SchemaVersion, len(m.Parts))
	return nil
}

// cmdRestore restores a backup file into an empty store (any kind: a SQLite
// backup restores into PostgreSQL and back).
func cmdRestore(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("restore", "restore --data DIR [--database URL] [--force] FILE.tar.gz", stdout)
	var sf storeFlags
	sf.register(fs)
	force := fs.Bool("force", false, "replace the data of a store that is not empty")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return xiuhua.Errorf(xiuhua.EInvalid, "give exactly one backup file", "请指定一个备份文件")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return xiuhua.Errorf(xiuhua.EInvalid, "cannot open %s: %v", "无法打开 %s：%v", fs.Arg(0), err)
	}
	defer f.Close()
	db, err := openStore(ctx, sf)
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := backup.Restore(ctx, db, f, *force)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s backup of %s (schema version %d) into the %s store\n",
		m.Dialect, m.Created.Format("2006-01-02 15:04:05Z"), m.SchemaVersion, db.Dialect)
	return nil
}
