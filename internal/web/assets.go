package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
)

//go:embed static
var staticFS embed.FS

// AssetsPath is where the server mounts Assets; every page links its assets below it.
const AssetsPath = "/assets"

// assetVersions holds a short hash of each asset, which its URLs carry so that a new build's
// assets are fetched at once while every build's may be cached for a year.
var assetVersions = func() map[string]string {
	out := map[string]string{}
	entries, _ := fs.ReadDir(staticFS, "static")
	for _, e := range entries {
		b, _ := staticFS.ReadFile("static/" + e.Name())
		sum := sha256.Sum256(b)
		out[e.Name()] = hex.EncodeToString(sum[:6])
	}
	return out
}()

// AssetURL returns the URL of an embedded asset, such as "roster.css".
func AssetURL(name string) string {
	return AssetsPath + "/" + name + "?v=" + assetVersions[name]
}

// Assets serves the embedded stylesheet and script.
type Assets struct{}

// Routes returns the route patterns Assets answers, below AssetsPath.
func (Assets) Routes() []string { return []string{"GET /{file}"} }

func (Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := path.Base(r.URL.Path)
	b, err := staticFS.ReadFile("static/" + name)
	if r.Method != http.MethodGet && r.Method != http.MethodHead || err != nil || assetVersions[name] == "" {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
	h.Set("X-Content-Type-Options", "nosniff")
	if r.URL.Query().Get("v") == assetVersions[name] {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("ETag", `"`+assetVersions[name]+`"`)
	if r.Header.Get("If-None-Match") == `"`+assetVersions[name]+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(b)
}
