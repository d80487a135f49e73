// Package dashboard serves the web dashboard's built files, embedded in the
// binary from build/. The repository commits a placeholder build/index.html
// so the binary builds without Node.js; `make dashboard` replaces build/ with
// the real application.
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
// survive a reload; unknown assets get 404.
func Handler() http.Handler {
	root, err := fs.Sub(files, "build")
	if err != nil {
		panic("dashboard: build/ is not embedded: " + err.Error()) // cannot happen: the embed directive names it
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
		r = r.Clone(r.Context())
		r.URL.Path = "/"
	}
	h.files.ServeHTTP(w, r)
}
