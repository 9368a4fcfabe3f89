package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The configuration file beside the systemd unit is one serve accepts.
func TestDeployConfigurationIsValid(t *testing.T) {
	out, err := run(t, "", "config", "print", "--config", "../../deploy/roster.toml")
	if err != nil {
		t.Fatalf("config print deploy/roster.toml: %v\n%s", err, out)
	}
	if !strings.Contains(out, `metrics-token-file = "/run/credentials/roster.service/metrics-token" # ../../deploy/roster.toml:`) {
		t.Errorf("deploy/roster.toml does not set the metrics token file the unit's credential gives:\n%s", out)
	}
}

// systemd accepts the unit, where systemd-analyze is installed.
func TestDeployUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	unit, err := os.ReadFile("../../deploy/roster.service")
	if err != nil {
		t.Fatal(err)
	}
	// verify checks that ExecStart's program exists and that Documentation= names a man page.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "roster.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/roster", self)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "", "docs", "man", filepath.Join(dir, "man", "man1")); err != nil {
		t.Fatalf("docs man: %v\n%s", err, out)
	}
	cmd := exec.Command(analyze, "verify", path)
	cmd.Env = append(os.Environ(), "MANPATH="+filepath.Join(dir, "man"))
	if out, err := cmd.CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
