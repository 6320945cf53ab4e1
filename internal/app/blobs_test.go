package app_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua"
	"github.com/xiuhua/xiuhua/internal/app/apptest"
	"github.com/xiuhua/xiuhua/internal/auth"
	"github.com/xiuhua/xiuhua/internal/casework"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestAnonymousBlobs: a photo a citizen sent without an account (as the
// portal and Open311 store it) may be attached by the system actor that
// received it and then, by staff, to that case only; knowing its sha256 does
// not let anyone put it on another case. Staff who upload the same bytes
// themselves hold them.
func TestAnonymousBlobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := apptest.New(t, db)
		ctx := context.Background()
		put := func(tag string, by int64, anonymous bool) string {
			t.Helper()
			id, ct, n, err := f.App.Blobs.Put(bytes.NewReader(append(append([]byte{}, apptest.PNG...), tag...)))
			if err != nil {
				t.Fatal(err)
			}
			if err := db.PutBlob(ctx, store.Blob{ID: id, ContentType: ct, Size: n, CreatedBy: by, CreatedAt: time.Now(), Anonymous: anonymous}); err != nil {
				t.Fatal(err)
			}
			return id
		}
		refused := func(what string, err error) {
			t.Helper()
			if xiuhua.ErrorCode(err) != xiuhua.EUnprocessable {
				t.Errorf("%s: got %v, want refused as unknown attachment", what, err)
			}
		}
		pt := apptest.PointJiale1
		citizen := put("citizen", 0, true)
		unused := put("unused", 0, true)

		// The portal reports with the citizen's photo.
		portal := auth.SystemActor("portal", "")
		mine, err := f.App.Cases.Report(ctx, portal, casework.ReportInput{Category: "E0102", Description: "垃圾", Lon: &pt[0], Lat: &pt[1],
			Source: casework.SourceCitizen, Attachments: []string{citizen}})
		if err != nil {
			t.Fatal(err)
		}
		other := report(t, f, "inspector", apptest.PointJiale2)

		// Neither photo goes on a new report or on another case, whoever asks.
		for _, id := range []string{citizen, unused} {
			_, err = f.App.Cases.Report(ctx, f.Actors["inspector"], casework.ReportInput{Category: "E0102", Description: "复用",
				Lon: &pt[0], Lat: &pt[1], Attachments: []string{id}})
			refused("inspector reports with an anonymous photo", err)
			_, err = f.App.Cases.Act(ctx, f.Actors["admin"], other.ID, casework.Register, casework.Input{Version: other.Version, Attachments: []string{id}})
			refused("admin attaches an anonymous photo to another case", err)
		}
		// Its own case takes it again (the handler's before/after, say).
		mine = act(t, f, "dispatcher", mine, casework.Register, casework.Input{})
		mine = act(t, f, "dispatcher", mine, casework.Dispatch, casework.Input{Unit: "320213.sanitation"})
		other = act(t, f, "dispatcher", other, casework.Register, casework.Input{})
		other = act(t, f, "dispatcher", other, casework.Dispatch, casework.Input{Unit: "320213.sanitation"})
		_, err = f.App.Cases.Act(ctx, f.Actors["san"], other.ID, casework.Handle, casework.Input{Version: other.Version, Attachments: []string{citizen}})
		refused("handler attaches the citizen's photo to another case", err)
		_, err = f.App.Cases.Act(ctx, f.Actors["san"], mine.ID, casework.Handle, casework.Input{Version: mine.Version, Attachments: []string{unused}})
		refused("handler attaches an unattached anonymous photo", err)
		act(t, f, "san", mine, casework.Handle, casework.Input{Attachments: []string{citizen}})

		// A staff photo keeps the old rule: its uploader, then anyone in scope once attached.
		staff := put("staff", f.Actors["san"].UserID, false)
		_, err = f.App.Cases.Act(ctx, f.Actors["jiale"], other.ID, casework.Handle, casework.Input{Version: other.Version, Attachments: []string{staff}})
		refused("another user's fresh upload", err)
		// The uploader of the same bytes as the citizen's holds them.
		put("unused", f.Actors["san"].UserID, false)
		act(t, f, "san", other, casework.Handle, casework.Input{Attachments: []string{unused, staff}})
		b, err := db.Blob(ctx, unused)
		if err != nil || b.CreatedBy != f.Actors["san"].UserID {
			t.Errorf("claimed blob %+v %v", b, err)
		}
		// Uploading the citizen's bytes again anonymously changes nothing.
		put("citizen", 0, true)
		_, err = f.App.Cases.Act(ctx, f.Actors["admin"], other.ID, casework.Extend, casework.Input{Version: other.Version + 1, Reason: "x", Hours: 1, Attachments: []string{citizen}})
		refused("after a second anonymous upload", err)
	})
}
