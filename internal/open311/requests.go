package open311

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/blob"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/store"
)

// maxCaseDescription is what a case holds (casework's limit); the spec
// allows 4000 characters, which are kept whole with the request.
const maxCaseDescription = 2000

// maxWindow is the spec's longest start_date–end_date span, and the default
// window of GET requests.
const maxWindow = 90 * 24 * time.Hour

var phoneRE = regexp.MustCompile(`^[0-9+()\-. ]{3,40}$`)

// postRequest creates a service request (POST requests.{fmt}). It is
// synchronous: the answer carries the service_request_id, and also a token
// that tokens/{token} resolves, for clients that poll.
func (s *Server) postRequest(w http.ResponseWriter, r *http.Request, f format) error {
	ctx := r.Context()
	v, err := s.form(w, r)
	if err != nil {
		return err
	}
	if err := s.checkJurisdiction(v); err != nil {
		return err
	}
	k, err := s.key(r, v, true)
	if err != nil {
		return err
	}
	l := localeOf(v)
	var probs []string
	get := func(name string, max int) string {
		x, err := one(v, name)
		if err != nil {
			probs = append(probs, xiuhua.AsError(err).Message+" / "+xiuhua.AsError(err).MessageZh)
			return ""
		}
		if utf8.RuneCountInString(x) > max {
			probs = append(probs, name+" is longer than "+strconv.Itoa(max)+" characters / "+name+" 超过 "+strconv.Itoa(max)+" 字")
			return ""
		}
		return x
	}
	code := get("service_code", 64)
	desc := get("description", 4000)
	first, last := get("first_name", 100), get("last_name", 100)
	email, phone := get("email", 254), get("phone", 40)
	deviceID, accountID := get("device_id", 100), get("account_id", 100)
	addr, addrID := get("address_string", 200), get("address_id", 100)
	latS, lonS := get("lat", 40), get("long", 40)
	jurisdiction := get("jurisdiction_id", 100)

	var cat catalog.Category
	if code == "" {
		probs = append(probs, "service_code is required (see services.xml) / 缺少 service_code（见 services.xml）")
	} else if c, ok := s.App.Category(code); !ok || !c.Enabled {
		probs = append(probs, "unknown service_code "+strconv.Quote(short(code))+" (see services.xml) / service_code 不存在（见 services.xml）")
	} else {
		cat = c
	}
	var lat, lon float64
	var located string    // the note of a position found from address_string
	var approxArea string // and the code of the area it was matched to
	switch {
	case latS == "" && lonS == "" && addr != "":
		// No geocoding service: the address must name a community of the
		// territory, whose inside point stands for the place (approximate).
		if fix, err := s.App.LocateAddress(addr); err != nil {
			e := xiuhua.AsError(err)
			probs = append(probs, "no lat and long, and "+e.Message+" / 未提供 lat 和 long，且"+e.MessageZh)
		} else {
			lat, lon, located, approxArea = fix.Lat, fix.Lon, fix.Note, fix.Area.Code
		}
	case latS == "" && lonS == "" && addrID != "":
		probs = append(probs, "lat and long are required with address_id: xiuhua cannot resolve address_id (an address_string naming the community is placed approximately) / "+
			"仅有 address_id 时必须提供 lat 和 long：本系统无法解析 address_id（写明社区的 address_string 可近似定位）")
	case latS == "" && lonS == "":
		probs = append(probs, "a location is required: lat and long (WGS84 degrees) / 必须提供位置：lat 和 long（WGS84 经纬度）")
	case latS == "" || lonS == "":
		probs = append(probs, "lat and long go together: both are required / lat 与 long 须同时提供")
	default:
		var ok1, ok2 bool
		lat, ok1 = degrees(latS, 90)
		lon, ok2 = degrees(lonS, 180)
		if !ok1 || !ok2 {
			probs = append(probs, "lat must be a number within −90…90 and long within −180…180 (WGS84 degrees) / lat 须为 −90…90、long 须为 −180…180 之间的数字")
		}
	}
	if email != "" {
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email || a.Name != "" {
			probs = append(probs, "email is not an e-mail address / email 不是有效的电子邮件地址")
		}
	}
	if phone != "" && !phoneRE.MatchString(phone) {
		probs = append(probs, "phone may hold digits, spaces and + ( ) - . only / phone 只能包含数字、空格及 + ( ) - .")
	}
	var media []string
	for _, m := range v["media_url"] {
		m = strings.TrimSpace(m)
		if m == "" {
			continue
		}
		if u, err := url.Parse(m); err != nil || len(m) > 2000 || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			probs = append(probs, "media_url must be an http or https URL of at most 2000 characters / media_url 须为 http 或 https 地址，不超过2000字符")
			continue
		}
		media = append(media, m)
	}
	if len(media) > 10 {
		probs = append(probs, "at most 10 media_url / media_url 最多10个")
	}
	attrs, err := parseAttributes(v)
	if err != nil {
		probs = append(probs, xiuhua.AsError(err).Details...)
	} else if cat.Code != "" {
		if err := checkAttributes(cat, attrs); err != nil {
			probs = append(probs, xiuhua.AsError(err).Details...)
		}
	}
	var files []*multipart.FileHeader
	if r.MultipartForm != nil {
		for name, fs := range r.MultipartForm.File {
			if name != "media" {
				probs = append(probs, "unexpected file field "+strconv.Quote(short(name))+": send photos as \"media\" / 文件字段须命名为 media")
				continue
			}
			files = append(files, fs...)
		}
		if len(files) > s.Config.MaxMediaFiles {
			probs = append(probs, "at most "+strconv.Itoa(s.Config.MaxMediaFiles)+" photos / 最多 "+strconv.Itoa(s.Config.MaxMediaFiles)+" 张照片")
		}
	}
	if len(probs) > 0 {
		return invalid(probs)
	}
	var photos []string
	for _, fh := range files {
		id, err := s.putMedia(ctx, fh)
		if err != nil {
			return err
		}
		photos = append(photos, id)
	}

	urgency := catalog.Normal
	if len(attrs["hazard"]) > 0 {
		urgency = catalog.Urgent
	}
	text := desc
	if text == "" {
		text = cat.NameZh + "（市民上报，未附描述）"
	}
	if sum := attributeSummary(cat, attrs); sum != "" {
		text += "\n" + sum
	}
	room := maxCaseDescription
	if located != "" {
		room -= utf8.RuneCountInString(located) + 1
	}
	if utf8.RuneCountInString(text) > room {
		text = string([]rune(text)[:room-1]) + "…"
	}
	if located != "" {
		// For the dispatcher, who can move the case to the right spot.
		text += "\n" + located
	}
	c, err := s.App.Cases.Report(ctx, k.Actor(), casework.ReportInput{Category: cat.Code, Description: text, Lat: &lat, Lon: &lon,
		Source: casework.SourceCitizen, Urgency: urgency, Address: addr, Attachments: photos, ApproxArea: approxArea})
	if err != nil {
		return err
	}
	token := newToken()
	if media == nil {
		media = []string{}
	}
	row := requestRow{CaseID: c.ID, KeyID: k.ID, Token: token, Jurisdiction: jurisdiction, FirstName: first, LastName: last,
		Email: email, Phone: phone, DeviceID: deviceID, AccountID: accountID, AddressID: addrID, MediaURLs: media, Attributes: attrs,
		Description: desc, CreatedAt: c.CreatedAt}
	if err := insertRequest(ctx, s.App.DB, row); err != nil {
		// The case is stored: answer with its id, without a token (which
		// would resolve to nothing). The contact details are lost; say so
		// where someone can act on it.
		s.Log.Error("open311: case stored but not its request details", "case", c.ID, "key", k.Name, "err", err)
		token = ""
	}
	if _, err := s.App.RecordDuplicates(ctx, c); err != nil {
		s.Log.Warn("open311: duplicate search failed", "case", c.ID, "err", err)
	}
	out := object{
		{"service_request_id", c.Code()},
		{"token", nullable(token)},
		{"service_notice", serviceNotice(cat, urgency == catalog.Urgent, l)},
		{"account_id", nullable(accountID)},
	}
	w.Header().Set("Location", Prefix+"requests/"+c.Code()+"."+string(f))
	write(w, f, http.StatusOK, "service_requests", list{Item: "request", Items: []any{out}})
	return nil
}

// degrees parses a coordinate within ±max.
func degrees(s string, max float64) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < -max || f > max {
		return 0, false
	}
	return f, true
}

func newToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

var tokenRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// putMedia stores an uploaded photo: JPEG, PNG or WebP by content, at most
// MaxMedia bytes. It is attached to the case and shown to staff; the public
// answers do not serve it.
func (s *Server) putMedia(ctx context.Context, fh *multipart.FileHeader) (string, error) {
	if fh.Size > s.Config.MaxMedia {
		return "", xiuhua.Errorf(xiuhua.ETooLarge, "photo %q is larger than %d bytes", "照片 %q 超过 %d 字节", short(fh.Filename), s.Config.MaxMedia)
	}
	fl, err := fh.Open()
	if err != nil {
		return "", xiuhua.Errorf(xiuhua.EInvalid, "unreadable photo %q", "无法读取照片 %q", short(fh.Filename))
	}
	defer fl.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(fl, head)
	if blob.Sniff(head[:n]) == "" {
		return "", xiuhua.Errorf(xiuhua.EUnsupported, "photo %q is not a JPEG, PNG or WebP image", "照片 %q 不是 JPEG、PNG 或 WebP 图片", short(fh.Filename))
	}
	if _, err := fl.Seek(0, io.SeekStart); err != nil {
		return "", xiuhua.Internal(err)
	}
	id, ct, size, err := s.App.Blobs.Put(io.LimitReader(fl, s.Config.MaxMedia+1))
	if err != nil {
		return "", err
	}
	if err := s.App.DB.PutBlob(ctx, store.Blob{ID: id, ContentType: ct, Size: size, CreatedAt: s.Now(), Anonymous: true}); err != nil {
		return "", err
	}
	return id, nil
}

// reader resolves the reader of a GET: a key limits reads to its territory;
// without one the read is anonymous (when allowed) and covers everything.
func (s *Server) reader(r *http.Request, v url.Values) (scope string, err error) {
	if err := s.checkJurisdiction(v); err != nil {
		return "", err
	}
	k, err := s.key(r, v, !s.Config.AnonymousReads)
	if err != nil {
		return "", err
	}
	if k != nil {
		return k.Scope, nil
	}
	return "", nil
}

// inScope reports whether a case lies in a scope ("" is everywhere).
func inScope(c publicCase, scope string) bool {
	return scope == "" || strings.HasPrefix(c.Grid, scope)
}

// getRequests answers GET requests.{fmt} with the spec's filters and the
// common extensions.
func (s *Server) getRequests(w http.ResponseWriter, r *http.Request, f format) error {
	ctx := r.Context()
	v, err := s.form(w, r)
	if err != nil {
		return err
	}
	scope, err := s.reader(r, v)
	if err != nil {
		return err
	}
	loc := s.App.Calendar().Location()
	q := caseQuery{Scope: scope, Limit: 1000}
	var probs []string
	bad := func(err error) {
		probs = append(probs, xiuhua.AsError(err).Message+" / "+xiuhua.AsError(err).MessageZh)
	}
	ids := commaList(v, "service_request_id")
	if len(ids) > 1000 {
		probs = append(probs, "at most 1000 service_request_id at once / service_request_id 一次最多1000个")
	}
	for _, x := range ids {
		id, ok := casework.IDFromCode(x)
		if !ok {
			probs = append(probs, "service_request_id "+strconv.Quote(short(x))+" is not a request number / 不是有效的请求编号")
			continue
		}
		q.IDs = append(q.IDs, id)
	}
	// The spec: service_request_id overrides all other arguments.
	if len(ids) == 0 {
		for _, code := range commaList(v, "service_code") {
			if _, ok := s.App.Category(code); !ok {
				probs = append(probs, "unknown service_code "+strconv.Quote(short(code))+" / service_code 不存在")
				continue
			}
			q.Categories = append(q.Categories, code)
		}
		for _, st := range commaList(v, "status") {
			switch strings.ToLower(st) {
			case "open":
				for _, row := range Statuses {
					if row.Open311 == "open" {
						q.States = append(q.States, row.State)
					}
				}
			case "closed":
				q.States = append(q.States, casework.Closed, casework.Rejected)
			default:
				probs = append(probs, "status must be open or closed (comma separated), not "+strconv.Quote(short(st))+" / status 须为 open 或 closed")
			}
		}
		times := map[string]*time.Time{"start_date": &q.Start, "end_date": &q.End, "updated_after": &q.UpdatedAfter, "updated_before": &q.UpdatedBefore}
		for _, name := range []string{"start_date", "end_date", "updated_after", "updated_before"} {
			x, err := one(v, name)
			if err != nil {
				bad(err)
				continue
			}
			if x == "" {
				continue
			}
			t, err := parseTime(name, x, loc)
			if err != nil {
				bad(err)
				continue
			}
			*times[name] = t
		}
		switch {
		case !q.Start.IsZero() && !q.End.IsZero():
			if q.End.Before(q.Start) {
				probs = append(probs, "end_date is before start_date / end_date 早于 start_date")
			} else if q.End.Sub(q.Start) > maxWindow {
				probs = append(probs, "start_date and end_date may not span more than 90 days / start_date 与 end_date 的跨度不能超过90天")
			}
		case !q.Start.IsZero():
			q.End = q.Start.Add(maxWindow)
		case !q.End.IsZero():
			q.Start = q.End.Add(-maxWindow)
		case q.UpdatedAfter.IsZero() && q.UpdatedBefore.IsZero():
			// The spec's default: the last 90 days.
			q.End = s.Now()
			q.Start = q.End.Add(-maxWindow)
		}
		if !q.UpdatedAfter.IsZero() && !q.UpdatedBefore.IsZero() && q.UpdatedBefore.Before(q.UpdatedAfter) {
			probs = append(probs, "updated_before is before updated_after / updated_before 早于 updated_after")
		}
		page, size, err := paging(v, 1000)
		if err != nil {
			bad(err)
		}
		q.Limit, q.Offset = size, (page-1)*size
	}
	ext, err := boolParam(v, "extensions")
	if err != nil {
		bad(err)
	}
	if len(probs) > 0 {
		return invalid(probs)
	}
	cs, err := listCases(ctx, s.App.DB, q)
	if err != nil {
		return err
	}
	items, err := s.render(ctx, cs, localeOf(v), ext)
	if err != nil {
		return err
	}
	write(w, f, http.StatusOK, "service_requests", list{Item: "request", Items: items})
	return nil
}

// getRequest answers GET requests/{id}.{fmt}.
func (s *Server) getRequest(w http.ResponseWriter, r *http.Request, f format) error {
	ctx := r.Context()
	v, err := s.form(w, r)
	if err != nil {
		return err
	}
	scope, err := s.reader(r, v)
	if err != nil {
		return err
	}
	ext, err := boolParam(v, "extensions")
	if err != nil {
		return err
	}
	raw := strings.TrimPrefix(pathName(r), "requests/")
	id, ok := casework.IDFromCode(raw)
	if !ok {
		return notFound(short(raw))
	}
	c, err := getCase(ctx, s.App.DB, id)
	if err != nil {
		return err
	}
	if !inScope(c, scope) {
		return notFound(short(raw))
	}
	items, err := s.render(ctx, []publicCase{c}, localeOf(v), ext)
	if err != nil {
		return err
	}
	write(w, f, http.StatusOK, "service_requests", list{Item: "request", Items: items})
	return nil
}

// getToken answers GET tokens/{token}.{fmt}: the service_request_id a
// token stands for. Requests are created synchronously, so the id is there
// from the first poll.
func (s *Server) getToken(w http.ResponseWriter, r *http.Request, f format) error {
	v, err := s.form(w, r)
	if err != nil {
		return err
	}
	if err := s.checkJurisdiction(v); err != nil {
		return err
	}
	if _, err := s.key(r, v, false); err != nil {
		return err
	}
	token := strings.TrimPrefix(pathName(r), "tokens/")
	if !tokenRE.MatchString(token) {
		return xiuhua.Errorf(xiuhua.ENotFound, "no service request for token %s", "令牌 %s 没有对应的服务请求", short(token))
	}
	id, err := caseByToken(r.Context(), s.App.DB, token)
	if err != nil {
		return err
	}
	c, err := getCase(r.Context(), s.App.DB, id)
	if err != nil {
		return err
	}
	write(w, f, http.StatusOK, "service_requests", list{Item: "request", Items: []any{object{
		{"service_request_id", c.Code()}, {"token", token}}}})
	return nil
}

// commaList reads a parameter that may be given several times and comma separated.
func commaList(v url.Values, name string) []string {
	var out []string
	for _, x := range v[name] {
		for _, p := range strings.Split(x, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// paging reads page (from 1) and page_size (1…max, default max).
func paging(v url.Values, max int) (page, size int, err error) {
	page, size = 1, max
	if x, e := one(v, "page"); e != nil {
		return 1, max, e
	} else if x != "" {
		n, e := strconv.Atoi(x)
		if e != nil || n < 1 {
			return 1, max, xiuhua.Errorf(xiuhua.EInvalid, "page must be a whole number from 1", "page 须为从1开始的整数")
		}
		page = n
	}
	if x, e := one(v, "page_size"); e != nil {
		return 1, max, e
	} else if x != "" {
		n, e := strconv.Atoi(x)
		if e != nil || n < 1 || n > max {
			return 1, max, xiuhua.Errorf(xiuhua.EInvalid, "page_size must be a whole number from 1 to %d", "page_size 须为1到%d之间的整数", max)
		}
		size = n
	}
	// Deep pages cost the store a scan of everything before them: past
	// maxDepth results, a client narrows the window instead.
	if (page-1)*size >= maxDepth {
		return 1, max, xiuhua.Errorf(xiuhua.EInvalid, "page × page_size may not pass %d results: narrow the date window instead",
			"page × page_size 不能超过 %d 条，请缩小时间范围", maxDepth)
	}
	return page, size, nil
}

// maxDepth is how far paging may reach into one query's results.
const maxDepth = 100_000

func boolParam(v url.Values, name string) (bool, error) {
	x, err := one(v, name)
	if err != nil || x == "" {
		return false, err
	}
	b, err := strconv.ParseBool(x)
	if err != nil {
		return false, xiuhua.Errorf(xiuhua.EInvalid, "%s must be true or false", "%s 须为 true 或 false", name)
	}
	return b, nil
}
