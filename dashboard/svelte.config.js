import adapter from '@sveltejs/adapter-static';

// A single-page app: nothing is prerendered or rendered on a server. The
// adapter writes the shell as build/app/index.html, which the Go handler
// (dashboard.go) serves for every path that names no file. build/app and
// not build/ itself, so that build/index.html, the committed placeholder,
// survives a build (docs/RATIONALE.md, "The dashboard's build output").
/** @type {import('@sveltejs/kit').Config} */
export default {
	kit: {
		adapter: adapter({ pages: 'build/app', assets: 'build/app', fallback: 'index.html', strict: false }),
		router: { type: 'pathname' },
		version: { pollInterval: 0 }
	}
};
