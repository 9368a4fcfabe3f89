package password

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxBytes is the longest password accepted, after normalization. Nothing is ever truncated.
const MaxBytes = 1024

// Normalize returns the form of a password that is hashed and compared: Unicode NFKC, so that
// the same password typed on different keyboards (full-width digits, composed accents) is one.
func Normalize(pw string) string { return norm.NFKC.String(pw) }

//go:embed common-passwords.txt
var commonList string

var (
	commonOnce sync.Once
	common     map[string]bool
)

// IsCommon reports whether a password (compared case-insensitively) is among the 10,000 most
// common ones (see common-passwords.LICENSE for the list's origin).
func IsCommon(pw string) bool {
	commonOnce.Do(func() {
		lines := strings.Split(strings.TrimSpace(commonList), "\n")
		common = make(map[string]bool, len(lines))
		for _, l := range lines {
			common[l] = true
		}
	})
	return common[strings.ToLower(Normalize(pw))]
}

// Policy is what a new password must satisfy. NIST SP 800-63B: a minimum length, no
// composition rules, no common or context-specific passwords.
type Policy struct {
	MinLength int // in Unicode code points, after normalization
}

// DefaultPolicy is the policy of a zero-setup server.
var DefaultPolicy = Policy{MinLength: 8}

// Check returns why pw may not be a password for the user with the given username and email,
// or "" when it may.
func (p Policy) Check(pw, username, email string) string {
	n := Normalize(pw)
	switch {
	case !utf8.ValidString(n):
		return "must be valid UTF-8"
	case utf8.RuneCountInString(n) < p.MinLength:
		return fmt.Sprintf("must be at least %d characters long", p.MinLength)
	case len(n) > MaxBytes:
		return fmt.Sprintf("must be at most %d bytes long", MaxBytes)
	case IsCommon(n):
		return "is one of the most common passwords; choose another"
	}
	lower := strings.ToLower(n)
	local, _, _ := strings.Cut(strings.ToLower(email), "@")
	for _, part := range []string{strings.ToLower(username), local} {
		if len(part) >= 3 && strings.Contains(lower, part) {
			return "must not contain your username or the name part of your email"
		}
	}
	return ""
}
