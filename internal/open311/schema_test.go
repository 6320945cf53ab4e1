package open311_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// loop brings four requests to different points of the loop: one waiting,
// one dispatched (deadline, responsible unit), one closed, one rejected.
func (e *env) loop() (waiting, dispatched, closed, rejected string) {
	e.t.Helper()
	waiting = e.report("E0102", apptest.PointJiale1, nil)
	dispatched = e.report("C0110", apptest.PointNanyuan, url.Values{"attribute[asset_id]": {"LD-0042"}, "media_url": {"https://fms.example.org/photo/1.jpeg"}})
	closed = e.report("E0104", apptest.PointJinxing, nil)
	rejected = e.report("E0601", apptest.PointJiale2, nil)
	e.act("dispatcher", dispatched, casework.Register, casework.Input{})
	e.act("dispatcher", dispatched, casework.Dispatch, casework.Input{Unit: "320213022003.community"})
	e.act("dispatcher", closed, casework.Register, casework.Input{})
	e.act("dispatcher", closed, casework.Dispatch, casework.Input{Unit: "320213.sanitation"})
	e.act("san", closed, casework.Handle, casework.Input{Attachments: []string{e.f.Photo(e.t, "after")}})
	yes := true
	e.act("inspector", closed, casework.Verify, casework.Input{Passed: &yes, Attachments: []string{e.f.Photo(e.t, "check")}})
	e.act("dispatcher", closed, casework.Close, casework.Input{})
	e.act("dispatcher", rejected, casework.Reject, casework.Input{Reason: "内部原因：不属于城管范围"})
	return
}

// TestJSONValidatesAgainstOfficialSchemas checks every JSON answer against
// the official GeoReport v2 JSON Schemas, and against the Swagger
// definitions for the answers the schema files do not cover (POST requests,
// tokens). The schema files allow null for absent values, which Swagger 2.0
// cannot say; so nulls are only exercised against the schema files.
func TestJSONValidatesAgainstOfficialSchemas(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		waiting, dispatched, closed, rejected := e.loop()

		r := e.get("services.json", nil)
		validate(t, "services.json", r.Body)
		validateItems(t, "service.json", r.Body)
		var services []map[string]any
		json.Unmarshal(r.Body, &services)
		if len(services) != 57 {
			t.Errorf("%d services, want the 57 enabled categories", len(services))
		}
		for _, code := range []string{"C0101", "E0102", "E0403"} {
			validate(t, "service-definition.json", e.get("services/"+code+".json", nil).Body)
		}

		form := url.Values{"api_key": {e.keys["city"]}, "service_code": {"E0102"}, "lat": {"31.52"}, "long": {"120.22"}, "account_id": {"fms-77"}}
		r = e.post("requests.json", form)
		validateItems(t, "swagger.json#/definitions/RequestResponse", r.Body)
		var created []map[string]any
		json.Unmarshal(r.Body, &created)
		if created[0]["account_id"] != "fms-77" || created[0]["token"] == nil || created[0]["service_notice"] == "" {
			t.Errorf("POST answer: %s", r)
		}
		r = e.get("tokens/"+created[0]["token"].(string)+".json", nil)
		validateItems(t, "swagger.json#/definitions/TokenResponse", r.Body)

		for _, q := range []url.Values{nil, {"extensions": {"true"}}, {"status": {"closed"}, "locale": {"en"}}} {
			r = e.get("requests.json", q)
			validate(t, "requests.json", r.Body)
			validateItems(t, "request.json", r.Body)
		}
		for _, id := range []string{waiting, dispatched, closed, rejected} {
			r = e.get("requests/"+id+".json", url.Values{"extensions": {"true"}})
			validate(t, "requests.json", r.Body)
			validate(t, "request.json", firstItem(t, r.Body))
		}
		// And the fields carry what the loop did.
		var got []map[string]any
		json.Unmarshal(e.get("requests/"+dispatched+".json", nil).Body, &got)
		d := got[0]
		if d["status"] != "open" || d["agency_responsible"] != "南苑社区居委会" || d["expected_datetime"] == nil ||
			d["media_url"] != "https://fms.example.org/photo/1.jpeg" || d["service_code"] != "C0110" || d["lat"] != 31.55 || d["long"] != 120.27 {
			t.Errorf("dispatched request: %v", d)
		}
		if !strings.Contains(d["description"].(string), "[部件标识码: LD-0042]") {
			t.Errorf("the asset number did not reach the case: %q", d["description"])
		}
		json.Unmarshal(e.get("requests/"+closed+".json", nil).Body, &got)
		if got[0]["status"] != "closed" || got[0]["expected_datetime"] != nil || got[0]["agency_responsible"] != "梁溪区环卫处" {
			t.Errorf("closed request: %v", got[0])
		}
		json.Unmarshal(e.get("requests/"+rejected+".json", nil).Body, &got)
		if got[0]["status"] != "closed" || strings.Contains(string(e.get("requests/"+rejected+".json", url.Values{"extensions": {"true"}}).Body), "内部原因") {
			t.Errorf("rejected request: %v (the reason is internal)", got[0])
		}
	})
}

func firstItem(t *testing.T, body []byte) []byte {
	t.Helper()
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil || len(items) == 0 {
		t.Fatalf("not a non-empty array: %s", body)
	}
	return items[0]
}

// xnode is a parsed XML element.
type xnode struct {
	name string
	text string
	kids []*xnode
}

func parseXML(t *testing.T, b []byte) *xnode {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	var stack []*xnode
	var root *xnode
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("XML: %v\n%s", err, b)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			n := &xnode{name: x.Name.Local}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(x)
			}
		}
	}
	return root
}

// itemNames are the spec's element names for the items of each list.
var itemNames = map[string]string{
	"services": "service", "service_requests": "request", "attributes": "attribute", "values": "value", "errors": "error",
	"service_request_updates": "request_update", "endpoints": "endpoint", "formats": "format", "notes": "note", "followers": "service_request_id",
}

// sameTree checks that an XML element carries exactly the JSON value: the
// same fields under the same names, list items under the spec's item name,
// null as an empty element.
func sameTree(t *testing.T, path string, j any, x *xnode) {
	t.Helper()
	switch v := j.(type) {
	case map[string]any:
		if len(x.kids) != len(v) {
			names := []string{}
			for _, k := range x.kids {
				names = append(names, k.name)
			}
			t.Errorf("%s: XML has %d fields %v, JSON %d", path, len(x.kids), names, len(v))
		}
		for k, val := range v {
			var found *xnode
			for _, kid := range x.kids {
				if kid.name == k {
					if found != nil {
						t.Errorf("%s/%s twice in XML", path, k)
					}
					found = kid
				}
			}
			if found == nil {
				t.Errorf("%s/%s missing in XML", path, k)
				continue
			}
			sameTree(t, path+"/"+k, val, found)
		}
	case []any:
		if len(x.kids) != len(v) {
			t.Errorf("%s: %d XML items, %d JSON", path, len(x.kids), len(v))
			return
		}
		for i, kid := range x.kids {
			if want := itemNames[x.name]; want != "" && kid.name != want {
				t.Errorf("%s: item element <%s>, the spec names it <%s>", path, kid.name, want)
			}
			sameTree(t, path+"/"+kid.name+"["+strconv.Itoa(i)+"]", v[i], kid)
		}
	case nil:
		if x.text != "" || len(x.kids) > 0 {
			t.Errorf("%s: JSON null, XML %q", path, x.text)
		}
	case string:
		if x.text != v {
			t.Errorf("%s: JSON %q, XML %q", path, v, x.text)
		}
	case float64:
		f, err := strconv.ParseFloat(x.text, 64)
		if err != nil || f != v {
			t.Errorf("%s: JSON %v, XML %q", path, v, x.text)
		}
	case bool:
		if x.text != strconv.FormatBool(v) {
			t.Errorf("%s: JSON %v, XML %q", path, v, x.text)
		}
	default:
		t.Errorf("%s: unexpected JSON %T", path, j)
	}
}

// TestXMLCarriesTheJSONFields asks every resource in both formats and checks
// that the XML, parsed with encoding/xml, carries the same fields under the
// spec's element names (services/service, service_definition,
// service_requests/request, errors/error, discovery).
func TestXMLCarriesTheJSONFields(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		waiting, dispatched, _, _ := e.loop()
		e.act("dispatcher", waiting, casework.Register, casework.Input{})
		cases := []struct {
			path string
			q    url.Values
			root string
		}{
			{"discovery", nil, "discovery"},
			{"services", nil, "services"},
			{"services", url.Values{"locale": {"en"}}, "services"},
			{"services/C0101", nil, "service_definition"},
			{"services/E0403", url.Values{"locale": {"en"}}, "service_definition"},
			{"services/E0102", nil, "service_definition"},
			{"requests", nil, "service_requests"},
			{"requests", url.Values{"extensions": {"true"}}, "service_requests"},
			{"requests/" + dispatched, url.Values{"extensions": {"true"}}, "service_requests"},
			{"servicerequestupdates", nil, "service_request_updates"},
			{"requests/42", nil, "errors"},
			{"requests", url.Values{"status": {"maybe"}, "start_date": {"yesterday"}}, "errors"},
		}
		for _, c := range cases {
			j := e.get(c.path+".json", c.q)
			x := e.get(c.path+".xml", c.q)
			if j.Status != x.Status {
				t.Errorf("%s: JSON %d, XML %d", c.path, j.Status, x.Status)
			}
			var jv any
			if err := json.Unmarshal(j.Body, &jv); err != nil {
				t.Fatalf("%s.json: %v", c.path, err)
			}
			var sink any
			xmlOf(t, x, &sink)
			root := parseXML(t, x.Body)
			if root.name != c.root {
				t.Errorf("%s.xml: root <%s>, want <%s>", c.path, root.name, c.root)
			}
			sameTree(t, c.path, jv, root)
		}
		// The same for a POST and a token.
		form := url.Values{"api_key": {e.keys["city"]}, "service_code": {"E0102"}, "lat": {"31.52"}, "long": {"120.22"}}
		x := e.post("requests.xml", form)
		root := parseXML(t, x.Body)
		if root.name != "service_requests" || len(root.kids) != 1 || root.kids[0].name != "request" {
			t.Fatalf("POST requests.xml: %s", x)
		}
		var tok string
		for _, k := range root.kids[0].kids {
			if k.name == "token" {
				tok = k.text
			}
		}
		j := e.get("tokens/"+tok+".json", nil)
		var jv any
		json.Unmarshal(j.Body, &jv)
		sameTree(t, "tokens", jv, parseXML(t, e.get("tokens/"+tok+".xml", nil).Body))
	})
}
