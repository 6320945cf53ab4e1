package main

import (
	"log/slog"
	"net/http"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/xiuhua/xiuhua/internal/api"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/open311"
	"github.com/xiuhua/xiuhua/internal/portal"
	"github.com/xiuhua/xiuhua/internal/web"
)

// handler composes the doors of one server: the JSON API (with health and
// metrics), and the pages at "/". Each door authenticates its own actors;
// headers common to every door (HSTS) are set around them all.
func handler(a *app.App, log *slog.Logger, metrics ...prometheus.Collector) http.Handler {
	return handlerWith(a, log, transportFromEnv(os.Getenv), metrics...)
}

// handlerWith composes the doors; metrics are served with the API's at /metrics.
func handlerWith(a *app.App, log *slog.Logger, t transport, metrics ...prometheus.Collector) http.Handler {
	mux := http.NewServeMux()
	apiSrv := api.New(a, log)
	apiSrv.Register(metrics...)
	mux.Handle("/api/", apiSrv)
	mux.Handle("/healthz", apiSrv)
	mux.Handle("/metrics", apiSrv)
	mux.Handle(open311.Prefix, open311.New(a, log))
	mux.Handle(portal.Prefix, portal.New(a, log))
	mux.Handle("/", web.New(a, log))
	return withHSTS(mux, t)
}
