import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// `npm run dev` proxies the API to a running picloud (PICLOUD_URL, default
// http://127.0.0.1:8080), so the dashboard is developed against the real
// server.
const target = process.env.PICLOUD_URL || 'http://127.0.0.1:8080';

export default defineConfig({
	plugins: [sveltekit()],
	server: { proxy: { '/api': { target } } },
	build: { chunkSizeWarningLimit: 1024 },
	// Component tests mount Svelte's browser build in jsdom (Svelte's
	// documented Vitest set-up).
	resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
	test: {
		include: ['tests/unit/**/*.test.js'],
		environment: 'jsdom'
	}
});
