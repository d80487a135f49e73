import { describe, it, expect } from 'vitest';
import { lineDiff, diffStat } from '../../src/lib/diff.js';

const render = (d) => d.map((l) => `${l.op}${l.text}`).join('\n');

describe('lineDiff', () => {
	it('marks a changed line as removed then added, with both line numbers', () => {
		const d = lineDiff('a\nb\nc\n', 'a\nB\nc\n');
		expect(render(d)).toBe(' a\n-b\n+B\n c');
		expect(d.map((l) => [l.a, l.b])).toEqual([[1, 1], [2, null], [null, 2], [3, 3]]);
		expect(diffStat(d)).toEqual({ added: 1, removed: 1 });
	});

	it('finds insertions and deletions in the middle', () => {
		expect(render(lineDiff('1\n2\n3\n4\n5', '1\n3\n4\nx\n5'))).toBe(' 1\n-2\n 3\n 4\n+x\n 5');
	});

	it('handles empty texts', () => {
		expect(lineDiff('', '')).toEqual([]);
		expect(render(lineDiff('', 'a\nb'))).toBe('+a\n+b');
		expect(render(lineDiff('a\n', ''))).toBe('-a');
	});
});
