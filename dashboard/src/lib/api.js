// The dashboard's one way to the server: the public admin API under
// /api/v1, with the session's bearer token. Errors are the API's problem
// documents, thrown as ApiError.
import { goto } from '$app/navigation';
import { session } from './session.svelte.js';

export const API = '/api/v1';

export class ApiError extends Error {
	/** @param {number} status @param {any} problem */
	constructor(status, problem) {
		super(problem?.detail || `HTTP ${status}`);
		this.status = status;
		this.problem = problem || {};
		this.code = this.problem.code || '';
	}
}

/**
 * Calls the API. body is sent as JSON; the answer is parsed JSON, or null
 * for 204. A 401 ends the session (the token was revoked or expired).
 * @param {string} path under /api/v1
 * @param {{method?: string, body?: any, token?: string, signal?: AbortSignal}} [opts]
 */
export async function api(path, opts = {}) {
	const token = opts.token ?? session.token;
	/** @type {Record<string,string>} */
	const headers = { Accept: 'application/json' };
	if (token) headers.Authorization = `Bearer ${token}`;
	let body;
	if (opts.body !== undefined) {
		headers['Content-Type'] = 'application/json';
		body = JSON.stringify(opts.body);
	}
	const res = await fetch(API + path, { method: opts.method || 'GET', headers, body, signal: opts.signal });
	if (res.status === 204) return null;
	const text = await res.text();
	let data = null;
	try {
		data = text ? JSON.parse(text) : null;
	} catch {
		data = { detail: text };
	}
	if (!res.ok) {
		const err = new ApiError(res.status, data);
		if (res.status === 401 && !opts.token && session.token) {
			session.signOut(err.message);
			goto('/signin');
		}
		throw err;
	}
	return data;
}

/** Encodes a path segment. @param {string} s */
export const seg = (s) => encodeURIComponent(s);

/** Builds a query string from the members that are set. @param {Record<string, any>} q */
export function query(q) {
	const p = new URLSearchParams();
	for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
	const s = p.toString();
	return s ? `?${s}` : '';
}
