package web

import (
	"fmt"
	"strings"
)

// Catalog holds the translations of the pages' texts, by language (the primary subtag of a
// BCP 47 tag: "de" for "de-CH") and by the English text, which is the key and the fallback.
// Templates translate with {{.T "Sign in"}}; texts with arguments use fmt verbs:
// {{.T "%d members" .Data.Count}}.
type Catalog map[string]map[string]string

// Translate returns key in lang, formatted with args.
func (c Catalog) Translate(lang, key string, args ...any) string {
	primary, _, _ := strings.Cut(strings.ToLower(lang), "-")
	if s, ok := c[primary][key]; ok {
		key = s
	}
	if len(args) == 0 {
		return key
	}
	return fmt.Sprintf(key, args...)
}
