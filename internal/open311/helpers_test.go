package open311_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/open311"
	"github.com/xiuhua/xiuhua/internal/store"
)

// env is a running Open311 door on the fixture installation, with keys:
// "city" (whole installation), "qmq" (清名桥街道 320213022 only) and
// "revoked" (revoked).
type env struct {
	t    *testing.T
	f    *apptest.Fixture
	o    *open311.Server
	srv  *httptest.Server
	keys map[string]string
	// log collects what the door logged, to check that no secret is in it.
	log *bytes.Buffer
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	f := apptest.New(t, db)
	var logs bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), nil))
	o := open311.New(f.App, log)
	o.Config = open311.DefaultConfig()
	o.Config.PerIP.Rate, o.Config.PerKey.Rate = 0, 0 // rate limits have their own test
	srv := httptest.NewServer(o)
	t.Cleanup(srv.Close)
	e := &env{t: t, f: f, o: o, srv: srv, keys: map[string]string{}, log: &logs}
	ctx := context.Background()
	for name, scope := range map[string]string{"city": "", "qmq": "320213022", "revoked": ""} {
		_, secret, err := open311.AddKey(ctx, f.App, name, scope)
		if err != nil {
			t.Fatal(err)
		}
		e.keys[name] = secret
	}
	if err := open311.RevokeKey(ctx, f.App.DB, "revoked"); err != nil {
		t.Fatal(err)
	}
	return e
}

type writerFunc func([]byte) (int, error)

func (w writerFunc) Write(p []byte) (int, error) { return w(p) }

// resp is an answer.
type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r resp) String() string { return string(r.Body) }

func (e *env) do(req *http.Request) resp {
	e.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, b}
}

// get sends GET /open311/v2/path?query.
func (e *env) get(path string, q url.Values) resp {
	e.t.Helper()
	u := e.srv.URL + open311.Prefix + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, _ := http.NewRequest("GET", u, nil)
	return e.do(req)
}

// post sends a url-encoded form.
func (e *env) post(path string, form url.Values) resp {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+open311.Prefix+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(req)
}

// postMultipart sends a multipart form with files under "media".
func (e *env) postMultipart(path string, form url.Values, files map[string][]byte) resp {
	e.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, vs := range form {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for name, data := range files {
		fw, _ := mw.CreateFormFile("media", name)
		fw.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", e.srv.URL+open311.Prefix+path, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return e.do(req)
}

// report posts a valid request through the "city" key and returns its id.
func (e *env) report(code string, pt [2]float64, extra url.Values) string {
	e.t.Helper()
	form := url.Values{"api_key": {e.keys["city"]}, "service_code": {code}, "lat": {ftoa(pt[1])}, "long": {ftoa(pt[0])},
		"description": {"路边有一堆垃圾"}, "email": {"wang@example.com"}, "phone": {"13800000000"}, "first_name": {"小明"}, "last_name": {"王"}}
	for k, v := range extra {
		form[k] = v
	}
	r := e.post("requests.json", form)
	if r.Status != 200 {
		e.t.Fatalf("report: %d %s", r.Status, r)
	}
	var out []map[string]any
	if err := json.Unmarshal(r.Body, &out); err != nil || len(out) != 1 {
		e.t.Fatalf("report answer %s: %v", r, err)
	}
	return out[0]["service_request_id"].(string)
}

// act takes a loop step on a case as a fixture user.
func (e *env) act(who string, code string, a casework.Action, in casework.Input) casework.Case {
	e.t.Helper()
	id, _ := casework.IDFromCode(code)
	c, _, err := e.f.App.Cases.Get(context.Background(), e.f.Actors["admin"], id)
	if err != nil {
		e.t.Fatal(err)
	}
	in.Version = c.Version
	c, err = e.f.App.Cases.Act(context.Background(), e.f.Actors[who], id, a, in)
	if err != nil {
		e.t.Fatalf("%s by %s: %v", a, who, err)
	}
	return c
}

func ftoa(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// schemaDir is the official GeoReport v2 schemas, beside the repository.
func schemaDir(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(wd, "..", "..", "..", "shared", "open311", "georeport-v2")
	if _, err := os.Stat(filepath.Join(dir, "request.json")); err != nil {
		t.Fatalf("the official Open311 schemas are not at %s: %v", dir, err)
	}
	return dir
}

var (
	schemaMu    sync.Mutex
	schemaCache = map[string]*jsonschema.Schema{}
)

// schema compiles one of the official schema files, or a definition of the
// Swagger document ("swagger.json#/definitions/RequestResponse"), asserting
// formats (date-time, uri).
func schema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	schemaMu.Lock()
	defer schemaMu.Unlock()
	if s, ok := schemaCache[name]; ok {
		return s
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	// Swagger's own formats (uid, uint, double) are descriptive: accept them.
	for _, f := range []string{"uid", "uint", "double"} {
		c.RegisterFormat(&jsonschema.Format{Name: f, Validate: func(any) error { return nil }})
	}
	loc := filepath.ToSlash(filepath.Join(schemaDir(t), name))
	s, err := c.Compile("file://" + loc)
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	schemaCache[name] = s
	return s
}

// validate checks a JSON answer against a schema.
func validate(t *testing.T, name string, body []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", name, err, body)
	}
	if err := schema(t, name).Validate(v); err != nil {
		t.Fatalf("answer does not validate against %s: %v\n%s", name, err, body)
	}
}

// arrayOf wraps a definition of the Swagger document as an array schema
// by validating each item.
func validateItems(t *testing.T, name string, body []byte) {
	t.Helper()
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, body)
	}
	if len(items) == 0 {
		t.Fatalf("empty array: %s", body)
	}
	for _, it := range items {
		validate(t, name, it)
	}
}

// xmlOf parses an XML answer into v, failing on anything but well-formed XML
// with the declared encoding.
func xmlOf(t *testing.T, r resp, v any) {
	t.Helper()
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/xml") {
		t.Fatalf("XML answer with Content-Type %q", r.Header.Get("Content-Type"))
	}
	if !bytes.HasPrefix(r.Body, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
		t.Fatalf("XML answer without the UTF-8 declaration: %.80s", r.Body)
	}
	if err := xml.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("XML answer does not parse: %v\n%s", err, r.Body)
	}
}

// xmlErrors is the spec's error document.
type xmlErrors struct {
	XMLName xml.Name `xml:"errors"`
	Errors  []struct {
		Code        int    `xml:"code"`
		Description string `xml:"description"`
	} `xml:"error"`
}

// jsonErrors parses the JSON error document.
func jsonErrors(t *testing.T, r resp) []struct {
	Code        int    `json:"code"`
	Description string `json:"description"`
} {
	t.Helper()
	var out []struct {
		Code        int    `json:"code"`
		Description string `json:"description"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil || len(out) == 0 {
		t.Fatalf("not a JSON error array: %v\n%s", err, r)
	}
	return out
}

func newServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
