package api

import (
	"os"
	"testing"

	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// fuzzUsers act in the fuzz target: every role that writes, and none.
var fuzzUsers = []string{"admin", "dispatcher", "inspector", "san", "leader", ""}

// fuzzTypes are the Content-Types a body is sent with: JSON (most often),
// none, and what a confused client sends.
var fuzzTypes = []string{"application/json", "application/json; charset=utf-8", "", "application/json", "text/plain", "multipart/form-data; boundary=x"}

// FuzzJSONBodies posts arbitrary bytes as the body of every POST and PUT
// route of the API (registeredRoutes, so a new route is fuzzed without
// being named here), as each kind of user, in process. No answer is a 5xx,
// and every refusal is the error envelope with an English and a Chinese
// message. The committed corpus is in testdata/fuzz/FuzzJSONBodies.
func FuzzJSONBodies(f *testing.F) {
	f.Add(uint8(0), uint8(0), uint8(0), []byte(`{}`))
	f.Add(uint8(1), uint8(1), uint8(0), []byte(`{"version":1,"unit":"320213.sanitation"}`))
	f.Add(uint8(2), uint8(2), uint8(0), []byte(`{"category":"E0102","description":"x","lat":31.52,"lon":120.22,"source":"inspector"}`))
	f.Add(uint8(3), uint8(0), uint8(1), []byte(`{"version":1e400}`))
	f.Add(uint8(4), uint8(0), uint8(0), []byte(`[1,2,3]`))
	h := newHarness(f, fuzzStore(f))
	body := routes("POST", "PUT")
	f.Fuzz(func(t *testing.T, route, user, ct uint8, data []byte) {
		method, path := h.path(body[int(route)%len(body)], int(route)/len(body))
		u := fuzzUsers[int(user)%len(fuzzUsers)]
		rec := h.serve(u, method, path, fuzzTypes[int(ct)%len(fuzzTypes)], data)
		if err := checkAnswer(rec); err != nil {
			t.Fatalf("%s %s as %q with %q: %v", method, path, u, data, err)
		}
	})
}

// fuzzStore is PostgreSQL when XIUHUA_TEST_POSTGRES_URL is set (as in CI:
// text PostgreSQL refuses is a class of bug SQLite hides), else SQLite.
func fuzzStore(f *testing.F) *store.DB {
	if os.Getenv(storetest.EnvPostgres) != "" {
		return storetest.Postgres(f)
	}
	return storetest.SQLite(f)
}
