package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/hotline"
	"github.com/xiuhua/xiuhua/internal/store"
)

// The 12345 hotline import (热线工单导入) in the console: a dispatcher or
// an admin uploads the hotline's CSV export, by default as a dry run; the
// import runs in the background under a job id while the page shows a
// progress bar (static/hotline.js polls the job's JSON status), then the
// counts and the row-by-row error report. The job is kept in the database,
// so any instance of a cluster serves its pages. The category mapping table the
// import reads is shown to both and edited by admins. The import itself is
// app.ImportHotline, as on the command line and the API.

func init() {
	pageNames = append(pageNames, "hotline", "hotline_job", "hotline_mappings")
}

// hotlineRoutes registers the hotline pages (called from New).
func (s *Server) hotlineRoutes() {
	s.page("GET /hotline", s.hotlinePage)
	s.page("POST /hotline", s.hotlineUpload)
	s.page("GET /hotline/jobs/{id}", s.hotlineJobPage)
	s.page("GET /hotline/jobs/{id}/status.json", s.hotlineJobStatus)
	s.page("GET /hotline/jobs/{id}/errors.csv", s.hotlineJobErrors)
	s.page("GET /hotline/mappings", s.hotlineMappingsPage)
	s.page("POST /hotline/mappings", s.hotlineMappingPut)
}

// Job limits: one user runs one import at a time, and the whole console
// (every instance together) a few; the store counts them in hotline_jobs.
const (
	hotlineMaxRunning = 4
	// hotlineShowErrors bounds the error rows on the page; the CSV has them all.
	hotlineShowErrors = 500
	// hotlineListJobs bounds the recent imports listed on the form's page.
	hotlineListJobs = 20
)

// Imports are jobs in the database (store.HotlineJob): the instance that
// receives the file runs the import, writes its progress and renews the
// job's heartbeat, and any instance serves the job's page, status and
// error CSV. A job whose instance died reads as failed.

// hotlineStatus is a job's progress as the page's script reads it.
type hotlineStatus struct {
	State   string `json:"state"`
	Done    int    `json:"done"`
	Total   int    `json:"total"`
	Percent int    `json:"percent"`
	// Counts, once done.
	Rows     int  `json:"rows"`
	Imported int  `json:"imported"`
	Skipped  int  `json:"skipped_already_imported"`
	Failed   int  `json:"failed"`
	DryRun   bool `json:"dry_run"`
	// Error is why a failed job stopped (in the request's language).
	Error string `json:"error,omitempty"`
}

// jobStatus is a job's status for the page. A running job's percentage is
// what is done of the orders, rounded down; an ended one shows how far it
// got (all of it, unless its instance died on the way).
func jobStatus(j store.HotlineJob, lang string) hotlineStatus {
	st := hotlineStatus{State: j.State, Done: j.Done, Total: j.Total, DryRun: j.DryRun}
	switch {
	case j.Total > 0:
		st.Percent = j.Done * 100 / j.Total
	case j.State != store.HotlineRunning && j.State != store.HotlineQueued:
		st.Percent = 100
	}
	if j.State == store.HotlineDone {
		st.Percent = 100
		st.Rows, st.Imported, st.Skipped, st.Failed = j.Rows, j.Imported, j.Skipped, j.Failed
	}
	if j.State == store.HotlineFailed {
		st.Error = j.ErrorZh
		if lang == "en" || st.Error == "" {
			st.Error = j.ErrorEn
		}
	}
	return st
}

// canImport: the hotline pages are the command centre's.
func canImport(a auth.Actor) error {
	if !a.Is(auth.Admin, auth.Dispatcher) {
		return xiuhua.Errorf(xiuhua.EForbidden, "only dispatchers and admins import hotline orders", "只有派遣员和管理员可以导入热线工单")
	}
	return nil
}

type hotlineView struct {
	Jobs []hotlineJobRow
}

// hotlineJobRow is one of the user's recent imports.
type hotlineJobRow struct {
	ID, File string
	Started  time.Time
	DryRun   bool
	hotlineStatus
}

func (s *Server) hotlinePage(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := canImport(q.actor); err != nil {
		return err
	}
	return s.renderHotline(w, r, q, http.StatusOK)
}

func (s *Server) renderHotline(w http.ResponseWriter, r *http.Request, q *request, st int) error {
	jobs, err := s.App.DB.HotlineJobs(r.Context(), q.actor.UserID, s.Now(), hotlineListJobs)
	if err != nil {
		return err
	}
	var v hotlineView
	for _, j := range jobs {
		v.Jobs = append(v.Jobs, hotlineJobRow{ID: j.ID, File: j.File, Started: j.Started, DryRun: j.DryRun, hotlineStatus: jobStatus(j, q.lang)})
	}
	q.styles = []string{"hotline.css"}
	s.render(w, r, q, st, "hotline", "", v)
	return nil
}

// processInstance names this process in the jobs it runs when the server
// has no Instance: host, pid and a random suffix.
var processInstance = sync.OnceValue(func() string {
	host, _ := os.Hostname()
	if host == "" {
		host = "host"
	}
	return host + "-" + strconv.Itoa(os.Getpid()) + "-" + newID(6)
})

// instance names this server in the jobs it runs.
func (s *Server) instance() string {
	if s.Instance != "" {
		return s.Instance
	}
	return processInstance()
}

// hotlineUpload starts an import of the uploaded file in the background
// and sends the browser to the job's page.
func (s *Server) hotlineUpload(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := canImport(q.actor); err != nil {
		return err
	}
	data, name, err := uploadedCSV(r)
	if err != nil {
		q.flashErr, q.here = xiuhua.AsError(err), "/hotline"
		return s.renderHotline(w, r, q, status(err))
	}
	j := store.HotlineJob{ID: newID(12), UserID: q.actor.UserID, DryRun: r.PostFormValue("dry_run") == "true", File: name,
		Started: s.Now(), Instance: s.instance(), State: store.HotlineRunning}
	if err := s.App.DB.StartHotlineJob(r.Context(), j, hotlineMaxRunning); err != nil {
		if xiuhua.ErrorCode(err) == xiuhua.EInternal {
			return err
		}
		q.flashErr, q.here = xiuhua.AsError(err), "/hotline"
		return s.renderHotline(w, r, q, status(err))
	}
	actor := q.actor
	s.App.Go(func(ctx context.Context) { s.runImport(ctx, j, actor, data) })
	http.Redirect(w, r, "/hotline/jobs/"+j.ID, http.StatusSeeOther)
	return nil
}

// uploadedCSV reads the form's file.
func uploadedCSV(r *http.Request) ([]byte, string, error) {
	noFile := xiuhua.Errorf(xiuhua.EInvalid, "choose the hotline's CSV file to import", "请选择要导入的热线工单 CSV 文件")
	if r.MultipartForm == nil || len(r.MultipartForm.File["file"]) == 0 {
		return nil, "", noFile
	}
	fh := r.MultipartForm.File["file"][0]
	if fh.Size == 0 {
		return nil, "", noFile
	}
	f, err := fh.Open()
	if err != nil {
		return nil, "", xiuhua.Errorf(xiuhua.EInvalid, "the file could not be read", "无法读取文件")
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, "", xiuhua.Errorf(xiuhua.EInvalid, "the file could not be read", "无法读取文件")
	}
	name := fh.Filename
	if len([]rune(name)) > 100 {
		name = string([]rune(name)[:100])
	}
	return data, name, nil
}

// runImport runs a job to its end, renewing its heartbeat meanwhile. It
// outlives the request that started it; when the server stops, ctx ends
// (app.Drain) and the job records at once that it was interrupted.
func (s *Server) runImport(ctx context.Context, j store.HotlineJob, actor auth.Actor, data []byte) {
	bctx, stop := context.WithCancel(ctx)
	beating := make(chan struct{})
	go func() {
		defer close(beating)
		s.beatJob(bctx, j)
	}()
	rep, err := s.importJob(ctx, j, actor, data)
	stop()
	<-beating
	if err != nil && ctx.Err() != nil {
		err = store.HotlineJobInterrupted()
	}
	if err != nil && xiuhua.ErrorCode(err) == xiuhua.EInternal {
		s.Log.Error("hotline import failed", "job", j.ID, "err", err)
	}
	s.finishJob(j, rep, err)
}

// importJob runs the import itself, writing its progress to the job.
func (s *Server) importJob(ctx context.Context, j store.HotlineJob, actor auth.Actor, data []byte) (rep hotline.Report, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.Log.Error("hotline import panic", "job", j.ID, "panic", p)
			rep, err = hotline.Report{}, xiuhua.Internal(errors.New("panic"))
		}
	}()
	progress := func(done, total int) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := s.App.DB.HotlineJobProgress(ctx, j.ID, j.Instance, done, total, s.Now()); err != nil {
			s.Log.Warn("hotline import progress", "job", j.ID, "err", err)
		}
	}
	return s.App.ImportHotline(ctx, actor, bytes.NewReader(data), j.DryRun, progress)
}

// beatJob renews a running job's heartbeat every store.HotlineJobBeat
// until ctx ends, so that the other instances know it is alive.
func (s *Server) beatJob(ctx context.Context, j store.HotlineJob) {
	t := time.NewTicker(store.HotlineJobBeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.App.DB.HotlineJobBeat(ctx, j.ID, j.Instance, s.Now()); err != nil && ctx.Err() == nil {
			s.Log.Warn("hotline import heartbeat", "job", j.ID, "err", err)
		}
	}
}

// finishJob records the job's report or failure, trying a few times: if it
// cannot, the job reads as failed once its heartbeat is old, which says a
// re-import is safe.
func (s *Server) finishJob(j store.HotlineJob, rep hotline.Report, err error) {
	res := store.HotlineJobResult{Rows: rep.Rows, Imported: rep.Imported, Skipped: rep.Skipped, Failed: rep.Failed, Errors: "[]"}
	if rep.Errors != nil {
		b, jerr := json.Marshal(rep.Errors)
		if jerr != nil {
			err = jerr
		} else {
			res.Errors = string(b)
		}
	}
	if err != nil {
		res.Err = xiuhua.AsError(err)
	}
	for try := 0; try < 3; try++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ferr := s.App.DB.FinishHotlineJob(ctx, j.ID, j.Instance, res, s.Now())
		cancel()
		if ferr == nil {
			return
		}
		s.Log.Warn("hotline import finish", "job", j.ID, "err", ferr)
		time.Sleep(time.Second)
	}
}

// ownJob reads the job of the path for its user: another's reads as absent.
func (s *Server) ownJob(r *http.Request, q *request) (store.HotlineJob, error) {
	if err := canImport(q.actor); err != nil {
		return store.HotlineJob{}, err
	}
	return s.App.DB.HotlineJob(r.Context(), r.PathValue("id"), q.actor.UserID, s.Now())
}

// jobErrors decodes a job's row errors.
func jobErrors(j store.HotlineJob) ([]hotline.RowError, error) {
	var errs []hotline.RowError
	if j.Errors == "" {
		return nil, nil
	}
	return errs, json.Unmarshal([]byte(j.Errors), &errs)
}

type hotlineJobView struct {
	ID, File string
	Started  time.Time
	hotlineStatus
	Errors []hotline.RowError
	// More errors than the page lists.
	More int
	// Unmapped are the category texts the mapping lacks (links to add them).
	Unmapped []string
	IsAdmin  bool
}

func (s *Server) hotlineJobPage(w http.ResponseWriter, r *http.Request, q *request) error {
	j, err := s.ownJob(r, q)
	if err != nil {
		return err
	}
	v := hotlineJobView{ID: j.ID, File: j.File, Started: j.Started, hotlineStatus: jobStatus(j, q.lang), IsAdmin: q.actor.Role == auth.Admin}
	if v.State == store.HotlineDone {
		errs, err := jobErrors(j)
		if err != nil {
			return err
		}
		if len(errs) > hotlineShowErrors {
			v.Errors, v.More = errs[:hotlineShowErrors], len(errs)-hotlineShowErrors
		} else {
			v.Errors = errs
		}
		seen := map[string]bool{}
		for _, e := range errs {
			if t, ok := unmappedText(e); ok && !seen[t] {
				seen[t] = true
				v.Unmapped = append(v.Unmapped, t)
			}
		}
		sort.Strings(v.Unmapped)
	}
	q.styles, q.scripts = []string{"hotline.css"}, []string{"hotline.js"}
	s.render(w, r, q, http.StatusOK, "hotline_job", "", v)
	return nil
}

// unmappedText reads the category text out of an "is not mapped" row error.
func unmappedText(e hotline.RowError) (string, bool) {
	const pre, post = "category text \"", "\" is not mapped"
	i := strings.Index(e.Message, pre)
	k := strings.Index(e.Message, post)
	if i != 0 || k < 0 {
		return "", false
	}
	return e.Message[len(pre):k], true
}

func (s *Server) hotlineJobStatus(w http.ResponseWriter, r *http.Request, q *request) error {
	j, err := s.ownJob(r, q)
	if err != nil {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status(err))
		e := xiuhua.AsError(err)
		json.NewEncoder(w).Encode(map[string]string{"error": e.Message, "error_zh": e.MessageZh})
		return nil
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(jobStatus(j, q.lang))
}

// hotlineJobErrors downloads every row error of a finished job as CSV
// (UTF-8 with a byte-order mark, which spreadsheet software reads as such).
func (s *Server) hotlineJobErrors(w http.ResponseWriter, r *http.Request, q *request) error {
	j, err := s.ownJob(r, q)
	if err != nil {
		return err
	}
	errs, err := jobErrors(j)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="hotline-errors-`+j.ID+`.csv"`)
	io.WriteString(w, "\xef\xbb\xbf")
	cw := csv.NewWriter(w)
	cw.Write([]string{"row", "order_no", "message", "message_zh"})
	for _, e := range errs {
		cw.Write([]string{strconv.Itoa(e.Row), csvSafe(e.OrderNo), csvSafe(e.Message), csvSafe(e.MessageZh)})
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a cell from the uploaded file from being read as a formula
// by spreadsheet software.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// mappingRow is one entry of the mapping table.
type mappingRow struct {
	Text, Code string
	// Own: set by an admin (else a default).
	Own bool
}

type mappingsView struct {
	Rows       []mappingRow
	Categories []catalog.Category
	CanEdit    bool
	// Form is what is being entered (from ?text= or a refused form).
	Form mappingRow
}

func (s *Server) hotlineMappingsPage(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := canImport(q.actor); err != nil {
		return err
	}
	flash := ""
	if r.URL.Query().Get("done") == "1" {
		flash = translate(q.lang, "hotline.map.saved")
	}
	return s.renderMappings(w, r, q, http.StatusOK, flash, mappingRow{Text: strings.TrimSpace(r.URL.Query().Get("text"))})
}

func (s *Server) renderMappings(w http.ResponseWriter, r *http.Request, q *request, st int, flash string, form mappingRow) error {
	m, err := s.App.HotlineMapping(r.Context())
	if err != nil {
		return err
	}
	own, err := s.App.DB.HotlineMappings(r.Context())
	if err != nil {
		return err
	}
	v := mappingsView{CanEdit: q.actor.Role == auth.Admin, Form: form}
	for t, c := range m {
		_, mine := own[t]
		v.Rows = append(v.Rows, mappingRow{Text: t, Code: c, Own: mine})
	}
	// The admin's own entries first, then by category and text.
	sort.Slice(v.Rows, func(i, j int) bool {
		a, b := v.Rows[i], v.Rows[j]
		if a.Own != b.Own {
			return a.Own
		}
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		return a.Text < b.Text
	})
	for _, c := range s.App.Categories() {
		if c.Enabled {
			v.Categories = append(v.Categories, c)
		}
	}
	sort.Slice(v.Categories, func(i, j int) bool { return v.Categories[i].Code < v.Categories[j].Code })
	q.styles = []string{"hotline.css"}
	s.render(w, r, q, st, "hotline_mappings", flash, v)
	return nil
}

// hotlineMappingPut maps a category text to a code (admins: the app decides).
func (s *Server) hotlineMappingPut(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := canImport(q.actor); err != nil {
		return err
	}
	form := mappingRow{Text: strings.TrimSpace(r.PostFormValue("text")), Code: r.PostFormValue("category")}
	if err := s.App.PutHotlineMapping(r.Context(), q.actor, form.Text, form.Code); err != nil {
		if xiuhua.ErrorCode(err) == xiuhua.EInternal {
			return err
		}
		q.flashErr, q.here = xiuhua.AsError(err), "/hotline/mappings"
		return s.renderMappings(w, r, q, status(err), "", form)
	}
	http.Redirect(w, r, "/hotline/mappings?done=1", http.StatusSeeOther)
	return nil
}
