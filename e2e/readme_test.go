package e2e

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rosterhq/roster/internal/testdb"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// notRun marks, on the line before its fence, a README block the session does not run: the
// commands that start the server or the tests, and examples with the operator's own paths.
const notRun = "<!-- readme: not run -->"

// readmeBlock is one ```sh block of the README.
type readmeBlock struct {
	text string
}

// readmeBlocks returns the README's shell blocks that the session runs, in order.
func readmeBlocks(t *testing.T, path string) []readmeBlock {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	var out []readmeBlock
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```sh" {
			continue
		}
		skip := i > 0 && strings.TrimSpace(lines[i-1]) == notRun
		var body []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			body = append(body, lines[i])
		}
		if !skip {
			out = append(out, readmeBlock{text: strings.Join(body, "\n")})
		}
	}
	return out
}

// The README's shell session, run against a live server in the order the README gives it: every
// curl must succeed (HTTP status below 400), and the answers, with ids, secrets and times
// replaced by stable placeholders, must equal testdata/readme.golden. An example whose answer
// changes fails here; `go test ./e2e -run TestReadme -update` rewrites the golden file after
// a deliberate change, to be read in review.
func TestReadme(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq", "perl"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("ROSTER_TEST_REQUIRE_TOOLS") != "" {
				t.Fatalf("the README session needs %s: %v", tool, err)
			}
			t.Skipf("the README session needs %s (.ci/run installs it): %v", tool, err)
		}
	}
	dir := t.TempDir()
	// As the README's mail section says to start it: mail goes to ./mail, beside the session.
	r := serveBinary(t, testdb.DSN(t), "--shutdown-delay", "0", "--mail-dir", filepath.Join(dir, "mail"))
	host := strings.TrimPrefix(r.url, "http://")

	var script strings.Builder
	script.WriteString(`set -euo pipefail
curl() { command curl --show-error --fail-with-body "$@"; }
trap 'echo "!! this command failed (exit $?): $BASH_COMMAND"' ERR
`)
	for _, b := range readmeBlocks(t, "../README.md") {
		// The marker names the block by its first line, not its line number, so that editing
		// prose above an example does not change the golden file.
		first, _, _ := strings.Cut(b.text, "\n")
		fmt.Fprintf(&script, "echo %s\n%s\necho\n", shellQuote("### "+first), strings.ReplaceAll(b.text, "localhost:8080", host))
	}
	cmd := exec.Command("bash", "-c", script.String())
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(rosterBinary(t))+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+dir, "XDG_CONFIG_HOME="+dir, // roster login keeps its session here, not in the tester's own directory
		"ROSTER_SERVER=", "ROSTER_TOKEN=", "ROSTER_OUTPUT=")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	runErr := cmd.Run()
	got := normalizeSession(out.String())
	if runErr != nil {
		t.Fatalf("the README session stopped (%v); its output:\n%s", runErr, got) // the failing block is the last ### in it
	}
	golden := filepath.Join("testdata", "readme.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("the README session answers differently from %s (-want +got):\n%s", golden, diff)
	}
}

// shellQuote quotes s for bash.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// placeholders replace what differs between runs, each distinct value by a numbered name in
// the order it first appears, so that the golden file still shows which answers share an id.
var placeholders = []struct {
	pattern *regexp.Regexp
	name    string
}{
	{regexp.MustCompile(`rs[spl]_[0-9A-Za-z]{20,}|sk:[0-9A-Za-z]{20,}|ellacore_[0-9A-Za-z]{12}_[0-9A-Za-z]{24}`), "secret"},
	{regexp.MustCompile(`\b(?:usr|tnt|rol|ses|tok|sva|key|evt|inv|obx)_[0-9a-z]{26}\b`), "id"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)`), "time"},
	{regexp.MustCompile(`\b[0-9a-f]{32}\b`), "request-id"},
}

var (
	hintShape      = regexp.MustCompile(`…[0-9A-Za-z]{4}`)
	ellaTokenID    = regexp.MustCompile(`("id":\s*")([0-9A-Za-z]{12})(")`)
	headerDate     = regexp.MustCompile(`(?m)^(Date|Content-Length|X-Ratelimit-Reset|X-RateLimit-Reset): .*$`)
	unixTime       = regexp.MustCompile(`"(iat|exp|nbf|auth_time)":\d+`)
	userAgent      = regexp.MustCompile(`curl/[0-9.]+`)
	timeLike       = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)`)
	ellaTokenShape = regexp.MustCompile(`^[0-9A-Za-z]{12}$`)
)

// normalizeSession replaces secrets, ids, times and request ids by stable placeholders.
func normalizeSession(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = headerDate.ReplaceAllString(s, "$1: <varies>")
	s = hintShape.ReplaceAllString(s, "…<hint>")
	s = unixTime.ReplaceAllString(s, `"$1":<unix>`)
	s = userAgent.ReplaceAllString(s, "curl/<version>")
	for _, p := range placeholders {
		seen := map[string]string{}
		s = p.pattern.ReplaceAllStringFunc(s, func(v string) string {
			if p.name == "time" {
				return "<time>"
			}
			kind := p.name
			if p.name == "id" {
				kind = v[:3]
			} else if p.name == "secret" {
				kind = "secret-" + strings.TrimRight(v[:4], ":_")
			}
			if n, ok := seen[v]; ok {
				return n
			}
			n := fmt.Sprintf("<%s-%d>", kind, countPrefix(seen, kind)+1)
			seen[v] = n
			return n
		})
	}
	seen := map[string]string{}
	s = ellaTokenID.ReplaceAllStringFunc(s, func(m string) string {
		parts := ellaTokenID.FindStringSubmatch(m)
		if !ellaTokenShape.MatchString(parts[2]) || timeLike.MatchString(parts[2]) {
			return m
		}
		n, ok := seen[parts[2]]
		if !ok {
			n = fmt.Sprintf("<token-id-%d>", len(seen)+1)
			seen[parts[2]] = n
		}
		return parts[1] + n + parts[3]
	})
	return s
}

func countPrefix(seen map[string]string, kind string) int {
	n := 0
	for _, v := range seen {
		if strings.HasPrefix(v, "<"+kind+"-") {
			n++
		}
	}
	return n
}
