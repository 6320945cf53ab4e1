package main

import (
	"net/http"
	"strconv"
	"strings"
)

// hstsValue is the Strict-Transport-Security of every door: one year, the
// same as the console sends on its own.
const hstsValue = "max-age=31536000"

// transport says how the server is reached: whether it sits behind a proxy
// that terminates TLS, and whether that proxy's X-Forwarded-Proto is
// believed. It decides where HSTS is sent.
type transport struct {
	// Secure says every request arrives over TLS even when the connection to
	// this process is plain HTTP (XIUHUA_SECURE_COOKIES=true, which also
	// marks the cookies Secure).
	Secure bool
	// TrustProxy believes X-Forwarded-Proto: set (XIUHUA_TRUST_PROXY, or a
	// door's own XIUHUA_OPEN311_TRUST_PROXY / XIUHUA_PORTAL_TRUST_PROXY) only
	// behind one reverse proxy that sets the header.
	TrustProxy bool
}

// transportFromEnv reads the transport settings; values that are not
// booleans count as false, as the doors read them.
func transportFromEnv(getenv func(string) string) transport {
	on := func(name string) bool { b, _ := strconv.ParseBool(getenv(name)); return b }
	return transport{
		Secure:     on("XIUHUA_SECURE_COOKIES"),
		TrustProxy: on("XIUHUA_TRUST_PROXY") || on("XIUHUA_OPEN311_TRUST_PROXY") || on("XIUHUA_PORTAL_TRUST_PROXY"),
	}
}

// overTLS says whether r reached the site over HTTPS.
func (t transport) overTLS(r *http.Request) bool {
	if r.TLS != nil || t.Secure {
		return true
	}
	// One trusted proxy sets one value; a list's last entry is the one it added.
	p := r.Header.Get("X-Forwarded-Proto")
	if i := strings.LastIndexByte(p, ','); i >= 0 {
		p = p[i+1:]
	}
	return t.TrustProxy && strings.EqualFold(strings.TrimSpace(p), "https")
}

// withHSTS sends Strict-Transport-Security on every answer of every door
// (API, Open311, portal, console) that went over TLS. Over plain HTTP it is
// left out: browsers ignore it there (RFC 6797 §8.1) and a site tried on
// plain HTTP first must not pin itself to HTTPS by accident.
func withHSTS(h http.Handler, t transport) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if t.overTLS(r) {
			w.Header().Set("Strict-Transport-Security", hstsValue)
		}
		h.ServeHTTP(w, r)
	})
}
