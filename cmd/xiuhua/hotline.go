package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/xiuhua/xiuhua"
)

// cmdImportHotline imports a 12345 CSV export as a named dispatcher or admin,
// drawing a progress bar on stderr and printing the row-by-row report.
func cmdImportHotline(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("import hotline", "import hotline FILE.csv --as USERNAME [--dry-run] [--data DIR] [--database URL]", stdout)
	var sf storeFlags
	sf.register(fs)
	as := fs.String("as", "", "the dispatcher or admin the cases are reported as (required)")
	dry := fs.Bool("dry-run", false, "check every row and report, storing nothing")
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	if file == "" || *as == "" {
		return xiuhua.Errorf(xiuhua.EInvalid, "name the file and --as USERNAME", "请指定文件和 --as 用户名")
	}
	f, err := os.Open(filepath.Clean(file))
	if err != nil {
		return xiuhua.Errorf(xiuhua.EInvalid, "cannot read %s: %v", "无法读取 %s：%v", file, err)
	}
	defer f.Close()
	a, err := sf.open(ctx, logger(io.Discard))
	if err != nil {
		return err
	}
	defer a.DB.Close()
	u, err := a.DB.UserByName(ctx, *as)
	if err != nil {
		return err
	}
	rep, err := a.ImportHotline(ctx, u.Actor(), f, *dry, func(done, total int) { bar(stderr, done, total) })
	fmt.Fprintln(stderr)
	if err != nil {
		return err
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(stdout, "row %d %s: %s / %s\n", e.Row, e.OrderNo, e.Message, e.MessageZh)
	}
	verb := "imported"
	if rep.DryRun {
		verb = "would import (dry run)"
	}
	fmt.Fprintf(stdout, "%d rows: %s %d, skipped %d already imported, %d failed\n", rep.Rows, verb, rep.Imported, rep.Skipped, rep.Failed)
	return nil
}

// bar redraws a one-line progress bar.
func bar(w io.Writer, done, total int) {
	const width = 40
	n := width
	if total > 0 {
		n = done * width / total
	}
	fmt.Fprintf(w, "\r[%s%s] %d/%d", strings.Repeat("#", n), strings.Repeat(".", width-n), done, total)
}
