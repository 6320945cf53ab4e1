package notice

import (
	"testing"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/assess"
)

func TestLabel(t *testing.T) {
	for in, want := range map[string]string{"2026-10": "2026年10月", "2026-Q4": "2026年第四季度", "2026-Q1": "2026年第一季度", "2026": "2026年度", "bad": "bad"} {
		if got := label(in); got != want {
			t.Errorf("label(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBuildRefusesMetrics(t *testing.T) {
	_, err := Build(Input{Scores: assess.Publication{ID: 3, Kind: "metrics", Body: []byte(`{}`)}})
	if xiuhua.ErrorCode(err) != xiuhua.EUnprocessable {
		t.Fatalf("a metrics publication: %v", err)
	}
}

// TestProblemTotals: the period's change is the sum's, "—" only when no unit
// had a previous period.
func TestProblemTotals(t *testing.T) {
	body := `{"params":{},"result":{"period":"2026-10","units":[` +
		`{"unit":"a","name":"甲","problems":2,"prev_problems":5,"change":-3,"indicators":[],"rank":1},` +
		`{"unit":"b","name":"乙","problems":4,"prev_problems":null,"change":null,"indicators":[],"insufficient_sample":true}]}}`
	n, err := Build(Input{Scores: assess.Publication{Kind: "scores", Body: []byte(body)}})
	if err != nil {
		t.Fatal(err)
	}
	// 2 + 4 = 6 now; 5 before (b had none): +1.
	if n.Problems != 6 || n.PrevProblems != "5" || n.Change != "+1" || len(n.Ranked) != 1 || len(n.Insufficient) != 1 ||
		n.Ranked[0].Change != "-3" || n.Insufficient[0].Prev != NoData || n.ExcellenceRate != NoData {
		t.Fatalf("%+v", n)
	}
}

// TestParseID: only a positive whole number names a publication; anything
// else is not found (404), as an unknown id is.
func TestParseID(t *testing.T) {
	if id, err := ParseID("42"); err != nil || id != 42 {
		t.Errorf("42: %d %v", id, err)
	}
	for _, bad := range []string{"0", "-1", "x", "", "1e3", "99999999999999999999"} {
		if _, err := ParseID(bad); xiuhua.ErrorCode(err) != xiuhua.ENotFound {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
