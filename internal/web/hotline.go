package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/hotline"
)

// The 12345 hotline import (热线工单导入) in the console: a dispatcher or
// an admin uploads the hotline's CSV export, by default as a dry run; the
// import runs in the background under a job id while the page shows a
// progress bar (static/hotline.js polls the job's JSON status), then the
// counts and the row-by-row error report. The category mapping table the
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

// Job bookkeeping: finished jobs are kept for their report this long; one
// user runs one import at a time, and the whole console a few.
const (
	hotlineJobKeep    = time.Hour
	hotlineMaxRunning = 4
	// hotlineShowErrors bounds the error rows on the page; the CSV has them all.
	hotlineShowErrors = 500
)

// hotlineJob is one import running or finished in the background.
type hotlineJob struct {
	ID string
	// srv and UserID are whose job it is (a process may serve several consoles: the tests).
	srv     *Server
	UserID  int64
	DryRun  bool
	File    string
	Started time.Time

	mu          sync.Mutex
	state       string // "running", "done" or "failed"
	done, total int
	report      hotline.Report
	err         *xiuhua.Error
	finished    time.Time
}

// hotlineJobs holds the jobs of every console of the process, by id (random,
// and each readable by its own user only).
var hotlineJobs = struct {
	sync.Mutex
	m map[string]*hotlineJob
}{m: map[string]*hotlineJob{}}

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

func (j *hotlineJob) status(lang string) hotlineStatus {
	j.mu.Lock()
	defer j.mu.Unlock()
	st := hotlineStatus{State: j.state, Done: j.done, Total: j.total, DryRun: j.DryRun}
	switch {
	case j.state != "running":
		st.Percent = 100
	case j.total > 0:
		st.Percent = j.done * 100 / j.total
	}
	if j.state == "done" {
		st.Rows, st.Imported, st.Skipped, st.Failed = j.report.Rows, j.report.Imported, j.report.Skipped, j.report.Failed
	}
	if j.err != nil {
		st.Error = j.err.Message
		if lang != "en" && j.err.MessageZh != "" {
			st.Error = j.err.MessageZh
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
	s.renderHotline(w, r, q, http.StatusOK)
	return nil
}

func (s *Server) renderHotline(w http.ResponseWriter, r *http.Request, q *request, st int) {
	var v hotlineView
	hotlineJobs.Lock()
	for _, j := range hotlineJobs.m {
		if j.srv == s && j.UserID == q.actor.UserID {
			v.Jobs = append(v.Jobs, hotlineJobRow{ID: j.ID, File: j.File, Started: j.Started, DryRun: j.DryRun})
		}
	}
	hotlineJobs.Unlock()
	for i := range v.Jobs {
		v.Jobs[i].hotlineStatus = s.job(v.Jobs[i].ID).status(q.lang)
	}
	sort.Slice(v.Jobs, func(i, j int) bool { return v.Jobs[i].Started.After(v.Jobs[j].Started) })
	q.styles = []string{"hotline.css"}
	s.render(w, r, q, st, "hotline", "", v)
}

// job returns a job by id (nil when unknown).
func (s *Server) job(id string) *hotlineJob {
	hotlineJobs.Lock()
	defer hotlineJobs.Unlock()
	return hotlineJobs.m[id]
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
		s.renderHotline(w, r, q, status(err))
		return nil
	}
	j := &hotlineJob{ID: newID(12), srv: s, UserID: q.actor.UserID, DryRun: r.PostFormValue("dry_run") == "true", File: name,
		Started: s.Now(), state: "running"}
	if err := startJob(j, s.Now()); err != nil {
		q.flashErr, q.here = xiuhua.AsError(err), "/hotline"
		s.renderHotline(w, r, q, status(err))
		return nil
	}
	actor := q.actor
	go s.runImport(j, actor, data)
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

// startJob registers a job unless its user already runs one or the console
// runs too many; finished jobs past their keeping time go.
func startJob(j *hotlineJob, now time.Time) error {
	hotlineJobs.Lock()
	defer hotlineJobs.Unlock()
	running := 0
	for id, o := range hotlineJobs.m {
		o.mu.Lock()
		st, fin := o.state, o.finished
		o.mu.Unlock()
		if st != "running" {
			if now.Sub(fin) > hotlineJobKeep {
				delete(hotlineJobs.m, id)
			}
			continue
		}
		running++
		if o.srv == j.srv && o.UserID == j.UserID {
			return xiuhua.Errorf(xiuhua.EConflict, "your previous import is still running: wait for it to finish", "您的上一次导入仍在进行，请等待完成")
		}
	}
	if running >= hotlineMaxRunning {
		return xiuhua.Errorf(xiuhua.ETooMany, "too many imports are running: try again in a minute", "正在进行的导入过多，请稍后再试")
	}
	hotlineJobs.m[j.ID] = j
	return nil
}

// runImport runs a job to its end. It outlives the request that started it.
func (s *Server) runImport(j *hotlineJob, actor auth.Actor, data []byte) {
	defer func() {
		if p := recover(); p != nil {
			s.Log.Error("hotline import panic", "job", j.ID, "panic", p)
			j.finish(hotline.Report{}, xiuhua.Internal(errors.New("panic")))
		}
	}()
	progress := func(done, total int) {
		j.mu.Lock()
		j.done, j.total = done, total
		j.mu.Unlock()
	}
	rep, err := s.App.ImportHotline(context.Background(), actor, bytes.NewReader(data), j.DryRun, progress)
	if err != nil && xiuhua.ErrorCode(err) == xiuhua.EInternal {
		s.Log.Error("hotline import failed", "job", j.ID, "err", err)
	}
	j.finish(rep, err)
}

func (j *hotlineJob) finish(rep hotline.Report, err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.report, j.finished = rep, time.Now()
	j.done = j.total
	if err != nil {
		j.state, j.err = "failed", xiuhua.AsError(err)
		return
	}
	j.state = "done"
}

// ownJob finds the job of the path for its user: another's reads as absent.
func (s *Server) ownJob(r *http.Request, q *request) (*hotlineJob, error) {
	if err := canImport(q.actor); err != nil {
		return nil, err
	}
	j := s.job(r.PathValue("id"))
	if j == nil || j.srv != s || j.UserID != q.actor.UserID {
		return nil, xiuhua.Errorf(xiuhua.ENotFound, "no such import (finished imports are kept for an hour)", "导入任务不存在（已完成的导入保留一小时）")
	}
	return j, nil
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
	v := hotlineJobView{ID: j.ID, File: j.File, Started: j.Started, hotlineStatus: j.status(q.lang), IsAdmin: q.actor.Role == auth.Admin}
	if v.State == "done" {
		j.mu.Lock()
		errs := j.report.Errors
		j.mu.Unlock()
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
	return json.NewEncoder(w).Encode(j.status(q.lang))
}

// hotlineJobErrors downloads every row error of a finished job as CSV
// (UTF-8 with a byte-order mark, which spreadsheet software reads as such).
func (s *Server) hotlineJobErrors(w http.ResponseWriter, r *http.Request, q *request) error {
	j, err := s.ownJob(r, q)
	if err != nil {
		return err
	}
	j.mu.Lock()
	errs := j.report.Errors
	j.mu.Unlock()
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
