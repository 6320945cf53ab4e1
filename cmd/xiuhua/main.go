// Command xiuhua runs the city fine-grained management platform (绣花): the
// server, the demo, migrations, imports and user administration. It only
// parses flags and calls into internal/.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/cluster"
	"github.com/xiuhua/xiuhua/internal/demo"
	"github.com/xiuhua/xiuhua/internal/store"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `xiuhua 绣花 — city fine-grained management (城市精细化管理)

Usage:
  xiuhua demo    [--addr ADDR] [--data DIR]      run with the Wuxi demo territory on a fresh store
  xiuhua serve   --addr ADDR --data DIR [--database URL]
  xiuhua migrate --data DIR [--database URL]
  xiuhua user add --username U --role ROLE [--unit CODE] [--scope TERRITORY] [--password-stdin]
  xiuhua user password --username U --password-stdin
  xiuhua token issue --username U
  xiuhua token revoke --username U                revoke every API token of a user
  xiuhua import territory FILE.geojson
  xiuhua import calendar FILE.json
  xiuhua import hotline FILE.csv --as USERNAME [--dry-run]   12345 hotline work orders
  xiuhua audit verify [--anchor SEQ:HASH]...      check the tamper-evident log against the ledger (and kept anchors)
  xiuhua audit head                               the log's last entry as SEQ:HASH, to keep outside the database
  xiuhua open311 key add --name NAME [--scope TERRITORY] | key revoke --name NAME | key list   Open311 client keys
  xiuhua assess metrics|score|publish --period 2026-10 [--by unit|community|street|district|inspector] [--territory CODE] [--unit CODE] [--round ID]
  xiuhua assess notice --publication ID --out FILE.html|.xlsx
  xiuhua assess points import FILE.csv|.geojson
  xiuhua assess units import FILE.csv|.json | units list   management units (管理单元) made of grids
  xiuhua assess run --period 2026-10 [--kind monthly] [--scheme CODE] [--territory CODE] [--per-type N] [--seed S]   a round with its recorded draw
  xiuhua assess warm                              derive the per-case facts the metrics read (also done at server start)
  xiuhua jobs [--job NAME] [--limit N]           the latest runs of the background jobs, on any instance
  xiuhua backup --out FILE.tar.gz                 a consistent backup of the database and photos, while serving
  xiuhua restore [--force] FILE.tar.gz            restore into an empty store, server stopped (SQLite or PostgreSQL)
  xiuhua version

Every command that touches data takes --data DIR and --database URL, also
read from XIUHUA_DATA, XIUHUA_DATABASE_URL and XIUHUA_ADDR. Without a
postgres:// URL the store is SQLite at DIR/xiuhua.db.
Run "xiuhua COMMAND --help" for a command's flags.
`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		e := xiuhua.AsError(err)
		if e.Code == xiuhua.EInternal && e.Err != nil {
			fmt.Fprintf(os.Stderr, "xiuhua: %v\n", e.Err)
		} else {
			fmt.Fprintf(os.Stderr, "xiuhua: %s\n        %s\n", e.Message, e.MessageZh)
			for _, d := range e.Details {
				fmt.Fprintf(os.Stderr, "  - %s\n", d)
			}
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cmd, rest := args[0], args[1:]
	if (cmd == "user" || cmd == "token" || cmd == "import" || cmd == "audit") && len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		cmd, rest = cmd+" "+rest[0], rest[1:]
	}
	switch cmd {
	case "demo":
		return cmdDemo(ctx, rest, stdout, stderr)
	case "serve":
		return cmdServe(ctx, rest, stdout, stderr)
	case "migrate":
		return cmdMigrate(ctx, rest, stdout)
	case "user add":
		return cmdUserAdd(ctx, rest, stdout)
	case "user password":
		return cmdUserPassword(ctx, rest, stdout)
	case "token issue":
		return cmdTokenIssue(ctx, rest, stdout)
	case "token revoke":
		return cmdTokenRevoke(ctx, rest, stdout)
	case "import territory":
		return cmdImport(ctx, "territory", rest, stdout)
	case "import calendar":
		return cmdImport(ctx, "calendar", rest, stdout)
	case "import hotline":
		return cmdImportHotline(ctx, rest, stdout, stderr)
	case "audit verify":
		return cmdAuditVerify(ctx, rest, stdout)
	case "audit head":
		return cmdAuditHead(ctx, rest, stdout)
	case "open311":
		return cmdOpen311(ctx, rest, stdout)
	case "assess":
		return cmdAssess(ctx, rest, stdout)
	case "jobs":
		return cmdJobs(ctx, rest, stdout)
	case "backup":
		return cmdBackup(ctx, rest, stdout)
	case "restore":
		return cmdRestore(ctx, rest, stdout)
	case "version":
		fmt.Fprintln(stdout, "xiuhua", buildVersion())
		return nil
	}
	fmt.Fprint(stderr, usage)
	return xiuhua.Errorf(xiuhua.EInvalid, "unknown command %q", "未知命令 %q", strings.Join(args[:min(2, len(args))], " "))
}

func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return version
}

// storeFlags are the flags of every command that touches data.
type storeFlags struct {
	data, database string
}

func newFlags(name, synopsis string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("xiuhua "+name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: xiuhua %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func (s *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.data, "data", os.Getenv("XIUHUA_DATA"), "data folder: the SQLite store and uploaded photos (env XIUHUA_DATA)")
	fs.StringVar(&s.database, "database", os.Getenv("XIUHUA_DATABASE_URL"), "database URL: postgres://… for PostgreSQL; empty for SQLite in the data folder (env XIUHUA_DATABASE_URL)")
}

// open opens and migrates the store and starts the app on it.
func (s *storeFlags) open(ctx context.Context, log *slog.Logger) (*app.App, error) {
	if s.data == "" {
		return nil, xiuhua.Errorf(xiuhua.EInvalid, "--data DIR is required (or set XIUHUA_DATA)", "必须指定 --data 数据目录（或设置 XIUHUA_DATA）")
	}
	db, err := store.Open(ctx, s.data, s.database)
	if err != nil {
		return nil, err
	}
	// Instances starting together take turns (a lock on PostgreSQL).
	if err := cluster.Migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	hours := calendar.DefaultHours()
	if v := os.Getenv("XIUHUA_OFFICE_HOURS"); v != "" {
		if hours, err = calendar.ParseHours(v); err != nil {
			db.Close()
			return nil, err
		}
	}
	a, err := app.New(ctx, db, log, hours)
	if err != nil {
		db.Close()
	}
	return a, err
}

func logger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "serve --addr ADDR --data DIR [--database URL]", stdout)
	var sf storeFlags
	sf.register(fs)
	addr := fs.String("addr", envOr("XIUHUA_ADDR", "127.0.0.1:8080"), "listen address (env XIUHUA_ADDR)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := logger(stderr)
	a, err := sf.open(ctx, log)
	if err != nil {
		return err
	}
	defer a.DB.Close()
	return serve(ctx, a, *addr, log, func(url string) {
		fmt.Fprintf(stdout, "xiuhua %s serving on %s (%s store)\n", buildVersion(), url, a.DB.Dialect)
	})
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", "demo [--addr ADDR] [--data DIR]", stdout)
	addr := fs.String("addr", envOr("XIUHUA_ADDR", "127.0.0.1:8080"), "listen address (env XIUHUA_ADDR)")
	data := fs.String("data", os.Getenv("XIUHUA_DATA"), "data folder; a fresh temporary one when empty (env XIUHUA_DATA)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" {
		d, err := os.MkdirTemp("", "xiuhua-demo-")
		if err != nil {
			return err
		}
		*data = d
	}
	log := logger(stderr)
	sf := storeFlags{data: *data}
	a, err := sf.open(ctx, log)
	if err != nil {
		return err
	}
	defer a.DB.Close()
	fmt.Fprintf(stdout, "Seeding the Wuxi demo territory into %s …\n", *data)
	res, err := demo.Seed(ctx, a)
	if err != nil {
		return err
	}
	return serve(ctx, a, *addr, log, func(url string) {
		fmt.Fprintf(stdout, "\nxiuhua demo: %d areas, %d units, %d cases\n", res.Areas, res.Units, res.Cases)
		fmt.Fprintf(stdout, "Open %s and sign in as dispatcher, inspector, sanitation … with the password %s\n", url, demo.Password)
		fmt.Fprintf(stdout, "Try:  curl -H 'Authorization: Bearer %s' %s/api/v1/cases\n", res.AdminToken, url)
		fmt.Fprintf(stdout, "\nDemo users (username (role, scope): API token):\n")
		for _, u := range res.Users {
			fmt.Fprintf(stdout, "  %s\n", u)
		}
		fmt.Fprintf(stdout, "\nAdmin token: %s\n", res.AdminToken)
	})
}

func serve(ctx context.Context, a *app.App, addr string, log *slog.Logger, ready func(url string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return xiuhua.Errorf(xiuhua.EInvalid, "cannot listen on %s: %v", "无法监听 %s：%v", addr, err)
	}
	// Background work (overdue scan, monthly scoring, planner statistics) and
	// the reload of reference data changed by other instances: see
	// internal/cluster and docs/deployment.md.
	opts, probs := cluster.OptionsFromEnv(os.Getenv)
	for _, p := range probs {
		log.Warn("background jobs: ignoring a setting, its default stays", "problem", p)
	}
	if on, err := a.DB.Autovacuum(ctx); err == nil && !on {
		log.Warn("PostgreSQL runs without autovacuum: xiuhua vacuums and analyzes its own tables every minute (job \"vacuum\"); turn autovacuum on for production")
	}
	jobMetrics := cluster.NewMetrics(a.DB)
	jobs := cluster.New(a, log, opts, jobMetrics)
	srv := &http.Server{Handler: handler(a, log, jobMetrics), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	startPprof(ctx, log)
	warmInBackground(ctx, a, log)
	jobsDone := make(chan struct{})
	go func() {
		defer close(jobsDone)
		jobs.Run(ctx)
	}()
	ready("http://" + ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	// A job in progress gives its period back before the store closes.
	select {
	case <-jobsDone:
	case <-sctx.Done():
	}
	// Console imports still running get what is left of the grace period,
	// then are cancelled and record that they were interrupted.
	if !a.Drain(sctx, 5*time.Second) {
		log.Warn("background work interrupted by the shutdown", "left", a.Running())
	}
	return err
}

func cmdMigrate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("migrate", "migrate --data DIR [--database URL]", stdout)
	var sf storeFlags
	sf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if sf.data == "" {
		return xiuhua.Errorf(xiuhua.EInvalid, "--data DIR is required (or set XIUHUA_DATA)", "必须指定 --data 数据目录（或设置 XIUHUA_DATA）")
	}
	db, err := store.Open(ctx, sf.data, sf.database)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	cur, _, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema at version %d (%s)\n", cur, db.Dialect)
	return nil
}

func cmdUserAdd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("user add", "user add --username U --role ROLE [--unit CODE] [--scope TERRITORY_CODE] [--name NAME] [--password-stdin]", stdout)
	var sf storeFlags
	sf.register(fs)
	var u auth.User
	var role string
	fs.StringVar(&u.Username, "username", "", "login name (required)")
	fs.StringVar(&u.DisplayName, "name", "", "display name (default: the username)")
	fs.StringVar(&role, "role", "", "one of admin, dispatcher, handler, inspector, leader (required)")
	fs.StringVar(&u.Unit, "unit", "", "code of the user's unit (required for handlers)")
	fs.StringVar(&u.Scope, "scope", "", "territory code the user may see and act in (default: the unit's; empty for a city-wide admin)")
	pwStdin := fs.Bool("password-stdin", false, "read a password for the web console from the first line of standard input")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u.Role = auth.Role(role)
	hash := ""
	if *pwStdin {
		pw, err := readPassword(strings.TrimSpace(u.Username))
		if err != nil {
			return err
		}
		hash = auth.HashPassword(pw)
	}
	a, err := sf.open(ctx, logger(io.Discard))
	if err != nil {
		return err
	}
	defer a.DB.Close()
	tok, err := a.AddUser(ctx, u, hash)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "user %s added (%s)\n%s\n", u.Username, u.Role, tok)
	return nil
}

// stdin is where --password-stdin reads (tests replace it).
var stdin io.Reader = os.Stdin

// readPassword reads one line of standard input as a password and checks it
// against the password policy. Reading a pipe keeps the password out of the
// process list and the shell history, where a flag would put it.
func readPassword(username string) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", xiuhua.Errorf(xiuhua.EInvalid, "cannot read the password from standard input: %v", "无法从标准输入读取密码：%v", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", xiuhua.Errorf(xiuhua.EInvalid, "no password on standard input (one line expected)", "标准输入中没有密码（应为一行）")
	}
	return pw, auth.CheckPasswordPolicy(pw, username)
}

func cmdUserPassword(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("user password", "user password --username U --password-stdin", stdout)
	var sf storeFlags
	sf.register(fs)
	user := fs.String("username", "", "the user whose password is set (required)")
	pwStdin := fs.Bool("password-stdin", false, "read the new password from the first line of standard input (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *user == "" || !*pwStdin {
		return xiuhua.Errorf(xiuhua.EInvalid, "give --username and --password-stdin", "请指定 --username 和 --password-stdin")
	}
	pw, err := readPassword(*user)
	if err != nil {
		return err
	}
	a, err := sf.open(ctx, logger(io.Discard))
	if err != nil {
		return err
	}
	defer a.DB.Close()
	u, err := a.DB.UserByName(ctx, *user)
	if err != nil {
		return err
	}
	if err := a.DB.SetPassword(ctx, u.Username, auth.HashPassword(pw)); err != nil {
		return err
	}
	// A new password signs the user out of every browser.
	if err := a.DB.DeleteUserWebSessions(ctx, u.ID); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "password of %s set; their web sessions are ended\n", u.Username)
	return nil
}

func cmdTokenIssue(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("token issue", "token issue --username U [--label TEXT]", stdout)
	var sf storeFlags
	sf.register(fs)
	user := fs.String("username", "", "the user who gets the token (required)")
	label := fs.String("label", "issued from the command line", "what the token is for")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := sf.open(ctx, logger(io.Discard))
	if err != nil {
		return err
	}
	defer a.DB.Close()
	tok, err := a.IssueToken(ctx, *user, *label)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "token issued for %s\n%s\n", *user, tok)
	return nil
}

func cmdTokenRevoke(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("token revoke", "token revoke --username U", stdout)
	var sf storeFlags
	sf.register(fs)
	user := fs.String("username", "", "the user whose tokens are revoked (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := sf.open(ctx, logger(io.Discard))
	if err != nil {
		return err
	}
	defer a.DB.Close()
	u, err := a.DB.UserByName(ctx, *user)
	if err != nil {
		return err
	}
	if err := a.DB.RevokeTokens(ctx, u.ID); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "every token of %s is revoked\n", *user)
	return nil
}

func cmdImport(ctx context.Context, what string, args []string, stdout io.Writer) error {
	fs := newFlags("import "+what, "import "+what+" FILE [--data DIR] [--database URL]", stdout)
	var sf storeFlags
	sf.register(fs)
	// Let the file come before or after the flags.
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	if file == "" {
		return xiuhua.Errorf(xiuhua.EInvalid, "name the file to import", "请指定要导入的文件")
	}
	data, err := os.ReadFile(filepath.Clean(file))
	if err != nil {
		return xiuhua.Errorf(xiuhua.EInvalid, "cannot read %s: %v", "无法读取 %s：%v", file, err)
	}
	a, err := sf.open(ctx, logger(io.Discard))
	if err != nil {
		return err
	}
	defer a.DB.Close()
	switch what {
	case "territory":
		n, warnings, err := a.ImportTerritory(ctx, data)
		if err != nil {
			return err
		}
		for _, w := range warnings {
			fmt.Fprintf(stdout, "warning: feature %d (%s): %s / %s\n", w.Index, w.Code, w.Message, w.MessageZh)
		}
		fmt.Fprintf(stdout, "imported %d areas (%d warnings)\n", n, len(warnings))
	case "calendar":
		n, err := a.ImportCalendar(ctx, data)
		if err != nil {
			return err
		}
		first, last := a.Calendar().Years()
		fmt.Fprintf(stdout, "imported %d calendar days; the calendar now covers %d–%d\n", n, first, last)
	}
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
