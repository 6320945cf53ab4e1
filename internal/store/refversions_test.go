package store_test

import (
	"context"
	"testing"

	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestRefVersionBumpedWithTheChange: a change to reference data counts
// itself in its own transaction (so another process always hears of a
// change that committed), and a change that fails counts nothing.
func TestRefVersionBumpedWithTheChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		version := func() int64 {
			t.Helper()
			v, err := db.RefVersion(ctx, store.RefCatalog)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		before := version()
		c := catalog.Defaults()[0]
		c.NameZh += "（改）"
		if err := db.PutCategory(ctx, c); err != nil {
			t.Fatal(err)
		}
		if v := version(); v != before+1 {
			t.Fatalf("after a change: version %d, want %d", v, before+1)
		}
		if err := db.DeleteCategory(ctx, "X9999"); err == nil {
			t.Fatal("deleting an unknown category succeeded")
		}
		if v := version(); v != before+1 {
			t.Errorf("a failed change bumped the version to %d", v)
		}
		if err := db.DeleteCategory(ctx, c.Code); err != nil {
			t.Fatal(err)
		}
		if v := version(); v != before+2 {
			t.Errorf("after a deletion: version %d, want %d", v, before+2)
		}
	})
}
