package cluster

import (
	"context"
	"encoding/json"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xiuhua/xiuhua/internal/store"
)

// Metrics are the background work's Prometheus metrics. Every instance
// serves the same values for what the cluster shares (the last finished run
// of each job, the overdue count it found), read from the database at each
// scrape, and its own counts of the runs it did.
type Metrics struct {
	db      *store.DB
	runs    *prometheus.CounterVec
	seconds *prometheus.HistogramVec

	lastDesc    *prometheus.Desc
	overdueDesc *prometheus.Desc
}

// NewMetrics builds the metrics of an instance on db.
func NewMetrics(db *store.DB) *Metrics {
	return &Metrics{db: db,
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xiuhua_job_runs_total",
			Help: "Background job runs done by this instance, by job and outcome (ok, failed)."}, []string{"job", "outcome"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "xiuhua_job_duration_seconds",
			Help: "How long this instance's background job runs took.", Buckets: []float64{.01, .1, 1, 10, 60, 600}}, []string{"job"}),
		lastDesc: prometheus.NewDesc("xiuhua_job_last_finished_timestamp_seconds",
			"When the last successful run of a background job ended, on any instance.", []string{"job"}, nil),
		overdueDesc: prometheus.NewDesc("xiuhua_cases_overdue",
			"Cases being handled past their deadline, as the last overdue scan (on any instance) counted them.", nil, nil),
	}
}

func (m *Metrics) ran(job string, ok bool, took time.Duration) {
	outcome := "ok"
	if !ok {
		outcome = "failed"
	}
	m.runs.WithLabelValues(job, outcome).Inc()
	m.seconds.WithLabelValues(job).Observe(took.Seconds())
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	m.runs.Describe(ch)
	m.seconds.Describe(ch)
	ch <- m.lastDesc
	ch <- m.overdueDesc
}

// Collect implements prometheus.Collector: this instance's counters, and the
// cluster's last runs read from cluster_job_runs.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.runs.Collect(ch)
	m.seconds.Collect(ch)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// The last finished run of each job: a backwards walk of the (job, id)
	// index, however long the history.
	for _, job := range Jobs {
		var at int64
		if err := m.db.R.QueryRowContext(ctx, m.db.Q(`SELECT finished_at FROM cluster_job_runs WHERE job = ? AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 1`), job).Scan(&at); err == nil {
			ch <- prometheus.MustNewConstMetric(m.lastDesc, prometheus.GaugeValue, float64(at)/1000, job)
		}
	}
	var result string
	err := m.db.R.QueryRowContext(ctx, m.db.Q(`SELECT result FROM cluster_job_runs WHERE job = ? AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 1`), JobOverdue).Scan(&result)
	var r OverdueResult
	if err == nil && json.Unmarshal([]byte(result), &r) == nil {
		ch <- prometheus.MustNewConstMetric(m.overdueDesc, prometheus.GaugeValue, float64(r.Overdue))
	}
}
