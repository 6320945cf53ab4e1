package main

import (
	"log/slog"
	"net/http"

	"github.com/xiuhua/xiuhua/internal/api"
	"github.com/xiuhua/xiuhua/internal/app"
)

// handler composes the doors of one server: the JSON API (with health and
// metrics), and the pages at "/". Each door authenticates its own actors.
func handler(a *app.App, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	apiSrv := api.New(a, log)
	mux.Handle("/api/", apiSrv)
	mux.Handle("/healthz", apiSrv)
	mux.Handle("/metrics", apiSrv)
	mux.Handle("/", apiSrv) // until the web console serves "/"
	return mux
}
