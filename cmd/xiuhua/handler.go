package main

import (
	"log/slog"
	"net/http"

	"github.com/xiuhua/xiuhua/internal/api"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/open311"
	"github.com/xiuhua/xiuhua/internal/portal"
	"github.com/xiuhua/xiuhua/internal/web"
)

// handler composes the doors of one server: the JSON API (with health and
// metrics), and the pages at "/". Each door authenticates its own actors.
func handler(a *app.App, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	apiSrv := api.New(a, log)
	mux.Handle("/api/", apiSrv)
	mux.Handle("/healthz", apiSrv)
	mux.Handle("/metrics", apiSrv)
	mux.Handle(open311.Prefix, open311.New(a, log))
	mux.Handle(portal.Prefix, portal.New(a, log))
	mux.Handle("/", web.New(a, log))
	return mux
}
