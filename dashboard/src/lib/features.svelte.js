// What this server's API offers, read from its OpenAPI document: pages
// whose endpoints the server does not have stay out of the navigation.
import { API } from './api.js';

class Features {
	/** @type {Set<string>} "METHOD /path" of every operation */
	ops = $state(new Set());
	loaded = $state(false);

	async load() {
		if (this.loaded) return;
		const res = await fetch(`${API}/openapi.json`);
		const doc = await res.json();
		const ops = new Set();
		for (const [path, item] of Object.entries(doc.paths || {}))
			for (const m of Object.keys(item)) ops.add(`${m.toUpperCase()} ${path}`);
		this.ops = ops;
		this.loaded = true;
	}

	/** @param {string} op e.g. "POST /apps/{app}/pubsub/publish" */
	has(op) {
		return this.ops.has(op);
	}

	get deliveries() {
		return [...this.ops].some((o) => o.includes('/apps/{app}/deliveries') || o.includes('/apps/{app}/outbox'));
	}

	get kv() {
		return [...this.ops].some((o) => o.startsWith('GET /apps/{app}/kv'));
	}
}

export const features = new Features();
