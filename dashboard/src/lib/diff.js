// A line diff: the longest common subsequence of the two texts' lines,
// after trimming the common head and tail (which is most of a script's
// typical change). Small and dependency-free; scripts are small.

/** @typedef {{op: ' ' | '-' | '+', text: string, a: number|null, b: number|null}} DiffLine */

const MAX_CELLS = 16e6;

/**
 * @param {string} before
 * @param {string} after
 * @returns {DiffLine[]} every line of both texts in order, with the line
 *   numbers it has in before (a) and after (b)
 */
export function lineDiff(before, after) {
	const a = split(before);
	const b = split(after);
	let head = 0;
	while (head < a.length && head < b.length && a[head] === b[head]) head++;
	let tail = 0;
	while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
	const am = a.slice(head, a.length - tail);
	const bm = b.slice(head, b.length - tail);

	/** @type {DiffLine[]} */
	const out = [];
	for (let i = 0; i < head; i++) out.push({ op: ' ', text: a[i], a: i + 1, b: i + 1 });
	const n = am.length;
	const m = bm.length;
	if (n * m > MAX_CELLS) {
		am.forEach((t, i) => out.push({ op: '-', text: t, a: head + i + 1, b: null }));
		bm.forEach((t, j) => out.push({ op: '+', text: t, a: null, b: head + j + 1 }));
	} else {
		// lcs[i][j]: the LCS length of am[i:] and bm[j:].
		const w = m + 1;
		const lcs = new Uint32Array((n + 1) * w);
		for (let i = n - 1; i >= 0; i--)
			for (let j = m - 1; j >= 0; j--)
				lcs[i * w + j] = am[i] === bm[j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
		let i = 0;
		let j = 0;
		while (i < n || j < m) {
			if (i < n && j < m && am[i] === bm[j]) {
				out.push({ op: ' ', text: am[i], a: head + i + 1, b: head + j + 1 });
				i++;
				j++;
			} else if (i < n && (j === m || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])) {
				out.push({ op: '-', text: am[i], a: head + i + 1, b: null });
				i++;
			} else {
				out.push({ op: '+', text: bm[j], a: null, b: head + j + 1 });
				j++;
			}
		}
	}
	for (let k = tail; k > 0; k--)
		out.push({ op: ' ', text: a[a.length - k], a: a.length - k + 1, b: b.length - k + 1 });
	return out;
}

/** @param {string} s */
function split(s) {
	if (s === '') return [];
	const lines = s.split('\n');
	if (lines[lines.length - 1] === '') lines.pop();
	return lines;
}

/** Counts the added and removed lines. @param {DiffLine[]} d */
export function diffStat(d) {
	let added = 0;
	let removed = 0;
	for (const l of d) {
		if (l.op === '+') added++;
		else if (l.op === '-') removed++;
	}
	return { added, removed };
}
