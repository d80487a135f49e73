// The apps the token sees, for the sidebar's switcher.
import { api } from './api.js';
import { session } from './session.svelte.js';

class Apps {
	/** @type {Array<{slug: string, description: string}>} */
	list = $state([]);
	loaded = $state(false);

	async load() {
		if (!session.can('app:read')) {
			// Without app:read the list is forbidden; a restricted token
			// still knows its one app.
			this.list = session.who?.app ? [{ slug: session.who.app, description: '' }] : [];
			this.loaded = true;
			return;
		}
		const out = [];
		let cursor = '';
		do {
			const page = await api(`/apps?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
			out.push(...page.items);
			cursor = page.next_cursor || '';
		} while (cursor);
		this.list = out;
		this.loaded = true;
	}
}

export const apps = new Apps();
