// The cron preview: the next five fire times in the schedule's zone from
// the server, or the server's reason the schedule is invalid.
import { describe, it, expect, afterEach } from 'vitest';
import { mount, unmount, flushSync } from 'svelte';
import CronPreview from '../../src/lib/components/CronPreview.svelte';
import { ApiError } from '../../src/lib/api.js';

const settle = (ms = 5) => new Promise((r) => setTimeout(r, ms));

/** @type {Record<string, any>|null} */
let component = null;
afterEach(() => {
	if (component) unmount(component);
	component = null;
	document.body.innerHTML = '';
});

function render(preview) {
	const props = $state({ schedule: '', tz: 'UTC', valid: false });
	component = mount(CronPreview, {
		target: document.body,
		props: {
			get schedule() { return props.schedule; },
			get tz() { return props.tz; },
			get valid() { return props.valid; },
			set valid(v) { props.valid = v; },
			preview,
			delay: 1
		}
	});
	const box = () => /** @type {HTMLElement} */ (document.querySelector('[data-testid=cron-preview]'));
	return { props, box };
}

/** The server's answer for weekdays at 9 in Berlin, from a Friday. */
async function weekdaysAt9(schedule, tz) {
	if (schedule !== '0 9 * * 1-5') throw new ApiError(400, { code: 'invalid_schedule', reason: `bad schedule ${JSON.stringify(schedule)}: expected 5 or 6 fields` });
	return {
		schedule, time_zone: tz,
		next: ['2030-01-07T09:00:00+01:00', '2030-01-08T09:00:00+01:00', '2030-01-09T09:00:00+01:00', '2030-01-10T09:00:00+01:00', '2030-01-11T09:00:00+01:00']
	};
}

describe('CronPreview', () => {
	it('lists the next five fire times in the schedule\'s zone', async () => {
		const calls = [];
		const { props, box } = render(async (s, tz) => (calls.push([s, tz]), weekdaysAt9(s, tz)));
		props.schedule = '0 9 * * 1-5';
		props.tz = 'Europe/Berlin';
		flushSync();
		await settle();
		flushSync();
		const items = [...box().querySelectorAll('li')].map((li) => li.textContent);
		expect(items).toHaveLength(5);
		expect(items[0]).toMatch(/Mon.*07.*Jan.*2030.*09:00:00/);
		expect(items[4]).toMatch(/Fri.*11.*Jan.*2030.*09:00:00/);
		expect(box().textContent).toContain('(Europe/Berlin)');
		expect(props.valid).toBe(true);
		expect(calls).toEqual([['0 9 * * 1-5', 'Europe/Berlin']]); // one call for both changes
	});

	it('shows the server\'s reason for an invalid schedule', async () => {
		const { props, box } = render(weekdaysAt9);
		props.schedule = '0 9 * *';
		flushSync();
		await settle();
		flushSync();
		expect(box().textContent).toContain('expected 5 or 6 fields');
		expect(box().querySelectorAll('li')).toHaveLength(0);
		expect(props.valid).toBe(false);
	});

	it('explains the syntax while the field is empty', () => {
		const { box } = render(weekdaysAt9);
		flushSync();
		expect(box().textContent).toContain('5 fields');
	});
});
