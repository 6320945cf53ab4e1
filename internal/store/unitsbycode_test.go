package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestUnitsByCode checks the read of a few units: each asked once whatever
// the repeats, blanks and unknown codes, in code order, with what Units
// holds of them; and a list longer than one query's chunk.
func TestUnitsByCode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		apptest.New(t, db)
		ctx := context.Background()
		all, err := db.Units(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(all) < 2 {
			t.Fatalf("the fixture has %d units", len(all))
		}
		a, b := all[0], all[len(all)-1]
		got, err := db.UnitsByCode(ctx, []string{b.Code, "", "no.such.unit", a.Code, b.Code})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint([]any{a, b}) {
			t.Errorf("got %v, want %v and %v", got, a, b)
		}
		if got, err := db.UnitsByCode(ctx, nil); err != nil || len(got) != 0 {
			t.Errorf("no codes: %v %v", got, err)
		}
		// 1200 codes, every unit among them: three queries, each unit once.
		codes := make([]string, 0, 1200)
		for _, u := range all {
			codes = append(codes, u.Code)
		}
		for i := len(codes); i < 1200; i++ {
			codes = append(codes, fmt.Sprintf("missing.%04d", i))
		}
		got, err = db.UnitsByCode(ctx, codes)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(all) {
			t.Errorf("1200 codes: %d units, want the %d of Units", len(got), len(all))
		}
	})
}
