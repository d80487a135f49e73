// Formatting for people.

/** @param {number} us */
export function duration(us) {
	if (us == null) return '—';
	if (us < 1000) return `${us} µs`;
	if (us < 1e6) return `${(us / 1000).toFixed(us < 1e4 ? 2 : 1)} ms`;
	return `${(us / 1e6).toFixed(2)} s`;
}

/** @param {number} n */
export function bytes(n) {
	if (n == null) return '—';
	const units = ['B', 'KiB', 'MiB', 'GiB'];
	let i = 0;
	while (n >= 1024 && i < units.length - 1) {
		n /= 1024;
		i++;
	}
	return `${i ? n.toFixed(1) : n} ${units[i]}`;
}

/** @param {number} n */
export const count = (n) => (n == null ? '—' : n.toLocaleString('en-US'));

/** @param {string|null|undefined} t */
export function time(t) {
	if (!t) return '—';
	const d = new Date(t);
	return d.toLocaleString('sv-SE', { hour12: false }).replace('T', ' ');
}

/** @param {string|null|undefined} t */
export function ago(t) {
	if (!t) return 'never';
	const s = Math.round((Date.now() - new Date(t).getTime()) / 1000);
	if (s < 5) return 'just now';
	if (s < 60) return `${s}s ago`;
	if (s < 3600) return `${Math.floor(s / 60)}m ago`;
	if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
	return `${Math.floor(s / 86400)}d ago`;
}

/** Pretty JSON of any value. @param {any} v */
export function json(v) {
	if (v === undefined) return '';
	return JSON.stringify(v, null, 2);
}
