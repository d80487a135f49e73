// Package dashboard serves the web dashboard's built files, embedded in the
// binary from build/.
//
// `make dashboard` builds the SvelteKit app (src/) into build/app/, which is
// not committed; the repository commits build/index.html, a placeholder
// page that says how to build the real one, so that `go build` works without
// Node.js. The handler serves build/app when the binary was built after
// `make dashboard`, and the placeholder otherwise.
package dashboard

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed all:build
var files embed.FS

// Handler serves the dashboard. Paths that name no file and have no
// extension get index.html, so the single-page app's client-side routes
// (/apps/shop/scripts) survive a reload and a deep link; unknown assets get
// 404.
func Handler() http.Handler {
	root, err := fs.Sub(files, "build")
	if err != nil {
		panic("dashboard: build/ is not embedded: " + err.Error()) // cannot happen: the embed directive names it
	}
	return newHandler(root)
}

// Built reports whether the binary embeds the real dashboard rather than
// the placeholder.
func Built() bool {
	_, err := fs.Stat(files, "build/app/index.html")
	return err == nil
}

// newHandler serves the app in root's app/ when it has an index.html, else
// root itself (the placeholder).
func newHandler(root fs.FS) http.Handler {
	if app, err := fs.Sub(root, "app"); err == nil {
		if _, err := fs.Stat(app, "index.html"); err == nil {
			root = app
		}
	}
	return &handler{root: root, files: http.FileServerFS(root)}
}

type handler struct {
	root  fs.FS
	files http.Handler
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	if _, err := fs.Stat(h.root, name); err != nil && path.Ext(name) == "" {
		name = "index.html"
		r = r.Clone(r.Context())
		r.URL.Path = "/"
	}
	switch {
	case strings.HasPrefix(name, "_app/immutable/"):
		// Named by their content's hash: cache them for good.
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	case name == "index.html":
		// The shell names the current assets: always revalidate it.
		w.Header().Set("Cache-Control", "no-cache")
	}
	h.files.ServeHTTP(w, r)
}
