// The Rhai highlighter's tokenizer, run line by line as CodeMirror does.
import { describe, it, expect } from 'vitest';
import { StringStream } from '@codemirror/language';
import { rhaiParser } from '../../src/lib/rhai.js';

/** Tokenizes src into [text, style] pairs, skipping whitespace. @param {string} src */
function tokens(src) {
	const state = rhaiParser.startState(2);
	const out = [];
	for (const line of src.split('\n')) {
		const stream = new StringStream(line, 4, 2);
		while (!stream.eol()) {
			const style = rhaiParser.token(stream, state);
			const text = stream.current();
			if (text.trim()) out.push([text, style]);
			stream.start = stream.pos;
		}
	}
	return out;
}

describe('the Rhai tokenizer', () => {
	it('tells keywords, names, numbers, strings and operators apart', () => {
		expect(tokens('let x = 1_000 + 0x1f;')).toEqual([
			['let', 'keyword'], ['x', 'variableName'], ['=', 'operator'], ['1_000', 'number'],
			['+', 'operator'], ['0x1f', 'number'], [';', 'punctuation']
		]);
		expect(tokens('if a ?? true { print("a\\"b") }')).toEqual([
			['if', 'keyword'], ['a', 'variableName'], ['??', 'operator'], ['true', 'atom'], ['{', 'bracket'],
			['print', 'variableName.standard'], ['(', 'bracket'], ['"a\\"b"', 'string'], [')', 'bracket'], ['}', 'bracket']
		]);
		expect(tokens('kv::get(k)').slice(0, 3)).toEqual([['kv', 'namespace'], ['::', 'operator'], ['get', 'variableName.function']]);
	});

	it('follows back-tick strings across lines and into ${…}, braces included', () => {
		const t = tokens('`a ${ #{x: 1}.x } b\nc` + 1');
		expect(t).toEqual([
			['`', 'string'], ['a ', 'string'], ['${', 'meta'], ['#{', 'bracket'], ['x', 'variableName'], [':', 'operator'],
			['1', 'number'], ['}', 'bracket'], ['.', 'operator'], ['x', 'variableName'], ['}', 'meta'], [' b', 'string'],
			['c', 'string'], ['`', 'string'], ['+', 'operator'], ['1', 'number']
		]);
	});

	it('nests block comments and ends line comments at the line', () => {
		expect(tokens('/* a /* b */ c */ x // y\nz')).toEqual([
			['/* a /* b */ c */', 'comment'], ['x', 'variableName'], ['// y', 'comment'], ['z', 'variableName']
		]);
	});
});
