package web

import (
	"regexp"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

var (
	fieldRE  = regexp.MustCompile(`<(input|select|textarea)\b([^>]*)>`)
	idRE     = regexp.MustCompile(`\bid="([^"]+)"`)
	typeRE   = regexp.MustCompile(`\btype="([^"]+)"`)
	clickyRE = regexp.MustCompile(`\bon[a-z]+=|role="button"|<div[^>]*tabindex|javascript:`)
)

// checkLabels fails for a form field without a label naming it by id, a
// duplicate id, a field inside no form, or a click handler on anything
// (buttons are <button>, links are <a href>).
func checkLabels(t *testing.T, name, body string, wantFields bool) {
	t.Helper()
	ids := map[string]int{}
	for _, m := range idRE.FindAllStringSubmatch(body, -1) {
		ids[m[1]]++
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("%s: id %q used %d times", name, id, n)
		}
	}
	fields := 0
	for _, m := range fieldRE.FindAllStringSubmatch(body, -1) {
		attrs := m[2]
		if tm := typeRE.FindStringSubmatch(attrs); tm != nil && (tm[1] == "hidden" || tm[1] == "submit") {
			continue
		}
		fields++
		im := idRE.FindStringSubmatch(attrs)
		if im == nil {
			t.Errorf("%s: a %s without an id cannot be labelled: <%s%s>", name, m[1], m[1], attrs)
			continue
		}
		if !strings.Contains(body, `<label for="`+im[1]+`"`) && !strings.Contains(attrs, "aria-label=") {
			t.Errorf("%s: %s #%s has no label", name, m[1], im[1])
		}
	}
	if fields == 0 && wantFields {
		t.Errorf("%s: no fields found: the check checked nothing", name)
	}
	if m := clickyRE.FindString(body); m != "" {
		t.Errorf("%s: %q: use a <button> or a link", name, m)
	}
	if strings.Contains(body, `<input type="submit"`) || strings.Contains(body, `<input type="button"`) {
		t.Errorf("%s: input buttons: use <button>", name)
	}
}

// TestLabels renders every page as the people who use it and checks that
// each field is labelled and each control is a real button or link, so the
// console works by keyboard and with a screen reader.
func TestLabels(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		c := e.report("inspector", apptest.PointJiale1, "E0102", "暴露垃圾")
		checkLabels(t, "sign-in", e.client().get("/login").body, true)
		disp := e.client()
		disp.login("dispatcher")
		checkLabels(t, "desk", disp.get("/cases").body, true)
		checkLabels(t, "reported case", disp.get("/cases/"+itoa(c.ID)).body, true)
		c = e.act("dispatcher", c, casework.Register, casework.Input{})
		checkLabels(t, "registered case", disp.get("/cases/"+itoa(c.ID)).body, true)
		c = e.act("dispatcher", c, casework.Dispatch, casework.Input{Unit: "320213.sanitation"})
		san := e.client()
		san.login("san")
		checkLabels(t, "dispatched case (handler)", san.get("/cases/"+itoa(c.ID)).body, true)
		c = e.act("san", c, casework.Extend, casework.Input{Reason: "需协调", Hours: 8})
		checkLabels(t, "extension (dispatcher)", disp.get("/cases/"+itoa(c.ID)).body, true)
		c = e.act("dispatcher", c, casework.ApproveExtension, casework.Input{Approved: ptrTrue()})
		c = e.act("san", c, casework.Handle, casework.Input{Attachments: []string{e.f.Photo(t, "a")}})
		ins2 := e.client()
		ins2.login("inspector2")
		checkLabels(t, "handled case (inspector)", ins2.get("/cases/"+itoa(c.ID)).body, true)
		checkLabels(t, "report", ins2.get("/report").body, true)
		checkLabels(t, "nearby", ins2.get("/nearby").body, true)
		checkLabels(t, "mine", ins2.get("/mine").body, false)
	})
}

func ptrTrue() *bool { b := true; return &b }
