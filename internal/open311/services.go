package open311

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/catalog"
)

// Specification is the URL discovery names for this API.
const Specification = "http://wiki.open311.org/GeoReport_v2"

// changeset dates the shape of this endpoint (the discovery document's changeset).
var changeset = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

// key resolves the api_key of a request. A key that is given must be live
// (403 otherwise, even where none is needed); required says whether one
// must be given. A valid key is also rate-limited on its own.
func (s *Server) key(r *http.Request, v url.Values, required bool) (*Key, error) {
	secret, err := one(v, "api_key")
	if err != nil {
		return nil, err
	}
	if secret == "" {
		if required {
			return nil, xiuhua.Errorf(xiuhua.EForbidden, "api_key is required: ask the city for a key for your system", "缺少 api_key：请向城市管理部门申请接入密钥")
		}
		return nil, nil
	}
	if len(secret) > 200 {
		return nil, badKey()
	}
	k, err := keyBySecret(r.Context(), s.App.DB, secret)
	if err != nil {
		return nil, err
	}
	if ok, wait := s.keyLimit.allow(fmt.Sprint("key:", k.ID)); !ok {
		return nil, tooManyErr{wait}
	}
	return &k, nil
}

func (s *Server) discovery(w http.ResponseWriter, r *http.Request, f format) error {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); s.Config.TrustProxy && (p == "https" || p == "http") {
		scheme = p
	}
	doc := object{
		{"changeset", w3c(changeset, time.UTC)},
		{"contact", nullable(s.Config.Contact)},
		{"key_service", nullable(s.Config.KeyService)},
		{"endpoints", list{Item: "endpoint", Items: []any{object{
			{"specification", Specification},
			{"url", scheme + "://" + r.Host + strings.TrimSuffix(Prefix, "/")},
			{"changeset", w3c(changeset, time.UTC)},
			{"type", "production"},
			{"formats", list{Item: "format", Items: []any{"text/xml", "application/json"}}},
		}}}},
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	write(w, f, http.StatusOK, "discovery", doc)
	return nil
}

// serviceOf is a category as an Open311 service.
func serviceOf(c catalog.Category, l locale) object {
	major := catalog.MajorClasses[c.Major()]
	kind := [2]string{"component", "部件"}
	if c.Kind == catalog.Event {
		kind = [2]string{"event", "事件"}
	}
	name := l.pick([2]string{c.NameEn, c.NameZh})
	keywords := strings.Join([]string{c.NameZh, c.NameEn, kind[1], kind[0], major[0], major[1]}, ",")
	return object{
		{"service_code", c.Code},
		{"service_name", name},
		{"description", l.pick(describe(c))},
		{"metadata", len(definitionOf(c)) > 0},
		{"type", "realtime"},
		{"keywords", keywords},
		{"group", l.pick([2]string{major[1], major[0]})},
	}
}

// describe says what a category covers and how fast it is handled.
func describe(c catalog.Category) [2]string {
	unit := [2]string{"working hours", "个工作时"}
	if c.Clock {
		unit = [2]string{"clock hours", "小时（昼夜连续计算）"}
	}
	kind := [2]string{"A public facility", "部件"}
	if c.Kind == catalog.Event {
		kind = [2]string{"A problem on the street", "事件"}
	}
	major := catalog.MajorClasses[c.Major()]
	return [2]string{
		fmt.Sprintf("%s (%s): %s. Once dispatched, handled within %d %s (urgent: %d).", kind[0], major[1], c.NameEn, c.NormalHours, unit[0], c.UrgentHours),
		fmt.Sprintf("%s · %s：%s。派遣后 %d %s内处置（紧急 %d）。", kind[1], major[0], c.NameZh, c.NormalHours, unit[1], c.UrgentHours),
	}
}

// serviceNotice is what a client may tell the citizen after reporting.
func serviceNotice(c catalog.Category, urgent bool, l locale) string {
	h := c.NormalHours
	if urgent {
		h = c.UrgentHours
	}
	unit := [2]string{"working hours", "个工作时"}
	if c.Clock {
		unit = [2]string{"hours", "小时"}
	}
	return l.pick([2]string{
		fmt.Sprintf("Received. Once registered and dispatched, it is to be handled within %d %s.", h, unit[0]),
		fmt.Sprintf("已受理。立案派遣后须在 %d %s内处置。", h, unit[1]),
	})
}

func (s *Server) services(w http.ResponseWriter, r *http.Request, f format) error {
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
	l := localeOf(v)
	items := []any{}
	for _, c := range s.App.Categories() {
		if c.Enabled {
			items = append(items, serviceOf(c, l))
		}
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	write(w, f, http.StatusOK, "services", list{Item: "service", Items: items})
	return nil
}

func (s *Server) serviceDefinition(w http.ResponseWriter, r *http.Request, f format) error {
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
	code := strings.TrimPrefix(pathName(r), "services/")
	c, ok := s.App.Category(code)
	if !ok || !c.Enabled {
		return xiuhua.Errorf(xiuhua.ENotFound, "no service %q (see services.xml)", "服务 %q 不存在（见 services.xml）", short(code))
	}
	l := localeOf(v)
	attrs := []any{}
	for _, a := range definitionOf(c) {
		attrs = append(attrs, a.object(l))
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	write(w, f, http.StatusOK, "service_definition", object{{"service_code", c.Code}, {"attributes", list{Item: "attribute", Items: attrs}}})
	return nil
}
