// Package server runs the xiuhua server as a subprocess for the harnesses
// in bench (crash, soak): it builds the command, makes a fresh PostgreSQL
// schema to work in, starts `xiuhua serve` on a loopback port and waits
// until it answers, and stops or kills it.
package server

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the schema of a PostgreSQL run
)

// Build builds cmd/xiuhua into dir and returns the binary's path.
func Build(dir string) (string, error) {
	bin := filepath.Join(dir, "xiuhua")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/xiuhua/xiuhua/cmd/xiuhua").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// FreshSchema makes a schema named prefix_<random> in the server of base
// and returns the URL that works in it (as its search_path) and a func
// dropping it.
func FreshSchema(base, prefix string) (string, func(), error) {
	b := make([]byte, 6)
	rand.Read(b)
	schema := prefix + "_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		return "", nil, fmt.Errorf("create schema: %w", err)
	}
	drop := func() {
		if a, err := sql.Open("pgx", base); err == nil {
			a.Exec("DROP SCHEMA " + schema + " CASCADE")
			a.Close()
		}
	}
	u, err := url.Parse(base)
	if err != nil {
		drop()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

// FreeAddr is a loopback address with a port nothing listens on now.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Options say how to run `xiuhua serve`.
type Options struct {
	Bin      string        // the xiuhua binary
	Addr     string        // where it listens; a FreeAddr when empty
	Data     string        // --data
	Database string        // --database: a postgres:// URL, or empty for SQLite
	Env      []string      // added to this process's environment
	Log      string        // a file for the server's output; discarded when empty
	Wait     time.Duration // how long it may take to answer /healthz
}

// Server is a running `xiuhua serve`.
type Server struct {
	Cmd    *exec.Cmd
	Addr   string
	Exited chan struct{} // closed once the process is gone
	log    string
}

// Start starts the server and waits until /healthz answers 200. When it
// exits or does not answer in time, the error says so (with the end of its
// log, if it has one) and no process is left running.
func Start(o Options) (*Server, error) {
	if o.Addr == "" {
		a, err := FreeAddr()
		if err != nil {
			return nil, err
		}
		o.Addr = a
	}
	var out io.Writer = io.Discard
	var lf *os.File
	if o.Log != "" {
		f, err := os.Create(o.Log)
		if err != nil {
			return nil, err
		}
		lf, out = f, f
	}
	cmd := exec.Command(o.Bin, "serve", "--addr", o.Addr, "--data", o.Data, "--database", o.Database)
	if len(o.Env) > 0 {
		cmd.Env = append(os.Environ(), o.Env...)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		if lf != nil {
			lf.Close()
		}
		return nil, err
	}
	s := &Server{Cmd: cmd, Addr: o.Addr, Exited: make(chan struct{}), log: o.Log}
	go func() {
		cmd.Wait()
		if lf != nil {
			lf.Close()
		}
		close(s.Exited)
	}()
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(o.Wait)
	for time.Now().Before(deadline) {
		select {
		case <-s.Exited:
			if s.log != "" {
				return nil, fmt.Errorf("the server exited at start:\n%s", s.LogTail())
			}
			return nil, errors.New("the server exited at start")
		default:
		}
		if resp, err := c.Get("http://" + o.Addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Kill()
	return nil, fmt.Errorf("the server did not answer /healthz within %d s", int(o.Wait/time.Second))
}

// Kill sends SIGKILL and waits for the process to be gone.
func (s *Server) Kill() error {
	if err := s.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	<-s.Exited
	return nil
}

// Stop asks the server to shut down, and kills it after 20 s.
func (s *Server) Stop() {
	select {
	case <-s.Exited:
		return
	default:
	}
	s.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.Exited:
	case <-time.After(20 * time.Second):
		s.Cmd.Process.Kill()
		<-s.Exited
	}
}

// LogTail is the last 4,000 bytes of the server's log.
func (s *Server) LogTail() string {
	if s.log == "" {
		return ""
	}
	b, _ := os.ReadFile(s.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}
