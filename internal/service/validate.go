package service

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/secure/precis"

	"github.com/rosterhq/roster"
)

var (
	slugPattern     = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)
	usernamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	localePattern   = regexp.MustCompile(`^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$`)
	roleNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)
)

// Limits on input sizes.
const (
	maxNameRunes        = 200
	maxEmailBytes       = 254
	maxUsernameBytes    = 64
	maxDescriptionRunes = 500
	maxPermissions      = 100
	maxPermissionBytes  = 128
	maxRolesPerMember   = 50
	MaxBulkItems        = 1000
	maxBulkRoles        = 5000 // role names across all items of one bulk call
)

func checkSlug(v *roster.Validator, ptr, s string) {
	v.Check(slugPattern.MatchString(s), ptr,
		"must be 1 to 63 lower-case letters, digits and hyphens, starting and ending with a letter or digit")
}

// checkText checks a human-readable name: valid UTF-8, no control characters, within max runes.
func checkText(v *roster.Validator, ptr, s string, required bool, max int) {
	switch {
	case required && strings.TrimSpace(s) == "":
		v.Field(ptr, "is required")
	case !utf8.ValidString(s):
		v.Field(ptr, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		v.Field(ptr, "must be at most %d characters", max)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		v.Field(ptr, "must not contain control characters")
	}
}

func checkEmail(v *roster.Validator, ptr, s string) {
	if s == "" {
		v.Field(ptr, "is required")
		return
	}
	a, err := mail.ParseAddress(s)
	ok := err == nil && a.Address == s && a.Name == "" && len(s) <= maxEmailBytes &&
		strings.Count(s, "@") == 1 && !strings.HasSuffix(s, "@")
	v.Check(ok, ptr, fmt.Sprintf("must be a plain email address such as name@example.com, at most %d bytes", maxEmailBytes))
}

// normalizeUsername applies PRECIS (RFC 8265, UsernameCasePreserved: width mapping and NFC,
// so full-width ａｄｍｉｎ is admin) and then Roster's own rule: letters, digits and . _ -,
// no "@", so that a login with "@" is always an email. Uniqueness is case-insensitive on top.
func normalizeUsername(v *roster.Validator, ptr, s string) string {
	n, err := precis.UsernameCasePreserved.String(s)
	// A username never has the shape of a user id, so that a reference to a user is one or
	// the other.
	ok := err == nil && len(n) <= maxUsernameBytes && usernamePattern.MatchString(n) && !roster.IsID(roster.PrefixUser, strings.ToLower(n))
	v.Check(ok, ptr, fmt.Sprintf("must be 1 to %d letters, digits and . _ -, starting with a letter or digit", maxUsernameBytes))
	if !ok {
		return s
	}
	return n
}

// usernameKey is the form a login name is looked up by: PRECIS and case-folded, or "" when
// it cannot be a username.
func usernameKey(s string) string {
	n, err := precis.UsernameCaseMapped.String(s)
	if err != nil {
		return ""
	}
	return n
}

// malformedUserRef is the answer for a user reference that can name no one: not a user id,
// not an email (no "@") and not a username, such as usr_!!.
func malformedUserRef(ref string) error {
	if len(ref) > 64 {
		ref = ref[:64] + "…"
	}
	return roster.Errorf(roster.EInvalid, "%q is not a user id, an email address or a username: user ids are %s followed by 26 letters and digits, as Roster returned them.",
		ref, roster.PrefixUser)
}

// usernameBase derives a username from an email's local part.
func usernameBase(email string) string {
	local, _, _ := strings.Cut(strings.ToLower(email), "@")
	b := []byte(local)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '-'
		}
	}
	base := strings.TrimLeft(string(b), "._-")
	if base == "" {
		base = "user"
	}
	return truncate(base, maxUsernameBytes-4)
}

// normalizeLocale accepts BCP 47 tags, also written with underscores (en_US).
func normalizeLocale(v *roster.Validator, ptr, s string) string {
	s = strings.ReplaceAll(s, "_", "-")
	v.Check(len(s) <= 35 && localePattern.MatchString(s), ptr, "must be a BCP 47 language tag such as en-US")
	return s
}

// checkNewPassword records at ptr why pw may not become the password of the user with this
// username and email (see password.Policy).
func (s *Service) checkNewPassword(v *roster.Validator, ptr, pw, username, email string) {
	if why := s.cfg.PasswordPolicy.Check(pw, username, email); why != "" {
		v.Field(ptr, "%s", why)
	}
}

// CheckNewUser validates in as CreateUser would, every field at once, without creating,
// hashing or authorizing anything: for surfaces that refuse some fields themselves first and
// must still name every bad one in one answer. It returns EInvalid or nil.
func (s *Service) CheckNewUser(ctx context.Context, in CreateUserInput) error {
	pw := in.Password
	in.Password = nil // newUser then only validates
	_, err := s.newUser(ctx, in, false)
	var v roster.Validator
	if e := (*roster.Error)(nil); errors.As(err, &e) && e.Code == roster.EInvalid {
		for _, f := range e.Fields {
			v.Field(f.Pointer, "%s", f.Detail)
		}
	} else if err != nil {
		return err
	}
	if pw != nil {
		s.checkNewPassword(&v, "/password", *pw, in.Username, in.Email)
	}
	return v.Err()
}

func checkRoleName(v *roster.Validator, ptr, s string) {
	v.Check(roleNamePattern.MatchString(s) && !roster.IsID(roster.PrefixRole, s), ptr,
		"must be 1 to 64 lower-case letters, digits and _ . -, starting with a letter or digit")
}

// normalizePermissions checks each permission and returns them sorted and without duplicates.
func normalizePermissions(v *roster.Validator, ptr string, perms []string) []string {
	if len(perms) > maxPermissions {
		v.Field(ptr, "must hold at most %d permissions", maxPermissions)
		return nil
	}
	for i, p := range perms {
		v.Check(len(p) <= maxPermissionBytes && permissionPattern.MatchString(p), fmt.Sprintf("%s/%d", ptr, i),
			`must be "*" or colon-separated lower-case segments such as "members:read" or "billing:*"`)
	}
	out := slices.Clone(perms)
	slices.Sort(out)
	return slices.Compact(out)
}

// CheckEmail returns EInvalid unless s is a plain email address as Roster accepts them, for
// surfaces that must check it before other fields.
func CheckEmail(s string) error {
	var v roster.Validator
	checkEmail(&v, "/email", s)
	return v.Err()
}

// CheckSlug returns EInvalid unless s is a valid tenant slug, for configuration that names one.
func CheckSlug(s string) error {
	var v roster.Validator
	checkSlug(&v, "/slug", s)
	return v.Err()
}
