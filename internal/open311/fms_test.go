package open311_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/open311"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// The XML shapes FixMyStreet's Open311 client (perllib/Open311.pm) reads, with
// XML::Simple's ForceArray on service, attribute, value, request, error and
// request_update: element names exactly as the client looks them up.
type (
	fmsServices struct {
		XMLName  xml.Name `xml:"services"`
		Services []struct {
			ServiceCode string `xml:"service_code"`
			ServiceName string `xml:"service_name"`
			Description string `xml:"description"`
			Metadata    string `xml:"metadata"`
			Type        string `xml:"type"`
			Keywords    string `xml:"keywords"`
			Group       string `xml:"group"`
		} `xml:"service"`
	}
	fmsDefinition struct {
		XMLName     xml.Name `xml:"service_definition"`
		ServiceCode string   `xml:"service_code"`
		Attributes  []struct {
			Variable    string `xml:"variable"`
			Code        string `xml:"code"`
			Datatype    string `xml:"datatype"`
			Required    string `xml:"required"`
			Order       int    `xml:"order"`
			Description string `xml:"description"`
			Values      []struct {
				Key  string `xml:"key"`
				Name string `xml:"name"`
			} `xml:"values>value"`
		} `xml:"attributes>attribute"`
	}
	fmsRequests struct {
		XMLName  xml.Name `xml:"service_requests"`
		Requests []struct {
			ServiceRequestID string `xml:"service_request_id"`
			Token            string `xml:"token"`
			ServiceNotice    string `xml:"service_notice"`
			Status           string `xml:"status"`
		} `xml:"request"`
	}
	fmsUpdates struct {
		XMLName xml.Name `xml:"service_request_updates"`
		Updates []struct {
			UpdateID           string `xml:"update_id"`
			ServiceRequestID   string `xml:"service_request_id"`
			Status             string `xml:"status"`
			UpdatedDatetime    string `xml:"updated_datetime"`
			Description        string `xml:"description"`
			MediaURL           string `xml:"media_url"`
			ExternalStatusCode string `xml:"external_status_code"`
		} `xml:"request_update"`
	}
)

// fmsMapState is Open311::map_state with extended statuses: what FixMyStreet
// makes of a status it fetches.
func fmsMapState(s string) string {
	s = strings.ReplaceAll(strings.ToLower(s), "_", " ")
	m := map[string]string{"fixed": "fixed - council", "not councils responsibility": "not responsible", "no further action": "unable to fix",
		"open": "confirmed", "closed": "closed"}
	if x, ok := m[s]; ok {
		return x
	}
	return s
}

// fmsVisibleStates are FixMyStreet's problem states a fetched update may set.
var fmsVisibleStates = map[string]bool{"confirmed": true, "investigating": true, "in progress": true, "action scheduled": true,
	"fixed - council": true, "unable to fix": true, "not responsible": true, "duplicate": true, "internal referral": true, "closed": true}

// fmsErrors is Open311::_process_error: "code: description" per error.
func fmsErrors(t *testing.T, r resp) string {
	t.Helper()
	var errs xmlErrors
	xmlOf(t, r, &errs)
	var b strings.Builder
	for _, e := range errs.Errors {
		fmt.Fprintf(&b, "%d: %s\n", e.Code, e.Description)
		if e.Code != r.Status {
			t.Errorf("error code %d in a %d answer", e.Code, r.Status)
		}
	}
	if len(errs.Errors) == 0 {
		t.Errorf("an error answer without <error>: %s", r)
	}
	return b.String()
}

// w3cdtf is DateTime::Format::W3CDTF's format (UTC, seconds).
func w3cdtf(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// TestFixMyStreetClientReplay replays the traffic of FixMyStreet's Open311
// client against the door: the service list and definitions
// (PopulateServiceList), sending a report (send_service_request, with the
// token poll of get_service_request_id_from_token), fetching updates
// (GetServiceRequestUpdates, a two-hour window) and posting a citizen's
// updates (PostServiceRequestUpdates, extended statuses), and the errors it reads.
func TestFixMyStreetClientReplay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.o.Config.Jurisdiction = "wuxi.gov.cn"
		key := e.keys["city"]
		jur := url.Values{"jurisdiction_id": {"wuxi.gov.cn"}}

		// PopulateServiceList: services.xml, then services/{code}.xml for each with metadata.
		var services fmsServices
		xmlOf(t, e.get("services.xml", jur), &services)
		if len(services.Services) != 57 {
			t.Fatalf("%d services", len(services.Services))
		}
		defs := 0
		for _, s := range services.Services {
			if s.ServiceCode == "" || s.ServiceName == "" || s.Type != "realtime" || (s.Metadata != "true" && s.Metadata != "false") || s.Group == "" {
				t.Errorf("service %+v", s)
			}
			if s.Metadata != "true" {
				continue
			}
			defs++
			var d fmsDefinition
			xmlOf(t, e.get("services/"+s.ServiceCode+".xml", jur), &d)
			if d.ServiceCode != s.ServiceCode || len(d.Attributes) == 0 {
				t.Errorf("definition of %s: %+v", s.ServiceCode, d)
			}
			for i, a := range d.Attributes {
				if a.Code == "" || a.Order != i+1 || (a.Variable != "true" && a.Variable != "false") || a.Required != "false" {
					t.Errorf("%s attribute %+v", s.ServiceCode, a)
				}
				if a.Datatype == "multivaluelist" && len(a.Values) == 0 {
					t.Errorf("%s: a list without values", s.ServiceCode)
				}
			}
		}
		// 24 components (asset_id) and 8 events timed in clock hours (hazard):
		// E0109, E0303 and E0401–E0406.
		if defs != 24+8 {
			t.Errorf("%d services with metadata, want 32", defs)
		}

		// send_service_request: the fields FixMyStreet posts, in a form body.
		post := url.Values{
			"jurisdiction_id": {"wuxi.gov.cn"}, "api_key": {key},
			"service_code": {"C0101"},
			"description":  {"井盖缺失\n\n南长街口的上水井盖不见了\n\nhttps://fms.example.org/report/981\n"},
			"first_name":   {"Xiaoming"}, "last_name": {"Wang"}, "email": {"wang@example.com"}, "phone": {"+86 138 0000 0000"},
			"lat": {"31.521234"}, "long": {"120.221234"},
			"media_url":             {"https://fms.example.org/photo/981.0.full.jpeg"},
			"attribute[asset_id]":   {"SJ-320213-0042"},
			"attribute[hazard]":     {"injury", "traffic"}, // a multivaluelist: the key repeated
			"attribute[report_url]": {"https://fms.example.org/report/981"},
		}
		r := e.post("requests.xml", post)
		if r.Status != 200 {
			t.Fatalf("POST requests.xml: %d %s", r.Status, r)
		}
		var created fmsRequests
		xmlOf(t, r, &created)
		if len(created.Requests) != 1 || created.Requests[0].ServiceRequestID == "" || created.Requests[0].Token == "" {
			t.Fatalf("created: %s", r)
		}
		id := created.Requests[0].ServiceRequestID
		// get_service_request_id_from_token, polled until the id appears (here: at once).
		var polled string
		for i := 0; i < 3 && polled == ""; i++ {
			var tok fmsRequests
			xmlOf(t, e.get("tokens/"+created.Requests[0].Token+".xml", jur), &tok)
			if len(tok.Requests) == 1 {
				polled = tok.Requests[0].ServiceRequestID
			}
		}
		if polled != id {
			t.Fatalf("token resolves to %q, the request is %q", polled, id)
		}
		// The case: urgent (a hazard), at the point, described with what a dispatcher needs.
		cid, _ := casework.IDFromCode(id)
		c, evs, err := e.f.App.Cases.Get(context.Background(), e.f.Actors["admin"], cid)
		if err != nil {
			t.Fatal(err)
		}
		if c.Source != casework.SourceCitizen || c.Urgency != "urgent" || c.Category != "C0101" || c.ReporterID != 0 || c.Lat != 31.521234 {
			t.Errorf("case %+v", c)
		}
		if !strings.Contains(c.Description, "[部件标识码: SJ-320213-0042]") || !strings.Contains(c.Description, "[险情: 可能造成人员伤害、阻断交通]") {
			t.Errorf("description %q", c.Description)
		}
		if evs[0].ActorName != "open311:city" || evs[0].ActorID != 0 {
			t.Errorf("reported by %q (%d), want the client system and no user", evs[0].ActorName, evs[0].ActorID)
		}

		// The city works on it; FixMyStreet fetches updates for the last two hours.
		e.act("dispatcher", id, casework.Register, casework.Input{})
		e.act("dispatcher", id, casework.Dispatch, casework.Input{Unit: "320213022010.community"})
		e.act("jiale", id, casework.Return, casework.Input{Reason: "不是社区的，是供水公司的井盖"})
		now := time.Now()
		fetch := func() fmsUpdates {
			t.Helper()
			q := url.Values{"jurisdiction_id": {"wuxi.gov.cn"}, "api_key": {key},
				"start_date": {w3cdtf(now.Add(-2 * time.Hour))}, "end_date": {w3cdtf(time.Now().Add(time.Second))}}
			var ups fmsUpdates
			xmlOf(t, e.get("servicerequestupdates.xml", q), &ups)
			return ups
		}
		ups := fetch()
		var statuses []string
		for _, u := range ups.Updates {
			if u.ServiceRequestID != id {
				continue
			}
			statuses = append(statuses, u.Status)
			if u.UpdateID == "" || u.Description == "" || u.ExternalStatusCode == "" {
				t.Errorf("update %+v", u)
			}
			if _, err := time.Parse(time.RFC3339, u.UpdatedDatetime); err != nil {
				t.Errorf("updated_datetime %q: %v", u.UpdatedDatetime, err)
			}
			if !fmsVisibleStates[fmsMapState(u.Status)] {
				t.Errorf("status %s maps to FixMyStreet state %q, which it would ignore", u.Status, fmsMapState(u.Status))
			}
			if strings.Contains(u.Description, "供水公司") {
				t.Errorf("an internal reason reached the public: %q", u.Description)
			}
		}
		if got := strings.Join(statuses, ","); got != "INVESTIGATING,IN_PROGRESS,INTERNAL_REFERRAL" {
			t.Errorf("statuses %s, want INVESTIGATING,IN_PROGRESS,INTERNAL_REFERRAL", got)
		}

		// PostServiceRequestUpdates: a citizen comments (status as FixMyStreet sees the problem).
		update := func(status, updateID string) resp {
			return e.post("servicerequestupdates.xml", url.Values{
				"jurisdiction_id": {"wuxi.gov.cn"}, "api_key": {key},
				"updated_datetime": {w3cdtf(time.Now())}, "service_request_id": {id}, "status": {status},
				"description": {"还是没有修好"}, "first_name": {"Xiaoming"}, "last_name": {"Wang"},
				"email": {"wang@example.com"}, "phone": {"+86 138 0000 0000"}, "update_id": {updateID},
				"media_url": {"https://fms.example.org/photo/c/55.0.full.jpeg"},
			})
		}
		var posted fmsUpdates
		r = update("IN_PROGRESS", "55")
		xmlOf(t, r, &posted)
		if r.Status != 200 || len(posted.Updates) != 1 || posted.Updates[0].UpdateID == "" {
			t.Fatalf("POST servicerequestupdates.xml: %s", r)
		}
		first := posted.Updates[0].UpdateID
		// A retry of the same comment answers the same update.
		xmlOf(t, update("IN_PROGRESS", "55"), &posted)
		if posted.Updates[0].UpdateID != first {
			t.Errorf("a retried update got a new id %s (first %s)", posted.Updates[0].UpdateID, first)
		}

		// The case is closed; the citizen says the cover is still missing: REOPEN.
		e.act("dispatcher", id, casework.Dispatch, casework.Input{Unit: "320213.sanitation"})
		e.act("san", id, casework.Handle, casework.Input{Attachments: []string{e.f.Photo(t, "cover")}})
		yes := true
		e.act("inspector", id, casework.Verify, casework.Input{Passed: &yes, Attachments: []string{e.f.Photo(t, "checked")}})
		e.act("dispatcher", id, casework.Close, casework.Input{})
		xmlOf(t, update("REOPEN", "56"), &posted)
		var reqs fmsRequests
		xmlOf(t, e.get("requests/"+id+".xml", url.Values{"extensions": {"true"}}), &reqs)
		if reqs.Requests[0].Status != "closed" {
			t.Errorf("the closed request reads %s", reqs.Requests[0].Status)
		}
		// A follow-up case was reported, and its steps reach FixMyStreet under the original id.
		open, err := e.f.App.Cases.List(context.Background(), e.f.Actors["admin"], casework.Filter{States: []casework.State{casework.Reported}, Category: "C0101"})
		if err != nil || len(open) != 1 || !strings.Contains(open[0].Description, id) {
			t.Fatalf("follow-up case: %v %+v", err, open)
		}
		follow := open[0].Code()
		e.act("dispatcher", follow, casework.Register, casework.Input{})
		ups = fetch()
		var tail []string
		for _, u := range ups.Updates {
			if u.ServiceRequestID == id {
				tail = append(tail, u.Status+":"+u.ExternalStatusCode)
			}
		}
		want := "INVESTIGATING:registered,IN_PROGRESS:dispatched,INTERNAL_REFERRAL:registered,IN_PROGRESS:dispatched,IN_PROGRESS:handled,FIXED:verified,FIXED:closed,OPEN:reported,INVESTIGATING:registered"
		if got := strings.Join(tail, ","); got != want {
			t.Errorf("updates of %s:\n got %s\nwant %s", id, got, want)
		}

		// The errors FixMyStreet reads: a bad key, a missing service code, an unknown jurisdiction.
		bad := url.Values{"jurisdiction_id": {"wuxi.gov.cn"}, "api_key": {"o311_nope"}, "service_code": {"C0101"}, "lat": {"31.52"}, "long": {"120.22"}}
		r = e.post("requests.xml", bad)
		if r.Status != 403 || !strings.Contains(fmsErrors(t, r), "api_key") {
			t.Errorf("bad key: %d %s", r.Status, r)
		}
		bad.Set("api_key", key)
		bad.Del("service_code")
		r = e.post("requests.xml", bad)
		if r.Status != 400 || !strings.Contains(fmsErrors(t, r), "service_code") {
			t.Errorf("no service code: %d %s", r.Status, r)
		}
		r = e.get("services.xml", url.Values{"jurisdiction_id": {"elsewhere.gov"}})
		if r.Status != 404 || !strings.Contains(fmsErrors(t, r), "jurisdiction_id") {
			t.Errorf("other jurisdiction: %d %s", r.Status, r)
		}
		_ = apptest.PointJiale1
	})
}

// TestEveryStatusMaps checks the status table both ways: every xiuhua state
// has an Open311 status and a FixMyStreet status that FixMyStreet accepts,
// and every status FixMyStreet sends (its extended ones, OPEN, CLOSED and
// REOPEN) maps to a xiuhua state and is accepted by POST servicerequestupdates.
func TestEveryStatusMaps(t *testing.T) {
	seen := map[casework.State]bool{}
	for _, row := range open311.Statuses {
		seen[row.State] = true
		if (row.Open311 == "closed") == row.State.Open() || (row.Open311 != "open" && row.Open311 != "closed") {
			t.Errorf("%s reads %s", row.State, row.Open311)
		}
		if !fmsVisibleStates[fmsMapState(row.FMS)] || row.Notes[0] == "" || row.Notes[1] == "" {
			t.Errorf("%s: FixMyStreet status %s (%q)", row.State, row.FMS, fmsMapState(row.FMS))
		}
	}
	for _, s := range casework.States {
		if !seen[s] {
			t.Errorf("state %s has no Open311 status", s)
		}
	}
	want := []string{"FIXED", "IN_PROGRESS", "ACTION_SCHEDULED", "INVESTIGATING", "DUPLICATE", "NOT_COUNCILS_RESPONSIBILITY",
		"NO_FURTHER_ACTION", "INTERNAL_REFERRAL", "CLOSED", "REOPEN", "OPEN"}
	mapped := map[string]casework.State{}
	for _, c := range open311.ClientStatuses {
		if !c.State.Valid() || c.Effect == "" {
			t.Errorf("%s maps to %q", c.Status, c.State)
		}
		mapped[c.Status] = c.State
	}
	for _, s := range want {
		if _, ok := mapped[s]; !ok {
			t.Errorf("FixMyStreet status %s does not map to a xiuhua state", s)
		}
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		id := e.report("E0102", apptest.PointJiale1, nil)
		for _, s := range want {
			r := e.post("servicerequestupdates.json", url.Values{"api_key": {e.keys["city"]}, "service_request_id": {id}, "status": {s},
				"description": {"citizen says " + s}})
			if r.Status != 200 {
				t.Errorf("POST status %s: %d %s", s, r.Status, r)
			}
		}
		// Lower case and spaces, as some clients send them.
		r := e.post("servicerequestupdates.json", url.Values{"api_key": {e.keys["city"]}, "service_request_id": {id}, "status": {"in progress"}})
		if r.Status != 200 {
			t.Errorf("POST status 'in progress': %d %s", r.Status, r)
		}
		// REOPEN of an open case is only recorded: no new case.
		cs, _ := e.f.App.Cases.List(context.Background(), e.f.Actors["admin"], casework.Filter{})
		if len(cs) != 1 {
			t.Errorf("%d cases after updates on an open case, want 1", len(cs))
		}
	})
}

// TestMergedRequestFollowsMaster merges a citizen's request into another
// case: the request reads closed as a duplicate of the master, and its
// updates carry DUPLICATE and then the master's progress under the
// request's own number; after an unmerge, the restored case's.
func TestMergedRequestFollowsMaster(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		master := e.report("E0102", apptest.PointJiale1, nil)
		dup := e.report("E0102", apptest.PointJiale1, nil)
		// The report found its likely duplicate when it came in.
		var n int
		db.R.QueryRow(`SELECT COUNT(*) FROM duplicate_candidates`).Scan(&n)
		if n != 1 {
			t.Errorf("%d likely duplicates stored, want 1", n)
		}
		mid, _ := casework.IDFromCode(master)
		did, _ := casework.IDFromCode(dup)
		if _, err := e.f.App.Merge(ctx, e.f.Actors["dispatcher"], did, mid, 1); err != nil {
			t.Fatal(err)
		}
		e.act("dispatcher", master, casework.Register, casework.Input{})
		e.act("dispatcher", master, casework.Dispatch, casework.Input{Unit: "320213.sanitation"})

		var got []map[string]any
		json.Unmarshal(e.get("requests/"+dup+".json", url.Values{"extensions": {"true"}}).Body, &got)
		ext := got[0]["extended_attributes"].(map[string]any)
		if got[0]["status"] != "closed" || !strings.Contains(got[0]["status_notes"].(string), master) ||
			ext["duplicate"] != true || ext["parent_service_request_id"] != master || ext["fms_status"] != "DUPLICATE" {
			t.Errorf("merged request: %v", got[0])
		}
		json.Unmarshal(e.get("requests/"+master+".json", url.Values{"extensions": {"true"}}).Body, &got)
		if f := got[0]["extended_attributes"].(map[string]any)["followers"].([]any); len(f) != 1 || f[0] != dup {
			t.Errorf("the master's followers: %v", f)
		}
		updates := func() string {
			var ups []map[string]any
			json.Unmarshal(e.get("servicerequestupdates.json", url.Values{"service_request_id": {dup}}).Body, &ups)
			var s []string
			for _, u := range ups {
				s = append(s, u["status"].(string)+":"+u["external_status_code"].(string))
			}
			return strings.Join(s, ",")
		}
		if got := updates(); got != "DUPLICATE:rejected,INVESTIGATING:registered,IN_PROGRESS:dispatched" {
			t.Errorf("updates of the merged request: %s", got)
		}
		restored, err := e.f.App.Unmerge(ctx, e.f.Actors["dispatcher"], did)
		if err != nil {
			t.Fatal(err)
		}
		e.act("dispatcher", restored.Code(), casework.Register, casework.Input{})
		e.act("dispatcher", master, casework.Suspend, casework.Input{Reason: "等工程"})
		if got := updates(); got != "DUPLICATE:rejected,INVESTIGATING:registered,IN_PROGRESS:dispatched,OPEN:reported,INVESTIGATING:registered" {
			t.Errorf("updates after the unmerge (the master's suspension no longer shows): %s", got)
		}
	})
}
