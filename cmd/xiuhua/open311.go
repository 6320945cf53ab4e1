package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/open311"
)

// cmdOpen311 manages the API keys of Open311 client systems:
//
//	xiuhua open311 key add --name NAME [--scope TERRITORY]   prints the key as its last line
//	xiuhua open311 key revoke --name NAME
//	xiuhua open311 key list
func cmdOpen311(ctx context.Context, args []string, stdout io.Writer) error {
	synopsis := "open311 key add --name NAME [--scope TERRITORY] | open311 key revoke --name NAME | open311 key list"
	if len(args) < 2 || args[0] != "key" {
		return xiuhua.Errorf(xiuhua.EInvalid, "usage: xiuhua %s", "用法：xiuhua %s", synopsis)
	}
	sub, rest := args[1], args[2:]
	fs := newFlags("open311 key "+sub, synopsis, stdout)
	var sf storeFlags
	sf.register(fs)
	name := fs.String("name", "", "the client system's name, e.g. fixmystreet (add, revoke)")
	scope := fs.String("scope", "", "territory code the key may report and read in; empty for the whole installation (add)")
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if sub != "add" && sub != "revoke" && sub != "list" {
		return xiuhua.Errorf(xiuhua.EInvalid, "unknown command open311 key %s (add, revoke or list)", "未知命令 open311 key %s（add、revoke 或 list）", sub)
	}
	if sub != "list" && strings.TrimSpace(*name) == "" {
		return xiuhua.Errorf(xiuhua.EInvalid, "--name is required", "必须指定 --name")
	}
	a, err := sf.open(ctx, logger(io.Discard))
	if err != nil {
		return err
	}
	defer a.DB.Close()
	switch sub {
	case "add":
		k, secret, err := open311.AddKey(ctx, a, *name, *scope)
		if err != nil {
			return err
		}
		where := k.Scope
		if where == "" {
			where = "the whole installation"
		}
		fmt.Fprintf(stdout, "Open311 key %s added (scope: %s); give it to the client as api_key, it is not shown again:\n%s\n", k.Name, where, secret)
	case "revoke":
		if err := open311.RevokeKey(ctx, a.DB, *name); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Open311 key %s revoked\n", *name)
	case "list":
		ks, err := open311.Keys(ctx, a.DB)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%-24s %-14s %-20s %s\n", "NAME", "SCOPE", "CREATED", "REVOKED")
		for _, k := range ks {
			scope, revoked := k.Scope, "-"
			if scope == "" {
				scope = "(all)"
			}
			if !k.RevokedAt.IsZero() {
				revoked = k.RevokedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(stdout, "%-24s %-14s %-20s %s\n", k.Name, scope, k.CreatedAt.Format(time.RFC3339), revoked)
		}
	}
	return nil
}
