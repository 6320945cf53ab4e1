package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/xiuhua/xiuhua/internal/cluster"
)

// cmdJobs lists the latest runs of the background jobs, on whichever
// instance they ran (internal/cluster): when, where, how long, what came of it.
func cmdJobs(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("jobs", "jobs [--job optimize|overdue|scoring|vacuum] [--limit N]", stdout)
	var sf storeFlags
	sf.register(fs)
	job := fs.String("job", "", "only this job")
	limit := fs.Int("limit", 20, "how many runs, newest first")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := sf.open(ctx, logger(io.Discard))
	if err != nil {
		return err
	}
	defer a.DB.Close()
	runs, err := cluster.Runs(ctx, a.DB, *job, max(1, *limit))
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	defer tw.Flush()
	fmt.Fprintln(tw, "RUN\tJOB\tPERIOD\tINSTANCE\tSTARTED\tTOOK\tOUTCOME")
	for _, r := range runs {
		took, outcome := "", "running (or its instance died)"
		if !r.Ended.IsZero() {
			took = r.Ended.Sub(r.Started).Round(time.Millisecond).String()
		}
		switch {
		case !r.Finished.IsZero():
			outcome = r.Result
		case r.Error != "":
			outcome = "failed: " + r.Error
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Job, r.Period, r.Instance, r.Started.Local().Format(time.DateTime), took, outcome)
	}
	return nil
}
