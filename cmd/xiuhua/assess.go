package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/assess"
)

// cmdAssess runs "assess metrics|score|publish": the period's department or
// area metrics, a round's scores, or publishing either, as tables.
func cmdAssess(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "notice" {
		return cmdAssessNotice(ctx, args[1:], stdout)
	}
	if len(args) > 0 && args[0] == "points" {
		return cmdAssessPoints(ctx, args[1:], stdout)
	}
	if len(args) > 0 {
		switch args[0] {
		case "run":
			return cmdAssessRun(ctx, args[1:], stdout)
		case "units":
			return cmdAssessUnits(ctx, args[1:], stdout)
		case "warm":
			return cmdAssessWarm(ctx, args[1:], stdout)
		}
	}
	if len(args) == 0 || (args[0] != "metrics" && args[0] != "score" && args[0] != "publish") {
		return xiuhua.Errorf(xiuhua.EInvalid, "usage: xiuhua assess run|metrics|score|publish --period 2026-10 [flags], assess notice --publication ID --format html|xlsx --out FILE, assess points import FILE, assess units import FILE, or assess warm",
			"用法：xiuhua assess run|metrics|score|publish --period 2026-10 [参数]，assess notice --publication 发布编号 --format html|xlsx --out 文件，assess points import 文件，assess units import 文件，或 assess warm")
	}
	sub := args[0]
	fs := newFlags("assess "+sub, "assess "+sub+" --period PERIOD [--by unit|community|street|district|inspector] [--territory CODE] [--unit CODE] [--round ID] [--kind scores|metrics] [--reason TEXT]", stdout)
	var sf storeFlags
	sf.register(fs)
	period := fs.String("period", "", "a month (2026-10), quarter (2026-Q4) or year (2026) (required)")
	by := fs.String("by", "unit", "metrics per unit, community, street, district or inspector")
	terr := fs.String("territory", "", "limit to a territory code")
	unit := fs.String("unit", "", "one unit's metrics")
	round := fs.Int64("round", 0, "the round to score or publish (default: the period's only round)")
	kind := fs.String("kind", "scores", "what publish freezes: scores or metrics")
	reason := fs.String("reason", "", "why a published period is published again (a correction)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	per, err := assess.ParsePeriod(*period)
	if err != nil {
		return err
	}
	a, err := sf.open(ctx, logger(io.Discard))
	if err != nil {
		return err
	}
	defer a.DB.Close()
	svc := a.AssessService()
	actor := cliActor
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	defer tw.Flush()
	switch sub {
	case "metrics":
		res, err := svc.Metrics(ctx, actor, assess.MetricsQuery{Period: per, By: *by, Territory: *terr, Unit: *unit})
		if err != nil {
			return err
		}
		printMetrics(ctx, tw, a, res)
	case "score":
		sc, err := svc.Scores(ctx, actor, assess.ScoreQuery{Round: *round, Period: per.String()})
		if err != nil {
			return err
		}
		printScores(tw, sc)
	case "publish":
		p, err := svc.Publish(ctx, actor, assess.PublishInput{Kind: *kind, Period: per.String(), Round: *round, By: *by, Territory: *terr, Reason: *reason})
		if err != nil {
			return err
		}
		same, _, err := svc.Recompute(ctx, actor, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "published %s %s as version %d (scope %s, cutoff %s); recomputes identically: %v\n", p.Kind, p.Period, p.Version,
			p.Scope, p.Cutoff.In(a.Calendar().Location()).Format(time.RFC3339), same)
		fmt.Fprintf(tw, "已发布 %s %s 第%d版；复算一致：%v\n", p.Kind, p.Period, p.Version, same)
	}
	return nil
}

func pct(f *assess.Fixed) string {
	if f == nil {
		return "—" // no data: never 0 % or 100 %
	}
	return f.String()
}

func printMetrics(ctx context.Context, w io.Writer, a *app.App, res assess.MetricsResult) {
	names := map[string]string{}
	if us, err := a.DB.Units(ctx, ""); err == nil {
		for _, u := range us {
			names[u.Code] = u.Name
		}
	}
	fmt.Fprintf(w, "%s metrics by %s, cutoff %s (— = no data)\n", res.Period, res.By, res.Cutoff.Format(time.RFC3339))
	if res.By == "inspector" {
		fmt.Fprintln(w, "inspector\treports\tregistered\taccuracy %\tverifications\ton time\ton-time %")
		for _, m := range res.Inspectors {
			fmt.Fprintf(w, "%d\t%d\t%d\t%s\t%d\t%d\t%s\n", m.Inspector, m.Reports, m.Registered, pct(m.ReportAccuracy), m.Verifications, m.VerifiedOnTime, pct(m.OnTimeVerificationRt))
		}
		return
	}
	fmt.Fprintln(w, "key\tname\tdue 应处置\ton time 按期\ton-time % 按期处置率\toverdue open 超期未处置\trework % 返工率\tto close 应结案\tclosure % 结案率\ton-time closure % 按期结案率\tcomposite 综合指标")
	for _, m := range res.Items {
		name := names[m.Key]
		if ar, ok := a.Territory().Area(m.Key); ok {
			name = ar.Name
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\t%d\t%s\t%d\t%s\t%s\t%s\n", m.Key, name, m.Due, m.HandledOnTime, pct(m.OnTimeHandlingRate),
			m.OverdueOpen, pct(m.ReworkRate), m.ToClose, pct(m.ClosureRate), pct(m.OnTimeClosureRate), pct(m.Composite))
	}
}

func printScores(w io.Writer, sc assess.Scores) {
	fmt.Fprintf(w, "round %d, %s, scheme %s v%d, cutoff %s\n", sc.Round, sc.Period, sc.Scheme, sc.SchemeVersion, sc.Cutoff.Format(time.RFC3339))
	fmt.Fprintln(w, "tier\trank\tunit\tname\ttotal 得分\tdeducted 扣分\tbonus 加分\tproblems 问题数\tchange 增减\tinspected 点位\t")
	for _, u := range sc.Units {
		rank, note := fmt.Sprint(u.Rank), ""
		if u.Insufficient {
			rank, note = "—", "insufficient sample 样本不足"
		} else if u.Excellent {
			note = "excellent 优秀"
		}
		change := "—"
		if u.Change != nil {
			change = fmt.Sprintf("%+d", *u.Change)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%d\t%s\n", u.Tier, rank, u.Unit, u.Name, u.Total, u.Deducted, u.Bonus, u.Problems, change, u.Inspected, note)
	}
	fmt.Fprintf(w, "excellence rate 优秀率: %s (%d of %d ranked units)\n", pct(sc.ExcellenceRate), sc.ExcellentUnits, sc.Scored)
	for _, l := range sc.Lists {
		fmt.Fprintf(w, "tier %s  red 红榜: %v  black 黑榜: %v\n", l.Tier, l.Red, l.Black)
	}
	fmt.Fprintf(w, "%s\n%s\n", sc.TieRule, sc.TieRuleZh)
}
