package backup

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/xiuhua/xiuhua/internal/store"
)

// Table is one table of the schema as backup and restore see it.
type Table struct {
	Name    string
	Columns []string
	// Kinds holds each column's value kind: 'i' integer, 'f' float, 'b' boolean, 't' text.
	Kinds []byte
	// Key is the primary key (every column when the table has none): rows are read in its order.
	Key []string
	// Identity is the PostgreSQL identity column, whose sequence restore resets.
	Identity string
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Tables lists the product's tables (not the migration bookkeeping) in
// foreign-key order: a table comes after every table it references.
func Tables(ctx context.Context, db *store.DB) ([]Table, error) {
	return schemaOf(ctx, db.R, db.Dialect)
}

func kindOf(typ string) byte {
	t := strings.ToUpper(typ)
	switch {
	case strings.Contains(t, "INT"):
		return 'i'
	case strings.Contains(t, "BOOL"):
		return 'b'
	case strings.Contains(t, "DOUB"), strings.Contains(t, "REAL"), strings.Contains(t, "FLOA"), strings.Contains(t, "NUMERIC"):
		return 'f'
	}
	return 't'
}

func strings1(ctx context.Context, q querier, query string, args ...any) ([][]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

func schemaOf(ctx context.Context, q querier, d store.Dialect) ([]Table, error) {
	var names [][]string
	var err error
	deps := map[string][]string{}
	if d == store.Postgres {
		names, err = strings1(ctx, q, `SELECT table_name FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'goose_db_version'`)
		if err != nil {
			return nil, err
		}
		fks, err := strings1(ctx, q, `SELECT cl.relname, rf.relname FROM pg_constraint c
			JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_class rf ON rf.oid = c.confrelid
			WHERE c.contype = 'f' AND c.connamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())`)
		if err != nil {
			return nil, err
		}
		for _, f := range fks {
			deps[f[0]] = append(deps[f[0]], f[1])
		}
	} else {
		names, err = strings1(ctx, q, `SELECT name FROM sqlite_master
			WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version'`)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			fks, err := strings1(ctx, q, `SELECT "table" FROM pragma_foreign_key_list(?)`, n[0])
			if err != nil {
				return nil, err
			}
			for _, f := range fks {
				deps[n[0]] = append(deps[n[0]], f[0])
			}
		}
	}
	byName := map[string]*Table{}
	var order []string
	for _, n := range names {
		t := &Table{Name: n[0]}
		var cols [][]string
		if d == store.Postgres {
			cols, err = strings1(ctx, q, `SELECT c.column_name, c.data_type, c.is_identity,
				CASE WHEN EXISTS (SELECT 1 FROM information_schema.table_constraints tc
					JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name
						AND k.table_schema = tc.table_schema AND k.table_name = tc.table_name
					WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = c.table_schema
						AND tc.table_name = c.table_name AND k.column_name = c.column_name)
				THEN (SELECT k.ordinal_position FROM information_schema.table_constraints tc
					JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name
						AND k.table_schema = tc.table_schema AND k.table_name = tc.table_name
					WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = c.table_schema
						AND tc.table_name = c.table_name AND k.column_name = c.column_name) ELSE 0 END
				FROM information_schema.columns c
				WHERE c.table_schema = current_schema() AND c.table_name = $1 ORDER BY c.ordinal_position`, t.Name)
		} else {
			cols, err = strings1(ctx, q, `SELECT name, type, 'NO', pk FROM pragma_table_info(?) ORDER BY cid`, t.Name)
		}
		if err != nil {
			return nil, fmt.Errorf("columns of %s: %w", t.Name, err)
		}
		type kc struct {
			pos  string
			name string
		}
		var keys []kc
		for _, c := range cols {
			t.Columns = append(t.Columns, c[0])
			t.Kinds = append(t.Kinds, kindOf(c[1]))
			if c[2] == "YES" {
				t.Identity = c[0]
			}
			if c[3] != "0" && c[3] != "" {
				keys = append(keys, kc{fmt.Sprintf("%06s", c[3]), c[0]})
			}
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i].pos < keys[j].pos })
		for _, k := range keys {
			t.Key = append(t.Key, k.name)
		}
		if len(t.Key) == 0 {
			t.Key = t.Columns
		}
		byName[t.Name] = t
		order = append(order, t.Name)
	}
	sort.Strings(order)
	// Depth-first topological order; self references (areas.parent_code)
	// are satisfied by reading rows in key order.
	var out []Table
	state := map[string]int{}
	var visit func(n string) error
	visit = func(n string) error {
		switch state[n] {
		case 1:
			return fmt.Errorf("foreign-key cycle through %s", n)
		case 2:
			return nil
		}
		state[n] = 1
		ds := append([]string(nil), deps[n]...)
		sort.Strings(ds)
		for _, dep := range ds {
			if dep == n || byName[dep] == nil {
				continue
			}
			if err := visit(dep); err != nil {
				return err
			}
		}
		state[n] = 2
		out = append(out, *byName[n])
		return nil
	}
	for _, n := range order {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// eachRow reads every row of t in key order, values normalised for JSON.
func eachRow(ctx context.Context, q querier, t Table, fn func([]any) error) error {
	rows, err := q.QueryContext(ctx, "SELECT "+strings.Join(t.Columns, ", ")+" FROM "+t.Name+" ORDER BY "+strings.Join(t.Key, ", "))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		vals := make([]any, len(t.Columns))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			vals[i] = normalise(v, t.Kinds[i])
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
	return rows.Err()
}

// normalise converts a value read from either driver, or decoded from JSON,
// to the Go type of its column's kind, so that rows compare and insert alike
// on both stores.
func normalise(v any, kind byte) any {
	if v == nil {
		return nil
	}
	switch kind {
	case 'i':
		switch x := v.(type) {
		case json.Number:
			if n, err := x.Int64(); err == nil {
				return n
			}
		case int64:
			return x
		case int32:
			return int64(x)
		case int:
			return int64(x)
		case float64:
			return int64(x)
		case bool:
			if x {
				return int64(1)
			}
			return int64(0)
		}
	case 'f':
		switch x := v.(type) {
		case json.Number:
			if f, err := x.Float64(); err == nil {
				return f
			}
		case int64:
			return float64(x)
		case float32:
			return float64(x)
		case float64:
			return x
		}
	case 'b':
		switch x := v.(type) {
		case bool:
			return x
		case int64:
			return x != 0
		case json.Number:
			return x.String() != "0"
		}
	case 't':
		switch x := v.(type) {
		case []byte:
			return string(x)
		case string:
			return x
		}
	}
	return v
}

// source yields a backup's rows.
type source interface {
	copyInto(ctx context.Context, db *store.DB, tx *sql.Tx, t Table) error
}

func insertStmt(ctx context.Context, db *store.DB, tx *sql.Tx, t Table, cols []string) (*sql.Stmt, error) {
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
	return tx.PrepareContext(ctx, db.Q("INSERT INTO "+t.Name+" ("+strings.Join(cols, ", ")+") VALUES ("+marks+")"))
}

// dbSource reads rows from an opened SQLite backup.
type dbSource struct{ src *store.DB }

func (s dbSource) copyInto(ctx context.Context, db *store.DB, tx *sql.Tx, t Table) error {
	st, err := insertStmt(ctx, db, tx, t, t.Columns)
	if err != nil {
		return err
	}
	defer st.Close()
	return eachRow(ctx, s.src.R, t, func(vals []any) error {
		_, err := st.ExecContext(ctx, vals...)
		return err
	})
}

// jsonSource reads rows from the JSON-lines files of a PostgreSQL backup.
type jsonSource struct{ dir string }

func (s jsonSource) copyInto(ctx context.Context, db *store.DB, tx *sql.Tx, t Table) error {
	matches, err := filepath.Glob(filepath.Join(s.dir, "*_"+t.Name+".jsonl"))
	if err != nil {
		return err
	}
	var file string
	for _, m := range matches {
		// "NNN_name.jsonl": the glob would also match a table whose name ends in _name.
		if b := filepath.Base(m); len(b) > 4 && b[3] == '_' && b[4:] == t.Name+".jsonl" {
			file = m
		}
	}
	if file == "" {
		return badFile("table %s is missing", "缺少表 %s", t.Name)
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 1<<16))
	dec.UseNumber()
	var h header
	if err := dec.Decode(&h); err != nil || h.Table != t.Name {
		return badFile("bad header in table %s", "表 %s 的表头无效", t.Name)
	}
	kinds := make([]byte, len(h.Columns))
	for i, c := range h.Columns {
		j := indexOf(t.Columns, c)
		if j < 0 {
			return badFile("table %s has an unknown column %s", "表 %s 含未知列 %s", t.Name, c)
		}
		kinds[i] = t.Kinds[j]
	}
	st, err := insertStmt(ctx, db, tx, t, h.Columns)
	if err != nil {
		return err
	}
	defer st.Close()
	for dec.More() {
		var vals []any
		if err := dec.Decode(&vals); err != nil || len(vals) != len(h.Columns) {
			return badFile("bad row in table %s", "表 %s 中有无效行", t.Name)
		}
		for i := range vals {
			vals[i] = normalise(vals[i], kinds[i])
		}
		if _, err := st.ExecContext(ctx, vals...); err != nil {
			return err
		}
	}
	return nil
}

func indexOf(xs []string, s string) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	return -1
}
