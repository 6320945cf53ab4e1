package store

import (
	"context"
	"slices"
	"strings"

	"github.com/xiuhua/xiuhua/internal/org"
)

// UnitsByCode returns the units with the given codes, by code; codes with
// no unit are left out. Pages that show the names of the units of a few
// cases read these few rather than every unit of the city (a thousand and
// more rows a request under load).
func (db *DB) UnitsByCode(ctx context.Context, codes []string) ([]org.Unit, error) {
	want := make([]string, 0, len(codes))
	for _, c := range codes {
		if c != "" {
			want = append(want, c)
		}
	}
	slices.Sort(want)
	want = slices.Compact(want)
	var out []org.Unit
	// A few hundred parameters a query stays far below every limit.
	const chunk = 500
	for len(want) > 0 {
		n := min(chunk, len(want))
		part := want[:n]
		want = want[n:]
		args := make([]any, len(part))
		for i, c := range part {
			args[i] = c
		}
		q := `SELECT ` + unitCols + ` FROM units WHERE code IN (?` + strings.Repeat(", ?", len(part)-1) + `) ORDER BY code`
		err := func() error {
			rows, err := db.R.QueryContext(ctx, db.Q(q), args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				u, err := scanUnit(rows)
				if err != nil {
					return err
				}
				out = append(out, u)
			}
			return rows.Err()
		}()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
