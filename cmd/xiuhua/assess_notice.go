package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/api"
	"github.com/xiuhua/xiuhua/internal/assess/notice"
	"github.com/xiuhua/xiuhua/internal/assess/pointimport"
	"github.com/xiuhua/xiuhua/internal/auth"
)

// cmdAssessNotice runs "assess notice --publication ID --format html|xlsx
// --out FILE": a published period's notice (通报), from the stored version.
func cmdAssessNotice(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("assess notice", "assess notice --publication ID [--format html|xlsx] --out FILE", stdout)
	var sf storeFlags
	sf.register(fs)
	id := fs.Int64("publication", 0, "the id of a scores publication (as returned by publish) (required)")
	format := fs.String("format", "", "html or xlsx (default: from the --out file's extension)")
	out := fs.String("out", "", "the file to write (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *format == "" {
		*format = strings.TrimPrefix(strings.ToLower(filepath.Ext(*out)), ".")
	}
	if *id <= 0 || *out == "" || (*format != "html" && *format != "xlsx") {
		return xiuhua.Errorf(xiuhua.EInvalid, "usage: xiuhua assess notice --publication ID --format html|xlsx --out FILE",
			"用法：xiuhua assess notice --publication 发布编号 --format html|xlsx --out 文件")
	}
	a, err := sf.open(ctx, logger(io.Discard))
	if err != nil {
		return err
	}
	defer a.DB.Close()
	svc := a.AssessService()
	// Whoever runs the binary on the data folder runs the installation.
	actor := auth.Actor{Username: "cli", Role: auth.Admin}
	n, err := notice.Load(ctx, svc, a.DB, actor, *id, a.CodeNames(ctx))
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if *format == "html" {
		err = n.HTML(&b)
	} else {
		err = n.XLSX(&b)
	}
	if err != nil {
		return xiuhua.Internal(err)
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		return xiuhua.Errorf(xiuhua.EInvalid, "cannot write %s: %v", "无法写入 %s：%v", *out, err)
	}
	_, err = fmt.Fprintf(stdout, "wrote %s, version %d, to %s\n", n.Title, n.Version, *out)
	return err
}

// cmdAssessPoints runs "assess points import FILE": inspection points from a
// CSV or GeoJSON file, validated whole (nothing is imported from a file with
// a problem), idempotent by code.
func cmdAssessPoints(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "import" {
		return xiuhua.Errorf(xiuhua.EInvalid, "usage: xiuhua assess points import FILE.csv|FILE.geojson", "用法：xiuhua assess points import 文件.csv|文件.geojson")
	}
	fs := newFlags("assess points import", "assess points import FILE.csv|FILE.geojson", stdout)
	var sf storeFlags
	sf.register(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return xiuhua.Errorf(xiuhua.EInvalid, "usage: xiuhua assess points import FILE.csv|FILE.geojson", "用法：xiuhua assess points import 文件.csv|文件.geojson")
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return xiuhua.Errorf(xiuhua.EInvalid, "cannot read %s: %v", "无法读取 %s：%v", fs.Arg(0), err)
	}
	rows, err := pointimport.Parse(data)
	if err != nil {
		return err
	}
	a, err := sf.open(ctx, logger(io.Discard))
	if err != nil {
		return err
	}
	defer a.DB.Close()
	actor := auth.Actor{Username: "cli", Role: auth.Admin}
	res, err := pointimport.Import(ctx, a.DB, a.Locate, api.UnitScopes(ctx, a), actor, rows)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "imported %d points: %d created, %d updated, %d unchanged\n导入点位%d个：新增%d，更新%d，未变%d\n",
		len(rows), res.Created, res.Updated, res.Unchanged, len(rows), res.Created, res.Updated, res.Unchanged)
	return err
}
