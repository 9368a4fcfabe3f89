package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeConfig writes a configuration file into a fresh directory and returns its path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "roster.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// printed returns config print's lines for the keys given, in its order.
func printed(t *testing.T, out string, keys ...string) []string {
	t.Helper()
	var got []string
	for _, line := range strings.Split(out, "\n") {
		for _, k := range keys {
			if strings.HasPrefix(line, k+" = ") {
				got = append(got, line)
			}
		}
	}
	return got
}

// Flags beat variables, variables beat the file, the file beats the defaults; each value says
// where it came from.
func TestConfigPrecedence(t *testing.T) {
	path := writeConfig(t, `# Roster
addr = "0.0.0.0:9000"
session-ttl = "2h"
db-max-conns = 7
trusted-proxies = ["10.0.0.0/8", "192.0.2.1"]

log-format = "json"
`)
	t.Setenv("ROSTER_SESSION_TTL", "3h")
	t.Setenv("ROSTER_DB_MAX_CONNS", "") // empty counts as unset
	t.Setenv("ROSTER_CONFIG", path)
	out, err := run(t, "", "config", "print", "--addr", "127.0.0.1:7000")
	if err != nil {
		t.Fatalf("config print: %v\n%s", err, out)
	}
	want := []string{
		`addr = "127.0.0.1:7000" # flag`,
		`db-max-conns = 7 # ` + path + `:4`,
		`log-format = "json" # ` + path + `:7`,
		`log-level = "info" # default`,
		`session-ttl = "3h0m0s" # ROSTER_SESSION_TTL`,
		`trusted-proxies = ["10.0.0.0/8", "192.0.2.1/32"] # ` + path + `:5`,
	}
	if diff := cmp.Diff(want, printed(t, out, "addr", "db-max-conns", "log-format", "log-level", "session-ttl", "trusted-proxies")); diff != "" {
		t.Errorf("config print (-want +got):\n%s\n%s", diff, out)
	}

	// --config wins over ROSTER_CONFIG.
	other := writeConfig(t, "db-max-conns = 9\n")
	out, err = run(t, "", "config", "print", "--config", other)
	if err != nil {
		t.Fatalf("config print --config: %v\n%s", err, out)
	}
	if diff := cmp.Diff([]string{`db-max-conns = 9 # ` + other + `:1`}, printed(t, out, "db-max-conns")); diff != "" {
		t.Errorf("--config (-want +got):\n%s", diff)
	}
}

// What config print writes is a configuration file that reads back to the same values.
func TestConfigPrintRoundTrips(t *testing.T) {
	first, err := run(t, "", "config", "print", "--config", writeConfig(t, "db-wait = \"5s\"\nellacore-tenant = \"ella\"\n"))
	if err != nil {
		t.Fatalf("config print: %v\n%s", err, first)
	}
	again := writeConfig(t, first)
	second, err := run(t, "", "config", "print", "--config", again)
	if err != nil {
		t.Fatalf("config print of its own output: %v\n%s", err, second)
	}
	strip := func(out string) []string {
		var values []string
		for _, line := range strings.Split(out, "\n") {
			if v, _, ok := strings.Cut(line, " # "); ok && !strings.HasPrefix(line, "#") {
				values = append(values, v)
			}
		}
		return values
	}
	if diff := cmp.Diff(strip(first), strip(second)); diff != "" {
		t.Errorf("values changed on the way round (-first +second):\n%s", diff)
	}
}

// A bad file is refused whole, each fault named with its line; an error about a variable
// names the variable, one about a flag the flag.
func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		file string
		args []string
		env  map[string]string
		want []string // the error's lines, with FILE for the file's path
	}{
		{name: "unknown keys and wrong types, all at once", file: "addr = \"127.0.0.1:1\"\ndb-max-con = 4\nsession-ttl = 300\nlog-level = \"loud\"\n",
			want: []string{
				`FILE:2: unknown key "db-max-con"; the keys are the flags of roster serve (roster serve --help)`,
				`FILE:3: session-ttl: want a duration as a string, such as "30s" or "12h", not a number`,
			}},
		{name: "a value the flag refuses", file: "\n\nlog-level = \"loud\"\ntrusted-proxies = \"10.0.0.0/8,nowhere\"\n",
			want: []string{
				`FILE:3: log-level: want debug, info, warn or error`,
				`FILE:4: trusted-proxies: "nowhere" is neither an address nor a CIDR range`,
			}},
		{name: "a value serve refuses", file: "# pool\ndb-max-conns = 1\n",
			want: []string{`FILE:2: db-max-conns: must be at least 2, not 1`}},
		{name: "tables", file: "[db]\nmax-conns = 4\n",
			want: []string{`FILE:1: [db]: tables are not part of Roster's configuration; write key = value lines at the top`}},
		{name: "dotted keys", file: "db.max-conns = 4\n",
			want: []string{`FILE:1: unknown key "db.max-conns"; the keys are the flags of roster serve (roster serve --help)`}},
		{name: "a file naming another", file: "config = \"other.toml\"\n",
			want: []string{`FILE:1: unknown key "config"; the keys are the flags of roster serve (roster serve --help)`}},
		{name: "syntax", file: "addr = \"127.0.0.1:1\"\nsession-ttl = \n",
			want: []string{`FILE:2: unexpected character U+000A at start of value`}},
		{name: "duplicate keys", file: "addr = \"127.0.0.1:1\"\naddr = \"127.0.0.1:2\"\n",
			want: []string{`FILE:2: key addr is already defined`}},
		{name: "a variable's bad value", env: map[string]string{"ROSTER_SESSION_TTL": "10s", "ROSTER_LOG_FORMAT": "xml"},
			want: []string{`ROSTER_LOG_FORMAT="xml": want text or json`}},
		{name: "a variable serve refuses", env: map[string]string{"ROSTER_SESSION_TTL": "10s", "ROSTER_ELLACORE_TENANT": "Ella Core"},
			want: []string{
				`ROSTER_ELLACORE_TENANT: "Ella Core" is not a tenant slug (lower-case letters, digits and hyphens)`,
				`ROSTER_SESSION_TTL: must be at least 1m, not 10s`,
			}},
		{name: "a flag serve refuses, over a good file", file: "session-ttl = \"1h\"\n", args: []string{"--session-ttl", "5s"},
			want: []string{`--session-ttl: must be at least 1m, not 5s`}},
		{name: "a short metrics token, not echoed", env: map[string]string{"ROSTER_METRICS_TOKEN": "tiny-tkn"},
			want: []string{`ROSTER_METRICS_TOKEN: must be at least 16 characters (openssl rand -hex 32 makes one)`}},
		{name: "a metrics token file that is not there", file: "metrics-token-file = \"/nonexistent/token\"\n",
			want: []string{`FILE:1: metrics-token-file: open /nonexistent/token: no such file or directory`}},
		{name: "a mail URL serve refuses, from the environment", env: map[string]string{"ROSTER_SMTP_URL": "ftp://mailer:hunter2@mail.internal"},
			want: []string{`ROSTER_SMTP_URL: scheme "ftp": want smtp or smtps`}},
		{name: "a missing file", env: map[string]string{"ROSTER_CONFIG": "/nonexistent/roster.toml"},
			want: []string{`configuration file: open /nonexistent/roster.toml: no such file or directory`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			args := append([]string{"serve"}, c.args...)
			path := ""
			if c.file != "" {
				path = writeConfig(t, c.file)
				args = append(args, "--config", path)
			}
			out, err := run(t, "", args...)
			if err == nil {
				t.Fatalf("serve started:\n%s", out)
			}
			var want []string
			for _, w := range c.want {
				want = append(want, strings.ReplaceAll(w, "FILE", path))
			}
			if diff := cmp.Diff(want, strings.Split(describe(err), "\n")); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

// config print hides secrets: the password of a database URL (in its user part or its
// query), and every value of a secret key.
func TestConfigPrintRedacts(t *testing.T) {
	path := writeConfig(t, `db = "postgres://roster:s3cret-pw@db.internal:5432/roster?sslmode=require&password=other-pw"`+"\n"+
		`smtp-url = "smtp://mailer:mail-pw@mail.internal:587"`+"\n"+`metrics-token = "metrics-token-0123456789abcdef"`+"\n")
	out, err := run(t, "", "config", "print", "--config", path)
	if err != nil {
		t.Fatalf("config print: %v\n%s", err, out)
	}
	if strings.Contains(out, "s3cret-pw") || strings.Contains(out, "other-pw") || strings.Contains(out, "mail-pw") || strings.Contains(out, "0123456789abcdef") {
		t.Errorf("config print shows a password:\n%s", out)
	}
	want := []string{
		`db = "postgres://roster:REDACTED@db.internal:5432/roster?password=REDACTED&sslmode=require" # ` + path + `:1`,
		`metrics-token = "REDACTED" # ` + path + `:3`,
		`smtp-url = "smtp://mailer:REDACTED@mail.internal:587" # ` + path + `:2`,
	}
	if diff := cmp.Diff(want, printed(t, out, "db", "metrics-token", "smtp-url")); diff != "" {
		t.Errorf("db (-want +got):\n%s", diff)
	}
	for _, c := range []struct{ key, value, want string }{
		{"metrics-token", "abcdefghijklmnopqrstuvwxyz", "REDACTED"},
		{"smtp-url", "smtp://mailer:hunter2@mail.internal:587", "smtp://mailer:REDACTED@mail.internal:587"},
		{"db", "postgres://roster@db.internal/roster", "postgres://roster@db.internal/roster"},
		{"db", "postgres://roster:pa/ss@db.internal/roster", "postgres://REDACTED"}, // Go's url.Parse refuses it
		{"db", "/var/lib/roster/roster.db", "/var/lib/roster/roster.db"},
		{"secret-key-file", "/etc/roster/key", "/etc/roster/key"}, // a path, not the secret
		{"password-min-length", "12", "12"},
	} {
		if got := redact(c.key, c.value); got != c.want {
			t.Errorf("redact(%s, %s) = %s, want %s", c.key, c.value, got, c.want)
		}
	}
}

// An offline command takes the keys it has flags for from the same file, and ignores the
// server's others.
func TestConfigFileForOfflineCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "from-config.db")
	path := writeConfig(t, "db = "+tomlString(db)+"\naddr = \"0.0.0.0:8080\"\nlog-level = \"warn\"\n")
	out, err := run(t, "", "migrate", "--config", path)
	if err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	if !strings.Contains(out, "is migrated") {
		t.Errorf("migrate output %q", out)
	}
	if _, err := os.Stat(db); err != nil {
		t.Errorf("migrate did not use the file's db: %v", err)
	}
}
