package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The administration commands as a shell runs them: the real binary, its exit codes, the
// password on a pipe, the session in the configuration directory. (cmd/roster/internal/cli
// tests every command in process.)
func TestCLIExitCodes(t *testing.T) {
	e := newEnv(t)
	e.bootstrap()
	home := t.TempDir()
	roster := func(stdin string, args ...string) (string, string, int) {
		t.Helper()
		cmd := exec.Command(rosterBinary(t), args...)
		cmd.Env = []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "PATH=" + os.Getenv("PATH")}
		cmd.Stdin = strings.NewReader(stdin)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("roster %v: %v", args, err)
		}
		if strings.Contains(stdout.String()+stderr.String(), testPassword) {
			t.Errorf("roster %v printed the password", args)
		}
		return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
	}
	if _, stderr, code := roster("", "tenants", "list"); code != 5 || !strings.Contains(stderr, "not logged in") {
		t.Errorf("before login: exit %d, %q", code, stderr)
	}
	if _, stderr, code := roster(testPassword+"\n", "login", "--server", e.url, "root@example.com"); code != 0 || !strings.Contains(stderr, "Logged in as root@example.com") {
		t.Fatalf("login: exit %d, %q", code, stderr)
	}
	info, err := os.Stat(filepath.Join(home, ".config", "roster", "credentials"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("credentials file: %v, %v", info, err)
	}

	stdout, stderr, code := roster("", "tenants", "create", "acme", "--name", "Acme")
	var tenant struct{ Slug, ETag string }
	if code != 0 || json.Unmarshal([]byte(stdout), &tenant) != nil || tenant.Slug != "acme" || tenant.ETag != `"1"` {
		t.Errorf("tenants create: exit %d, %q, %q", code, stdout, stderr)
	}
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"tenants", "get", "acme"}, 0},
		{[]string{"users", "get", "nobody@example.com"}, 3},
		{[]string{"tenants", "create", "acme"}, 4},
		{[]string{"tenants", "update", "acme", "--name", "A", "--if-match", "7"}, 4},
		{[]string{"users", "create", "not-an-email"}, 2},
		{[]string{"users", "list", "--nope"}, 2},
		{[]string{"nope"}, 2},
		{[]string{"users", "list", "--token", "rsp_not_a_real_token"}, 5},
		{[]string{"logout"}, 0},
		{[]string{"users", "list"}, 5},
	} {
		if _, stderr, code := roster("", c.args...); code != c.code {
			t.Errorf("roster %s: exit %d, want %d\n%s", strings.Join(c.args, " "), code, c.code, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(home, ".config", "roster", "credentials")); !os.IsNotExist(err) {
		t.Errorf("the credentials file is still there after logout: %v", err)
	}
}
