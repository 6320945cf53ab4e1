package api

import "github.com/prometheus/client_golang/prometheus"

// Register adds collectors from outside the API (the background jobs of
// internal/cluster) to the metrics served at /metrics.
func (s *Server) Register(cs ...prometheus.Collector) {
	s.reg.MustRegister(cs...)
}
