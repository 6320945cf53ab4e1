//go:build ignore

// Command gen converts the npm package chinese-days' dist/chinese-days.json
// into the embedded data/cn.json, keeping only "holidays" and "workdays"
// ("inLieuDays" repeats what holidays already says). Run it from the module
// root:
//
//	go run internal/calendar/data/gen/main.go /path/to/chinese-days/dist/chinese-days.json
//
// It parses with calendar.ParseSchedule, so the generated file passes the
// same checks as any import, and writes one day per line, sorted by date, so
// that a data update shows in review as the lines that changed. The source
// line names the package and version, read from its package.json when it
// lies beside dist/; update data/NOTICE along with it.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/xiuhua/xiuhua/internal/calendar"
)

func main() {
	out := flag.String("o", "internal/calendar/data/cn.json", "output file")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: go run internal/calendar/data/gen/main.go [-o cn.json] chinese-days.json")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	days, err := calendar.ParseSchedule(data)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\"source\": %s,\n\"days\": [\n", str(source(in)))
	for i, d := range days {
		fmt.Fprintf(&b, "{\"date\": %s, \"kind\": %s, \"name_en\": %s, \"name_zh\": %s}",
			str(d.Date), str(string(d.Kind)), str(d.NameEn), str(d.NameZh))
		if i < len(days)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]}\n")
	if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
		return err
	}
	first, last := days[0].Date[:4], days[len(days)-1].Date[:4]
	fmt.Fprintf(os.Stderr, "gen: wrote %d days, %s–%s, to %s\n", len(days), first, last, out)
	return nil
}

// source names where the data came from: the npm package and version from
// package.json beside dist/, when the input is inside an unpacked package.
func source(in string) string {
	what := "holidays and workdays of " + filepath.ToSlash(filepath.Join(filepath.Base(filepath.Dir(in)), filepath.Base(in)))
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(in), "..", "package.json"))
	if err != nil {
		return what
	}
	var pkg struct{ Name, Version, License string }
	if json.Unmarshal(raw, &pkg) != nil || pkg.Name == "" {
		return what
	}
	return fmt.Sprintf("npm %s %s (%s), %s", pkg.Name, pkg.Version, pkg.License, what)
}

// str encodes s as a JSON string, leaving "'", "<", ">" and "&" as they are
// (json.Marshal would escape them for HTML, which only hurts readability).
func str(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic(err) // a Go string always encodes
	}
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}
