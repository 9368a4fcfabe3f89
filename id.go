package roster

import (
	"encoding/base32"
	"strings"

	"github.com/google/uuid"
)

// ID prefixes name what an id refers to, so that an id read in a log or a support ticket says
// what it is, and so that ids can never be mistaken for slugs or role names.
const (
	PrefixTenant  = "tnt_"
	PrefixUser    = "usr_"
	PrefixRole    = "rol_"
	PrefixSession = "ses_"
)

// idEncoding is Crockford's base32 alphabet in lower case. Its characters are in ASCII order,
// so ids sort in the order of their UUIDv7 timestamps.
var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns a new time-ordered, opaque id with the given prefix.
func NewID(prefix string) string {
	u := uuid.Must(uuid.NewV7())
	return prefix + idEncoding.EncodeToString(u[:])
}

// IsID reports whether s has the shape of an id made by NewID with prefix.
func IsID(prefix, s string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || len(rest) != 26 {
		return false
	}
	_, err := idEncoding.DecodeString(rest)
	return err == nil
}
