package main

import (
	"context"
	"fmt"
	"io"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/audit"
	"github.com/xiuhua/xiuhua/internal/store"
)

// cmdAuditVerify walks the tamper-evident log and the ledger against it; it
// fails when anything was edited, deleted or reordered behind the product's
// back, or when the log no longer holds an anchor kept from it.
func cmdAuditVerify(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("audit verify", "audit verify --data DIR [--database URL] [--anchor SEQ:HASH]...", stdout)
	var sf storeFlags
	sf.register(fs)
	var anchors []audit.Anchor
	fs.Func("anchor", "an anchor printed earlier by `xiuhua audit head` and kept outside the database (repeatable)", func(s string) error {
		a, err := audit.ParseAnchor(s)
		if err == nil {
			anchors = append(anchors, a)
		}
		return err
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openForAudit(ctx, sf)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := db.VerifyAudit(ctx, anchors...)
	if err != nil {
		return err
	}
	for _, p := range rep.Problems {
		if p.Seq < 0 {
			fmt.Fprintf(stdout, "ledger: %s\n", p.Reason)
		} else {
			fmt.Fprintf(stdout, "entry %d: %s\n", p.Seq, p.Reason)
		}
	}
	if len(rep.Problems) > 0 {
		return xiuhua.Errorf(xiuhua.EConflict, "the audit log shows tampering: %d problems (%d entries, %d events checked)",
			"审计日志显示数据被篡改：%d 处问题（已核对 %d 条日志、%d 个事件）", len(rep.Problems), rep.Entries, rep.Events)
	}
	fmt.Fprintf(stdout, "audit log intact: %d entries, %d case events checked", rep.Entries, rep.Events)
	if len(anchors) > 0 {
		fmt.Fprintf(stdout, ", %d anchors held", len(anchors))
	}
	fmt.Fprintln(stdout)
	return nil
}

// cmdAuditHead prints the log's last entry as an anchor: kept outside the
// database (a notice, another office, write-once storage), it lets a later
// `audit verify --anchor` catch a log rewritten whole.
func cmdAuditHead(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("audit head", "audit head --data DIR [--database URL]", stdout)
	var sf storeFlags
	sf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openForAudit(ctx, sf)
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := db.AuditHead(ctx)
	if err != nil {
		return err
	}
	if a.Seq == 0 {
		return xiuhua.Errorf(xiuhua.ENotFound, "the audit log is empty: nothing to anchor yet", "审计日志为空，暂无可留存的锚点")
	}
	fmt.Fprintln(stdout, a)
	return nil
}

func openForAudit(ctx context.Context, sf storeFlags) (*store.DB, error) {
	if sf.data == "" {
		return nil, xiuhua.Errorf(xiuhua.EInvalid, "--data DIR is required (or set XIUHUA_DATA)", "必须指定 --data 数据目录（或设置 XIUHUA_DATA）")
	}
	return store.Open(ctx, sf.data, sf.database)
}
