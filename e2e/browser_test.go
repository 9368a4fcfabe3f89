package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// EnvRequireBrowser, when set, makes the browser tests fail instead of skipping when no
// Chromium is installed. CI sets it.
const EnvRequireBrowser = "ROSTER_TEST_REQUIRE_BROWSER"

// One headless Chromium serves every browser test of the package, in one tab reused from
// test to test (cookies cleared in between): starting a browser costs about a second, a tab a
// few hundred milliseconds.
var shared struct {
	mu      sync.Mutex
	started bool
	err     error
	cancel  []context.CancelFunc
	tab     context.Context
	dir     string
}

func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// closeBrowser stops the shared browser, if one was started.
func closeBrowser() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	for i := len(shared.cancel) - 1; i >= 0; i-- {
		shared.cancel[i]()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
}

// tab is the shared browser's tab, driven by one test at a time.
type tab struct {
	t   *testing.T
	ctx context.Context
	url string // the server's base URL
	n   int    // screenshots taken
	dir string // where screenshots go
}

// newTab returns the shared tab with no cookies, for a test against the server at baseURL.
// Without Chromium the test is skipped, unless EnvRequireBrowser is set.
func newTab(t *testing.T, baseURL string) *tab {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv(EnvRequireBrowser) != "" {
			t.Fatalf("%s is set but no chromium is installed (apt-get install chromium)", EnvRequireBrowser)
		}
		t.Skip("no chromium installed: the browser tests are skipped (apt-get install chromium to run them)")
	}
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.started {
		shared.started = true
		shared.err = startBrowser(path)
	}
	if shared.err != nil {
		t.Fatalf("start chromium: %v", shared.err)
	}
	ctx := shared.tab
	if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		t.Fatalf("clear cookies: %v", err)
	}
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		_, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name, AllowWithoutSanitization: name == "clipboard-write"},
			Setting:    browser.PermissionSettingGranted, Origin: baseURL})
		if err != nil {
			t.Fatalf("grant %s: %v", name, err)
		}
	}
	dir := os.Getenv("ROSTER_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &tab{t: t, ctx: ctx, url: baseURL, dir: dir}
}

func startBrowser(path string) error {
	dir, err := os.MkdirTemp("", "roster-chromium-")
	if err != nil {
		return err
	}
	shared.dir = dir
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(dir),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.WindowSize(1280, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	shared.cancel = append(shared.cancel, cancelAlloc, cancelCtx)
	if err := chromedp.Do(ctx); err != nil { // starts the browser, bound to no test's deadline
		return err
	}
	// A headless tab is never focused, and the clipboard API works only in a focused page.
	if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		return err
	}
	shared.tab = ctx
	return nil
}

// step runs actions with a deadline, failing the test on an error.
func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v (at %s)", err, b.location())
	}
}

// load runs actions that end in a page load (a navigation, a click on a submit button) and
// returns the status of the page loaded.
func (b *tab) load(actions ...chromedp.Action[chromedp.Void]) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		b.t.Fatalf("browser: %v (at %s)", err, b.location())
	}
	if res == nil {
		return 0
	}
	return int(res.Status)
}

// visit opens a console path and returns its status.
func (b *tab) visit(path string) int {
	b.t.Helper()
	return b.load(chromedp.Navigate(b.url + path))
}

// submit clicks a form's submit button (a CSS selector) and returns the next page's status.
func (b *tab) submit(button string) int {
	b.t.Helper()
	return b.load(chromedp.Click(chromedp.CSS(button)))
}

// fill sets form fields: CSS selector → value.
func (b *tab) fill(fields ...string) {
	b.t.Helper()
	var actions []chromedp.Action[chromedp.Void]
	for i := 0; i+1 < len(fields); i += 2 {
		actions = append(actions, chromedp.SetValue(chromedp.CSS(fields[i]), fields[i+1]))
	}
	b.do(actions...)
}

// text returns the text of the first element matching a CSS selector.
func (b *tab) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v (at %s)", sel, err, b.location())
	}
	return s
}

// count returns how many elements match a CSS selector.
func (b *tab) count(sel string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
	if err != nil {
		b.t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

// eval evaluates JavaScript in the page.
func eval[T any](b *tab, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("eval %s: %v", js, err)
	}
	return v
}

func (b *tab) location() string {
	loc, _ := chromedp.Run(b.ctx, chromedp.Location())
	return loc
}

// screenshot saves the page as NN-name.png in the screenshot directory.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	b.n++
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	file := filepath.Join(b.dir, fmt.Sprintf("%02d-%s-%s.png", b.n, strings.ReplaceAll(b.t.Name(), "/", "_"), name))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// check ticks (or clears) the checkboxes matching a CSS selector.
func (b *tab) check(sel string, on bool) {
	b.t.Helper()
	n := eval[int](b, fmt.Sprintf(`(() => { const els = document.querySelectorAll(%q); els.forEach(e => e.checked = %t); return els.length })()`, sel, on))
	if n == 0 {
		b.t.Fatalf("no checkbox %s at %s", sel, b.location())
	}
}

// signIn signs in through the console's form and fails unless it lands on the tenants page.
func (b *tab) signIn(login, password string) {
	b.t.Helper()
	b.visit("/console/sign-in")
	b.do(chromedp.SendKeys(chromedp.CSS("#f-login"), login), chromedp.SendKeys(chromedp.CSS("#f-password"), password))
	if status := b.submit("#sign-in button[type=submit]"); status != 200 || !strings.HasSuffix(b.location(), "/console/tenants") {
		b.t.Fatalf("sign in as %s: status %d at %s: %s", login, status, b.location(), b.text("main"))
	}
}

// at fails unless the tab shows the page at path (the part of the URL after the host).
func (b *tab) at(path string) {
	b.t.Helper()
	if loc := strings.TrimPrefix(b.location(), b.url); loc != path {
		b.t.Fatalf("at %s, want %s", loc, path)
	}
}
