package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/testdb"
)

// TestMain runs the tests once per available database; with ROSTER_TEST_RUN_MAIN=1 in its
// environment the test binary is the roster command itself, so that tests can run real
// roster processes without building one.
func TestMain(m *testing.M) {
	if os.Getenv("ROSTER_TEST_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(testdb.Run(m))
}

// runRoster runs the roster command as a process of its own and returns its exit code and
// everything it wrote.
func runRoster(t *testing.T, stdin string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "ROSTER_TEST_RUN_MAIN=1")
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("roster %v: %v", args, err)
	}
	return cmd.ProcessState.ExitCode(), string(out)
}

// served is a `roster serve` process.
type served struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
	mu   sync.Mutex
	logs bytes.Buffer
}

var listeningAt = regexp.MustCompile(`"msg":"roster listening".*"url":"(http://[^"]+)"`)

// serve starts `roster serve` on db and waits until it listens; the test's end stops it.
func serve(t *testing.T, db string) *served {
	t.Helper()
	s := &served{done: make(chan struct{})}
	s.cmd = exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0", "--db", db, "--log-format", "json", "--shutdown-delay", "0")
	s.cmd.Env = append(os.Environ(), "ROSTER_TEST_RUN_MAIN=1")
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			s.mu.Lock()
			s.logs.Write(append(sc.Bytes(), '\n'))
			s.mu.Unlock()
			if m := listeningAt.FindSubmatch(sc.Bytes()); m != nil {
				urls <- string(m[1])
			}
		}
		_ = s.cmd.Wait()
		close(s.done)
	}()
	select {
	case s.url = <-urls:
	case <-s.done:
		t.Fatalf("roster serve exited:\n%s", s.log())
	case <-time.After(30 * time.Second):
		t.Fatalf("roster serve did not start:\n%s", s.log())
	}
	t.Cleanup(func() { s.stop(t, syscall.SIGTERM) })
	return s
}

func (s *served) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

// stop sends sig and waits for the process to end.
func (s *served) stop(t *testing.T, sig syscall.Signal) {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(sig)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		t.Errorf("roster serve did not stop on %v", sig)
	}
}

// call sends a JSON request to the server and decodes the answer into out (when not nil).
func (s *served) call(t *testing.T, method, path, token string, body any, want int, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, res.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, fmt.Errorf("decode %s: %w", b, err))
		}
	}
}
