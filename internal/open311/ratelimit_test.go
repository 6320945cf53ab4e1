package open311

import (
	"testing"
	"time"
)

// TestTokenBucket works a bucket of 2 refilled at 1 a second by hand.
func TestTokenBucket(t *testing.T) {
	now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	l := newLimiter(Limit{Rate: 1, Burst: 2}, func() time.Time { return now })
	step := func(want bool, wantWait time.Duration) {
		t.Helper()
		ok, wait := l.allow("a")
		if ok != want || wait != wantWait {
			t.Fatalf("at %s: allow = %v, wait %s; want %v, %s", now.Format("15:04:05.000"), ok, wait, want, wantWait)
		}
	}
	step(true, 0)
	step(true, 0)
	step(false, time.Second) // empty: one token is a second away
	now = now.Add(500 * time.Millisecond)
	step(false, 500*time.Millisecond) // half a token
	now = now.Add(500 * time.Millisecond)
	step(true, 0)
	if ok, _ := l.allow("b"); !ok {
		t.Error("another client shares a's bucket")
	}
	now = now.Add(time.Hour)
	step(true, 0)
	step(true, 0) // refilled to the burst, not beyond
	step(false, time.Second)
	if ok, _ := newLimiter(Limit{}, time.Now).allow("a"); !ok {
		t.Error("a zero rate must not limit")
	}
}

// TestLimiterForgets checks that refilled buckets are dropped, so memory
// follows the active clients.
func TestLimiterForgets(t *testing.T) {
	now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	l := newLimiter(Limit{Rate: 10, Burst: 10}, func() time.Time { return now })
	for i := 0; i < 2000; i++ {
		l.allow(string(rune('a'+i%26)) + time.Duration(i).String())
	}
	now = now.Add(2 * time.Second) // every bucket has refilled (10 tokens at 10/s)
	for i := 0; i < 1024; i++ {
		l.allow("late")
	}
	if n := len(l.buckets); n > 1 {
		t.Errorf("%d buckets kept after they refilled, want 1", n)
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{"XIUHUA_OPEN311_RATE": "30", "XIUHUA_OPEN311_BURST": "5", "XIUHUA_OPEN311_KEY_RATE": "0",
		"XIUHUA_OPEN311_MAX_MEDIA": "1048576", "XIUHUA_OPEN311_ANONYMOUS_READS": "false", "XIUHUA_OPEN311_JURISDICTION": "wuxi.gov.cn"}
	c, probs := ConfigFromEnv(func(k string) string { return env[k] })
	if len(probs) != 0 || c.PerIP.Rate != 0.5 || c.PerIP.Burst != 5 || c.PerKey.Rate != 0 || c.MaxMedia != 1<<20 ||
		c.AnonymousReads || c.Jurisdiction != "wuxi.gov.cn" {
		t.Errorf("config %+v, problems %v", c, probs)
	}
	env = map[string]string{"XIUHUA_OPEN311_RATE": "fast", "XIUHUA_OPEN311_MAX_MEDIA": "99999999999", "XIUHUA_OPEN311_BURST": "0",
		"XIUHUA_OPEN311_TRUST_PROXY": "perhaps"}
	c, probs = ConfigFromEnv(func(k string) string { return env[k] })
	d := DefaultConfig()
	if len(probs) != 4 || c.PerIP != d.PerIP || c.MaxMedia != d.MaxMedia || c.TrustProxy {
		t.Errorf("bad values: config %+v, problems %v", c, probs)
	}
}
