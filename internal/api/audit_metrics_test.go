package api_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestAuditMetrics: /metrics reports the audit chain's backlog, and it
// reads 0 once the queue is linked (a failed count would read -1).
func TestAuditMetrics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClient(t, db)
		c.must(201, "inspector", "POST", "/api/v1/cases", map[string]any{
			"category": "E0102", "description": "清扬路暴露垃圾", "lat": 31.52, "lon": 120.22, "source": "inspector"})
		if _, err := db.SealAudit(context.Background()); err != nil {
			t.Fatal(err)
		}
		code, _, body := c.raw("inspector", "/metrics")
		if code != 200 {
			t.Fatalf("/metrics: %d", code)
		}
		for _, re := range []string{`(?m)^xiuhua_audit_queued_entries 0$`, `(?m)^xiuhua_audit_seal_failures_total 0$`} {
			if !regexp.MustCompile(re).Match(body) {
				t.Errorf("/metrics lacks %s", re)
			}
		}
	})
}
