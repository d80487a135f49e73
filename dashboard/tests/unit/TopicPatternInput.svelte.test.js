// The pub/sub pattern field: it asks the server's validator as the user
// types and shows its verdict; only the answer to the latest input counts.
import { describe, it, expect, afterEach } from 'vitest';
import { mount, unmount, flushSync } from 'svelte';
import TopicPatternInput from '../../src/lib/components/TopicPatternInput.svelte';

/** Waits for the debounce timers and pending promises. */
const settle = (ms = 5) => new Promise((r) => setTimeout(r, ms));

/** A validator with the server's answers for a few patterns, recording its calls. */
function fakeValidator() {
	const calls = [];
	/** @param {string} p */
	const validate = async (p) => {
		calls.push(p);
		if (p === 'orders.*') return { pattern: p, valid: true, kind: 'prefix', error: null };
		if (p === '*') return { pattern: p, valid: true, kind: 'all', error: null };
		if (p === 'orders.created') return { pattern: p, valid: true, kind: 'exact', error: null };
		return {
			pattern: p, valid: false,
			error: { message: `topic pattern ${JSON.stringify(p)}: "*" may only be the whole pattern or its last segment`, reason: '"*" may only be the whole pattern ("*") or its last segment after a dot ("orders.*")', offset: p.indexOf('*') }
		};
	};
	return { validate, calls };
}

/** @type {Record<string, any>|null} */
let component = null;
afterEach(() => {
	if (component) unmount(component);
	component = null;
	document.body.innerHTML = '';
});

function render(props) {
	const target = document.body;
	const state = $state({ value: '', valid: false });
	component = mount(TopicPatternInput, {
		target,
		props: {
			get value() { return state.value; },
			set value(v) { state.value = v; },
			get valid() { return state.valid; },
			set valid(v) { state.valid = v; },
			delay: 1,
			...props
		}
	});
	const input = /** @type {HTMLInputElement} */ (target.querySelector('input'));
	const verdict = () => /** @type {HTMLElement} */ (target.querySelector('[data-testid=topic-verdict]'));
	/** @param {string} text */
	const type = (text) => {
		input.value = text;
		input.dispatchEvent(new Event('input', { bubbles: true }));
		flushSync();
	};
	return { input, verdict, type, state };
}

describe('TopicPatternInput', () => {
	it('shows the server\'s reason and a caret for an invalid pattern', async () => {
		const v = fakeValidator();
		const { verdict, type, input, state } = render({ validate: v.validate });
		type('orders*');
		expect(verdict().textContent).toContain('Checking');
		await settle();
		flushSync();
		expect(verdict().textContent).toContain('may only be the whole pattern');
		expect(verdict().querySelector('.caret')?.textContent).toBe('orders*\n      ^');
		expect(input.classList.contains('invalid')).toBe(true);
		expect(input.getAttribute('aria-invalid')).toBe('true');
		expect(state.valid).toBe(false);
	});

	it('describes a valid pattern and reports it valid', async () => {
		const v = fakeValidator();
		const { verdict, type, state, input } = render({ validate: v.validate });
		type('orders.*');
		await settle();
		flushSync();
		expect(verdict().textContent).toContain('Valid prefix pattern');
		expect(verdict().textContent).toContain('under orders.');
		expect(input.classList.contains('valid')).toBe(true);
		expect(state.valid).toBe(true);

		type('*');
		expect(state.valid).toBe(false); // until the server says so
		await settle();
		flushSync();
		expect(verdict().textContent).toContain('matches every topic');
		expect(state.valid).toBe(true);
	});

	it('asks once for a burst of typing, and only the last answer counts', async () => {
		const v = fakeValidator();
		const { verdict, type } = render({ validate: v.validate, delay: 20 });
		for (const p of ['o', 'or', 'orders', 'orders.', 'orders.*']) type(p);
		await settle(40);
		flushSync();
		expect(v.calls).toEqual(['orders.*']);
		expect(verdict().textContent).toContain('Valid prefix pattern');
	});

	it('says so when the check itself fails, and says nothing for an empty field', async () => {
		const { verdict, type, state } = render({ validate: async () => { throw new Error('network down'); } });
		type('a.b');
		await settle();
		flushSync();
		expect(verdict().textContent).toContain('Could not check the pattern: network down');
		expect(state.valid).toBe(false);
		type('');
		expect(verdict().textContent).toContain('An exact topic');
	});
});
