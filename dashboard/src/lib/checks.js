// The API's checks the trigger forms call as the user types.
import { api, query } from './api.js';

/**
 * GET /topics/validate: the server's verdict on a pub/sub pattern.
 * @param {string} pattern
 * @returns {Promise<{valid: boolean, kind?: string, error: {message: string, reason: string, offset: number}|null}>}
 */
export const validateTopic = (pattern) => api(`/topics/validate${query({ pattern })}`);

/**
 * GET /cron/preview: the next five fire times, or an ApiError whose
 * problem says what is wrong with the schedule or the zone.
 * @param {string} schedule
 * @param {string} tz
 * @returns {Promise<{schedule: string, time_zone: string, next: string[]}>}
 */
export const previewCron = (schedule, tz) => api(`/cron/preview${query({ schedule, tz })}`);

/**
 * Calls fn(value) once value has stopped changing for ms; a call whose
 * value was overtaken by a newer one is dropped, so answers never arrive
 * out of order.
 * @template T, R
 * @param {(v: T) => Promise<R>} fn
 * @param {number} ms
 */
export function debounced(fn, ms) {
	/** @type {ReturnType<typeof setTimeout>|undefined} */
	let timer;
	let seq = 0;
	/** @param {T} v @param {(r: {ok: true, value: R} | {ok: false, error: any}) => void} done */
	return (v, done) => {
		clearTimeout(timer);
		const mine = ++seq;
		timer = setTimeout(async () => {
			try {
				const value = await fn(v);
				if (mine === seq) done({ ok: true, value });
			} catch (error) {
				if (mine === seq) done({ ok: false, error });
			}
		}, ms);
	};
}
