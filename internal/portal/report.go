package portal

import (
	"bytes"
	"errors"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/reqtext"
	"github.com/xiuhua/xiuhua/internal/store"
)

var phoneRE = regexp.MustCompile(`^[0-9+()\- ]{5,20}$`)

// choice is one category in the picker.
type choice struct{ Code, Name string }

// formData is what the report page shows: the categories, the map's
// settings and what was entered (after a refused post).
func (s *Server) formData(q *request, v url.Values, problems []string) map[string]any {
	var cats []choice
	for _, c := range s.App.Categories() {
		if !c.Enabled {
			continue
		}
		name := c.NameZh
		if q.lang == "en" && c.NameEn != "" {
			name = c.NameEn
		}
		cats = append(cats, choice{c.Code, name})
	}
	sort.Slice(cats, func(i, j int) bool { return cats[i].Code < cats[j].Code })
	if v == nil {
		v = url.Values{}
	}
	return map[string]any{
		"Categories": cats, "Form": v, "Problems": problems,
		"CenterLon": strconv.FormatFloat(s.Config.Center[0], 'f', 6, 64),
		"CenterLat": strconv.FormatFloat(s.Config.Center[1], 'f', 6, 64),
		"Zoom":      s.Config.Zoom, "TileURL": s.Config.TileURL, "TileAttribution": s.Config.TileAttribution,
		"MaxPhotos": s.Config.MaxPhotos, "MaxPhotoMB": float64(s.Config.MaxPhotoBytes) / (1 << 20),
		"MaxDescription": s.Config.MaxDescription,
	}
}

func (s *Server) reportForm(w http.ResponseWriter, r *http.Request, q *request) error {
	s.render(w, q, http.StatusOK, "report", s.formData(q, nil, nil))
	return nil
}

// problem is a refusal of the form, English and Chinese, shown in the page.
func problem(en, zh string) string { return en + " / " + zh }

// report takes a citizen's report: checks, cleans the photos, reports the
// case as the portal and answers with the tracking page.
func (s *Server) report(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	limit := int64(s.Config.MaxPhotos)*s.Config.MaxPhotoBytes + 64<<10
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	err := r.ParseMultipartForm(1 << 20)
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return xiuhua.Errorf(xiuhua.ETooLarge, "The report is too large: at most %d photos of %.0f MB each.",
			"提交内容过大：最多 %d 张照片，每张不超过 %.0f MB。", s.Config.MaxPhotos, float64(s.Config.MaxPhotoBytes)/(1<<20))
	case errors.Is(err, http.ErrNotMultipart):
		// A form without photos may come url-encoded: ParseForm has read it.
	case err != nil:
		return xiuhua.Errorf(xiuhua.EInvalid, "The form could not be read: please send it again.", "无法读取表单，请重新提交。")
	}
	v := r.PostForm
	if !checkCSRF(q, v.Get("csrf")) {
		return xiuhua.Errorf(xiuhua.EForbidden, "The form has expired: please reload the page and send it again.", "表单已失效，请刷新页面后重新提交。")
	}
	if err := reqtext.Check(r); err != nil {
		return err
	}
	// The honeypot: a field people do not see (hidden by the style sheet,
	// skipped by screen readers and the keyboard) that form-filling robots fill.
	if v.Get("website") != "" {
		return xiuhua.Errorf(xiuhua.EInvalid, "The report was refused as automated. If you are a person, please reload the page and send it again.",
			"提交被识别为自动程序而被拒绝。如您是人工填写，请刷新页面后重新提交。")
	}
	var probs []string
	add := func(en, zh string) { probs = append(probs, problem(en, zh)) }
	field := func(name string, maxRunes int, en, zh string) string {
		x := strings.TrimSpace(v.Get(name))
		if utf8.RuneCountInString(x) > maxRunes {
			add(en+" is longer than "+strconv.Itoa(maxRunes)+" characters", zh+"超过 "+strconv.Itoa(maxRunes)+" 字")
			return ""
		}
		return x
	}
	code := field("category", 64, "Category", "问题类别")
	desc := field("description", s.Config.MaxDescription, "The description", "问题描述")
	addr := field("address", 200, "The address", "地址")
	name := field("name", 50, "The name", "姓名")
	phone := field("phone", 20, "The phone number", "电话")
	var cat catalog.Category
	if code == "" {
		add("Please choose a category.", "请选择问题类别。")
	} else if c, ok := s.App.Category(code); !ok || !c.Enabled {
		add("Unknown category: please choose one from the list.", "问题类别不存在，请从列表中选择。")
	} else {
		cat = c
	}
	if strings.TrimSpace(v.Get("description")) == "" {
		add("Please describe the problem.", "请填写问题描述。")
	}
	latS, lonS := strings.TrimSpace(v.Get("lat")), strings.TrimSpace(v.Get("lon"))
	var lat, lon float64
	if latS == "" || lonS == "" {
		add("Please pin the place on the map or use your location.", "请在地图上标出位置，或使用当前位置。")
	} else {
		var e1, e2 error
		lat, e1 = strconv.ParseFloat(latS, 64)
		lon, e2 = strconv.ParseFloat(lonS, 64)
		if e1 != nil || e2 != nil || math.IsNaN(lat) || math.IsNaN(lon) || math.Abs(lat) > 90 || math.Abs(lon) > 180 {
			add("The location is not a valid position.", "位置坐标无效。")
		}
	}
	if phone != "" && !phoneRE.MatchString(phone) {
		add("The phone number may hold digits, spaces and + ( ) - only.", "电话号码只能包含数字、空格及 + ( ) -。")
	}
	var files int
	if r.MultipartForm != nil {
		for field, fs := range r.MultipartForm.File {
			if field != "photos" {
				add("Unexpected file field.", "表单中有多余的文件字段。")
				continue
			}
			for _, fh := range fs {
				if fh.Size > 0 || fh.Filename != "" {
					files++
				}
			}
		}
	}
	if files > s.Config.MaxPhotos {
		add("At most "+strconv.Itoa(s.Config.MaxPhotos)+" photos.", "最多 "+strconv.Itoa(s.Config.MaxPhotos)+" 张照片。")
	}
	if len(probs) > 0 {
		return s.refuse(w, q, v, xiuhua.EInvalid, probs)
	}

	var photos []string
	if files > 0 {
		for _, fh := range r.MultipartForm.File["photos"] {
			if fh.Size == 0 && fh.Filename == "" {
				continue
			}
			if fh.Size > s.Config.MaxPhotoBytes {
				return s.refuse(w, q, v, xiuhua.ETooLarge, []string{problem(
					"Photo "+strconv.Quote(short(fh.Filename))+" is larger than "+mb(s.Config.MaxPhotoBytes)+" MB.",
					"照片 "+strconv.Quote(short(fh.Filename))+" 超过 "+mb(s.Config.MaxPhotoBytes)+" MB。")})
			}
			f, err := fh.Open()
			if err != nil {
				return xiuhua.Errorf(xiuhua.EInvalid, "A photo could not be read: please send it again.", "无法读取照片，请重新提交。")
			}
			data, err := io.ReadAll(io.LimitReader(f, s.Config.MaxPhotoBytes+1))
			f.Close()
			if err != nil {
				return xiuhua.Errorf(xiuhua.EInvalid, "A photo could not be read: please send it again.", "无法读取照片，请重新提交。")
			}
			clean, _, err := Clean(data, s.Config.MaxPixels)
			if err != nil {
				e := xiuhua.AsError(err)
				return s.refuse(w, q, v, e.Code, []string{problem(short(fh.Filename)+": "+e.Message, short(fh.Filename)+"："+e.MessageZh)})
			}
			id, ct, size, err := s.App.Blobs.Put(bytes.NewReader(clean))
			if err != nil {
				return err
			}
			if err := s.App.DB.PutBlob(ctx, store.Blob{ID: id, ContentType: ct, Size: size, CreatedAt: s.Now(), Anonymous: true}); err != nil {
				return err
			}
			photos = append(photos, id)
		}
	}
	c, err := s.App.Cases.Report(ctx, actor, casework.ReportInput{Category: cat.Code, Description: desc, Lat: &lat, Lon: &lon,
		Source: casework.SourceCitizen, Urgency: catalog.Normal, Address: addr, Attachments: photos})
	if err != nil {
		e := xiuhua.AsError(err)
		if e.Code == xiuhua.EUnprocessable || e.Code == xiuhua.EInvalid || e.Code == xiuhua.EForbidden {
			msg := problem(e.Message, e.MessageZh)
			if e.Code != xiuhua.EInvalid {
				// Outside every grid (or a category just disabled): say it plainly.
				if _, ok := s.App.Locate(lon, lat); !ok {
					msg = problem("The place you pinned is outside the area this service covers: please pin it again.",
						"您标出的位置不在本平台的服务范围内，请重新选择位置。")
				}
			}
			return s.refuse(w, q, v, xiuhua.EUnprocessable, []string{msg})
		}
		return err
	}
	var tc string
	for try := 0; ; try++ {
		tc = newCode()
		err = insertReport(ctx, s.App.DB, report{CaseID: c.ID, Code: tc, Name: name, Phone: phone, CreatedAt: c.CreatedAt})
		if err == nil || try == 3 {
			break
		}
	}
	if err != nil {
		// The case is in the ledger; the citizen cannot follow it. Say so
		// where someone can act, with the case number.
		s.Log.Error("portal: case stored but not its tracking code", "case", c.Code(), "err", err)
		return xiuhua.Errorf(xiuhua.EInternal, "Your report was received as case %s, but no tracking code could be issued.",
			"您的反映已受理（案件编号 %s），但未能生成查询码。", c.Code())
	}
	if _, err := s.App.RecordDuplicates(ctx, c); err != nil {
		s.Log.Warn("portal: duplicate search failed", "case", c.ID, "err", err)
	}
	http.Redirect(w, r, Prefix+"t/"+tc+"?new=1", http.StatusSeeOther)
	return nil
}

// refuse shows the form again with what was entered and why it was refused.
func (s *Server) refuse(w http.ResponseWriter, q *request, v url.Values, code xiuhua.Code, probs []string) error {
	out := make([]string, len(probs))
	for i, p := range probs {
		out[i] = pickHalf(p, q.lang)
	}
	s.render(w, q, statusOf(code), "report", s.formData(q, v, out))
	return nil
}

func mb(n int64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', -1, 64) }

// short cuts what a citizen sent before it is echoed.
func short(s string) string {
	if utf8.RuneCountInString(s) > 40 {
		return string([]rune(s)[:40]) + "…"
	}
	return s
}
