package service

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every action the service audits is decided: it emits the event eventTypes names, or it is
// listed in notEvents. A new audited write that forgot its event fails here.
func TestEveryAuditActionIsDecided(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	action := regexp.MustCompile(`(?:action: |[a-zA-Z]+Event\()"([a-z_]+\.[a-z_]+)"`)
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range action.FindAllStringSubmatch(string(src), -1) {
			found++
			if _, ok := eventTypes[m[1]]; !ok && !notEvents[m[1]] {
				t.Errorf("%s: audited action %q emits no event and is not in notEvents", f, m[1])
			}
		}
	}
	if found < 20 {
		t.Errorf("found only %d audited actions in the service's files; the pattern no longer matches how actions are written", found)
	}
}
