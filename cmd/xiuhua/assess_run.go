package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/assess"
	"github.com/xiuhua/xiuhua/internal/auth"
)

// cliActor: whoever runs the binary on the data folder runs the installation.
var cliActor = auth.Actor{Username: "cli", Role: auth.Admin}

// cmdAssessRun runs "assess run": plans a round with a seeded, recorded
// stratified draw and prints its sample.
func cmdAssessRun(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("assess run", "assess run --period 2026-10 [--kind monthly|quarterly|special] [--scheme CODE] [--version N] [--territory CODE] [--per-type N] [--seed S] [--name TEXT]", stdout)
	var sf storeFlags
	sf.register(fs)
	period := fs.String("period", "", "a month (2026-10), quarter (2026-Q4) or year (2026) (required)")
	kind := fs.String("kind", assess.Monthly, "monthly, quarterly or special")
	scheme := fs.String("scheme", "", "the scheme's code (default: the only scheme)")
	version := fs.Int("version", 0, "the scheme version (default: the latest)")
	terr := fs.String("territory", "", "the territory inspected (default: everything)")
	perType := fs.Int("per-type", 3, "points drawn per scored unit and point type")
	seed := fs.String("seed", "", "the draw's seed, an unsigned integer (default: random; recorded either way)")
	name := fs.String("name", "", "the round's name (default: the period and kind)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	per, err := assess.ParsePeriod(*period)
	if err != nil {
		return err
	}
	in := assess.RoundInput{Scheme: *scheme, Version: *version, Kind: *kind, Period: per.String(), Name: *name, Territory: *terr}
	if *seed != "" {
		s, err := strconv.ParseUint(*seed, 10, 64)
		if err != nil {
			return xiuhua.Errorf(xiuhua.EInvalid, "--seed must be an unsigned integer", "--seed 须为非负整数")
		}
		in.Seed = &s
	}
	if in.Name == "" {
		in.Name = per.String() + " " + map[string]string{assess.Monthly: "月度考核", assess.Quarterly: "季度考核", assess.Special: "专项考核"}[*kind]
	}
	a, err := sf.open(ctx, logger(io.Discard))
	if err != nil {
		return err
	}
	defer a.DB.Close()
	svc := a.AssessService()
	schemes, err := svc.Schemes(ctx, cliActor)
	if err != nil {
		return err
	}
	var sc *assess.Scheme
	for i := range schemes {
		s := &schemes[i]
		if in.Scheme == "" && sc != nil && sc.Code != s.Code {
			return xiuhua.Errorf(xiuhua.EInvalid, "there are several schemes: name one with --scheme", "存在多个考核办法，请用 --scheme 指定")
		}
		if (in.Scheme == "" || s.Code == in.Scheme) && (in.Version == 0 || s.Version == in.Version) {
			sc = s // by code and version: the last is the latest
		}
	}
	if sc == nil {
		return xiuhua.Errorf(xiuhua.ENotFound, "no scheme %s", "考核办法 %s 不存在", in.Scheme)
	}
	in.Scheme = sc.Code
	// N points of every point type the scheme's indicators apply to.
	in.Sizes = map[string]int{}
	for t := range assess.PointTypes {
		for _, l := range sc.Leaves() {
			if l.Applies(t) {
				in.Sizes[t] = *perType
			}
		}
	}
	r, pts, err := svc.CreateRound(ctx, cliActor, in)
	if err != nil {
		return err
	}
	return printSample(ctx, stdout, a, r, pts)
}

func printSample(ctx context.Context, stdout io.Writer, a *app.App, r assess.Round, pts []assess.RoundPoint) error {
	names := map[string]string{}
	if us, err := a.DB.MgmtUnits(ctx); err == nil {
		for _, u := range us {
			names[u.Code] = u.Name
		}
	}
	name := func(code string) string {
		if n, ok := names[code]; ok {
			return n
		}
		if ar, ok := a.Territory().Area(code); ok {
			return ar.Name
		}
		return ""
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "round %d: %s, scheme %s v%d, %s %s, territory %q\n", r.ID, r.Name, r.SchemeCode, r.SchemeVersion, r.Kind, r.Period, r.Territory)
	fmt.Fprintf(tw, "seed %d, algorithm %s: %d points in %d strata (redraw: GET /api/v1/assess/rounds/%d/sample)\n", r.Seed, r.Algorithm, len(pts), len(r.Strata), r.ID)
	fmt.Fprintf(tw, "已生成第%d轮考核，随机种子 %d，抽取点位 %d 个\n", r.ID, r.Seed, len(pts))
	fmt.Fprintln(tw, "#\tunit 单位\tname 名称\ttype 类型\tpoint 点位\tpoint name 点位名称\tof 总数")
	popSize := map[[2]string]int{}
	for _, st := range r.Strata {
		popSize[[2]string{st.Unit, st.Type}] = len(st.Population)
	}
	for _, p := range pts {
		pn := ""
		if pt, err := a.DB.Point(ctx, p.Point); err == nil {
			pn = pt.Name
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s %s\t%s\t%s\t%d\n", p.Ord, p.Unit, name(p.Unit), p.Type, assess.PointTypes[p.Type], p.Point, pn, popSize[[2]string{p.Unit, p.Type}])
	}
	return tw.Flush()
}

// cmdAssessUnits runs "assess units import FILE" (management units from CSV
// or JSON, all or nothing) and "assess units list".
func cmdAssessUnits(ctx context.Context, args []string, stdout io.Writer) error {
	usage := xiuhua.Errorf(xiuhua.EInvalid, "usage: xiuhua assess units import FILE.csv|FILE.json, or assess units list",
		"用法：xiuhua assess units import 文件.csv|文件.json，或 assess units list")
	if len(args) == 0 || (args[0] != "import" && args[0] != "list") {
		return usage
	}
	fs := newFlags("assess units "+args[0], "assess units import FILE.csv|FILE.json | assess units list", stdout)
	var sf storeFlags
	sf.register(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	var us []assess.MgmtUnit
	if args[0] == "import" {
		if fs.NArg() != 1 {
			return usage
		}
		data, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			return xiuhua.Errorf(xiuhua.EInvalid, "cannot read %s: %v", "无法读取 %s：%v", fs.Arg(0), err)
		}
		if us, err = assess.ParseMgmtUnits(data); err != nil {
			return err
		}
	}
	a, err := sf.open(ctx, logger(io.Discard))
	if err != nil {
		return err
	}
	defer a.DB.Close()
	svc := a.AssessService()
	if args[0] == "list" {
		all, err := svc.MgmtUnits(ctx, cliActor, "")
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "code 编码\tname 名称\tparent 上级区域\tgrids 网格")
		for _, u := range all {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", u.Code, u.Name, u.Parent, len(u.Grids))
		}
		return tw.Flush()
	}
	res, err := svc.PutMgmtUnits(ctx, cliActor, us)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "imported %d management units: %d created, %d updated\n导入管理单元%d个：新增%d，更新%d\n",
		len(us), res.Created, res.Updated, len(us), res.Created, res.Updated)
	return err
}

// cmdAssessWarm runs "assess warm": derives the per-case facts the metrics
// read, so that the first metrics call does not (about 16 s per million cases).
func cmdAssessWarm(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("assess warm", "assess warm", stdout)
	var sf storeFlags
	sf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := sf.open(ctx, logger(io.Discard))
	if err != nil {
		return err
	}
	defer a.DB.Close()
	n, took, err := warmFacts(ctx, a)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "derived the facts of %d cases in %s\n已生成%d件案件的考核事实\n", n, took.Round(time.Millisecond), n)
	return err
}

// warmFacts derives the per-case facts of every case changed since the last
// refresh (all of them the first time).
func warmFacts(ctx context.Context, a *app.App) (int, time.Duration, error) {
	start := time.Now()
	n, err := a.DB.RefreshFacts(ctx, false)
	return n, time.Since(start), err
}

// warmInBackground is warmFacts at server start, off the serving path: the
// server answers meanwhile, and a metrics call in between derives what it
// needs itself (the two only repeat work, never conflict: facts are stored
// by case version).
func warmInBackground(ctx context.Context, a *app.App, log *slog.Logger) {
	go func() {
		n, took, err := warmFacts(ctx, a)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("assessment warm-up", "err", err)
			}
			return
		}
		log.Info("assessment warm-up", "cases", n, "took", took.Round(time.Millisecond))
	}()
}
