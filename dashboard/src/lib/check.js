// Positions the API's parse errors in a CodeMirror document.

/**
 * The document offset of a 1-based line and column (the server counts
 * columns in characters, JavaScript strings in UTF-16 units).
 * @param {import('@codemirror/state').Text} doc
 * @param {number} line
 * @param {number} column
 */
export function offsetOf(doc, line, column) {
	if (!line || line < 1) return 0;
	if (line > doc.lines) return doc.length;
	const l = doc.line(line);
	let off = 0;
	let chars = 1;
	for (const ch of l.text) {
		if (chars >= (column || 1)) break;
		off += ch.length;
		chars++;
	}
	return l.from + off;
}

/**
 * A lint diagnostic for a parse error {line, column, message}: it
 * underlines the word at the position (or the character, or the line end).
 * @param {import('@codemirror/state').Text} doc
 * @param {{line: number, column: number, message: string}} err
 * @returns {import('@codemirror/lint').Diagnostic}
 */
export function diagnosticFor(doc, err) {
	let from = offsetOf(doc, err.line, err.column);
	const line = doc.lineAt(from);
	let to = from;
	const rest = line.text.slice(from - line.from);
	const word = /^[A-Za-z0-9_]+/.exec(rest);
	if (word) to = from + word[0].length;
	else if (rest.length) to = from + 1;
	else if (from > line.from) from--; // at the line's end: mark its last character
	return { from, to, severity: 'error', message: `${err.line}:${err.column}: ${err.message}`, source: 'parser' };
}
