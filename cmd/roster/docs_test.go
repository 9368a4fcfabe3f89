package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Completion scripts come from the command tree, for each shell, even when the configuration
// file is broken.
func TestCompletion(t *testing.T) {
	t.Setenv("ROSTER_CONFIG", "/nonexistent/roster.toml")
	for shell, want := range map[string]string{
		"bash": "__start_roster",
		"zsh":  "#compdef roster",
		"fish": "complete -c roster",
	} {
		out, err := run(t, "", "completion", shell)
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("completion %s: %v, output lacks %q:\n%.300s", shell, err, want, out)
		}
	}
	// What the scripts call at the shell's tab: the flags of serve, the subcommands of config.
	out, err := run(t, "", "__complete", "serve", "--metrics-t")
	if err != nil || !strings.Contains(out, "--metrics-token") || !strings.Contains(out, "--metrics-token-file") {
		t.Errorf("completing serve --metrics-t: %v\n%s", err, out)
	}
	out, err = run(t, "", "__complete", "config", "")
	if err != nil || !strings.Contains(out, "print") {
		t.Errorf("completing config: %v\n%s", err, out)
	}
}

// roster docs man writes a page per command, with its flags.
func TestManPages(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "man1")
	t.Setenv("SOURCE_DATE_EPOCH", "1798761600") // 2027-01-01
	if out, err := run(t, "", "docs", "man", dir); err != nil {
		t.Fatalf("docs man: %v\n%s", err, out)
	}
	for _, page := range []string{"roster.1", "roster-serve.1", "roster-config-print.1", "roster-user-create.1", "roster-completion-bash.1"} {
		if _, err := os.Stat(filepath.Join(dir, page)); err != nil {
			t.Errorf("no %s: %v", page, err)
		}
	}
	serve, err := os.ReadFile(filepath.Join(dir, "roster-serve.1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`.TH "ROSTER" "1" "Jan 2027" "Roster dev" "Roster Manual"`, `\fB--metrics-token\fP`, `\fB--config\fP` + "=", `\fB--db-max-conns\fP=20`} {
		if !strings.Contains(string(serve), want) {
			t.Errorf("roster-serve.1 lacks %s", want)
		}
	}
}
