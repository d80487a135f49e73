// Rhai syntax highlighting for CodeMirror 6: a small hand-written tokenizer
// run by StreamLanguage (no Lezer grammar). It knows keywords, strings
// ("…" with escapes, '…' characters, back-tick strings that span lines with
// ${…} interpolation, nested to any depth), numbers (1_000, 0x1f, 0o17,
// 0b1, 1.5e-3), comments (// and nested /* */) and operators.
import { StreamLanguage } from '@codemirror/language';

const keywords = new Set([
	'let', 'const', 'if', 'else', 'switch', 'while', 'loop', 'do', 'until', 'for', 'in', 'break',
	'continue', 'return', 'throw', 'try', 'catch', 'fn', 'private', 'import', 'export', 'as',
	'global', 'is', 'this'
]);
const atoms = new Set(['true', 'false']);
const builtins = new Set([
	'print', 'debug', 'type_of', 'is_def_fn', 'is_def_var', 'Fn', 'call', 'curry', 'timestamp',
	'eval', 'exit'
]);

/**
 * The tokenizer's state: the depth of nested block comments, and a stack
 * of open back-tick strings and the ${…} code inside them (with the number
 * of { opened in that code, so that its own } does not end it).
 * @typedef {{comment: number, stack: Array<{tpl: true} | {braces: number}>}} State
 */

/** @type {import('@codemirror/language').StreamParser<State>} */
export const rhaiParser = {
	name: 'rhai',
	startState: () => ({ comment: 0, stack: [] }),
	copyState: (s) => ({ comment: s.comment, stack: s.stack.map((f) => ({ ...f })) }),
	token(stream, state) {
		if (state.comment > 0) return blockComment(stream, state);
		const top = state.stack[state.stack.length - 1];
		if (top && 'tpl' in top) {
			if (stream.eat('`')) {
				state.stack.pop();
				return 'string';
			}
			if (stream.match('${')) {
				state.stack.push({ braces: 0 });
				return 'meta';
			}
			while (!stream.eol()) {
				if (stream.peek() === '`' || stream.match('${', false)) break;
				stream.next();
			}
			return 'string';
		}
		if (stream.eatSpace()) return null;
		if (stream.match('//')) {
			stream.skipToEnd();
			return 'comment';
		}
		if (stream.match('/*')) {
			state.comment = 1;
			return blockComment(stream, state);
		}
		const ch = stream.peek();
		if (ch === '`') {
			stream.next();
			state.stack.push({ tpl: true });
			return 'string';
		}
		if (ch === '"' || ch === "'") {
			stream.next();
			let escaped = false;
			while (!stream.eol()) {
				const c = stream.next();
				if (c === ch && !escaped) break;
				escaped = !escaped && c === '\\';
			}
			return 'string';
		}
		if (stream.match(/^0x[0-9a-fA-F_]+/) || stream.match(/^0o[0-7_]+/) || stream.match(/^0b[01_]+/)) return 'number';
		if (stream.match(/^[0-9][0-9_]*(\.[0-9][0-9_]*)?([eE][+-]?[0-9]+)?/)) return 'number';
		if (stream.match('#{')) {
			if (top && 'braces' in top) top.braces++; // its } must not end the ${
			return 'bracket';
		}
		if (ch === '{' || ch === '}') {
			stream.next();
			if (top && 'braces' in top) {
				if (ch === '{') top.braces++;
				else if (top.braces === 0) {
					state.stack.pop(); // the } that closes ${
					return 'meta';
				} else top.braces--;
			}
			return 'bracket';
		}
		if (stream.match(/^[A-Za-z_][A-Za-z0-9_]*/)) {
			const w = stream.current();
			if (keywords.has(w)) return 'keyword';
			if (atoms.has(w)) return 'atom';
			if (stream.match('::', false)) return 'namespace';
			if (builtins.has(w)) return 'variableName.standard';
			if (stream.match(/^\s*\(/, false)) return 'variableName.function';
			return 'variableName';
		}
		if (stream.match(/^(\?\?|\?\.|\?\[|::|=>|\.\.=?|\*\*=?|<<=?|>>=?|[-+*/%&|^!=<>]=?|&&|\|\||[~?:.,;@$#])/)) {
			const op = stream.current();
			return op === ',' || op === ';' ? 'punctuation' : 'operator';
		}
		if (stream.match(/^[()[\]]/)) return 'bracket';
		stream.next();
		return null;
	},
	languageData: { commentTokens: { line: '//', block: { open: '/*', close: '*/' } }, closeBrackets: { brackets: ['(', '[', '{', '"', '`'] } }
};

/** @param {import('@codemirror/language').StringStream} stream @param {State} state */
function blockComment(stream, state) {
	while (!stream.eol()) {
		if (stream.match('/*')) state.comment++;
		else if (stream.match('*/')) {
			state.comment--;
			if (state.comment === 0) break;
		} else stream.next();
	}
	return 'comment';
}

export const rhai = StreamLanguage.define(rhaiParser);
