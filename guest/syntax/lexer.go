package syntax

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// lexer turns source text into tokens, one at a time, following Rhai's
// tokenizer: the same literal forms, escapes, comments, reserved symbols and
// positions (1-based line and column, columns counting characters).
//
// It works on the source bytes directly: identifiers and escape-free strings
// are substrings of the source, and only strings with escapes allocate.
type lexer struct {
	src  string
	off  int   // byte offset of the next character
	line int32 // position of src[off]
	col  int32

	// unaryNext is set when the previous token cannot end an operand, so a
	// '-' directly followed by a digit starts a negative number literal (as
	// in Rhai, this is how -9223372036854775808 is written).
	unaryNext bool

	// Interpolated back-tick strings: depth counts the open braces; interps
	// holds, for each `${` being lexed, the depth its block opened at; and
	// resumeText asks for the string's text to continue on the next call.
	depth      int
	interps    []int
	resumeText bool

	err *Error // the first lexical error; sticky
}

func newLexer(src string) *lexer {
	l := &lexer{src: src, line: 1, col: 1, unaryNext: true}
	// A leading shebang line is skipped, as Rhai does for script files.
	if strings.HasPrefix(src, "#!") {
		if i := strings.IndexByte(src, '\n'); i >= 0 {
			l.off = i
		} else {
			l.off = len(src)
		}
		l.col = int32(utf8.RuneCountInString(src[:l.off])) + 1
	}
	return l
}

func (l *lexer) pos() Pos { return Pos{l.line, l.col} }

// peekByte returns the byte i bytes ahead of the next one, or 0 past the end.
func (l *lexer) peekByte(i int) byte {
	if l.off+i < len(l.src) {
		return l.src[l.off+i]
	}
	return 0
}

// skip advances over n bytes that are ASCII and not '\n'.
func (l *lexer) skip(n int) {
	l.off += n
	l.col += int32(n)
}

// nextRune consumes and returns the next character, keeping the position.
func (l *lexer) nextRune() rune {
	c := l.src[l.off]
	if c < utf8.RuneSelf {
		l.off++
		if c == '\n' {
			l.line++
			l.col = 1
		} else {
			l.col++
		}
		return rune(c)
	}
	r, size := utf8.DecodeRuneInString(l.src[l.off:])
	l.off += size
	l.col++
	return r
}

func (l *lexer) fail(pos Pos, kind, msg string) Token {
	if l.err == nil {
		l.err = &Error{Kind: kind, Msg: msg, Pos: pos}
	}
	return Token{Kind: ERROR, Pos: l.err.Pos}
}

// next returns the next token. After an error it keeps returning ERROR.
func (l *lexer) next() Token {
	if l.err != nil {
		return Token{Kind: ERROR, Pos: l.err.Pos}
	}
	if l.resumeText {
		l.resumeText = false
		tok := l.backtick(l.pos(), false)
		l.unaryNext = false
		return tok
	}
	for l.off < len(l.src) {
		switch c := l.src[l.off]; c {
		case ' ', '\t', '\r', '\f':
			l.off++
			l.col++
			continue
		case '\n':
			l.off++
			l.line++
			l.col = 1
			continue
		case '/':
			switch l.peekByte(1) {
			case '/':
				if tok, ok := l.lineComment(); ok {
					return tok
				}
				continue
			case '*':
				if tok, ok := l.blockComment(); ok {
					return tok
				}
				continue
			}
		}
		tok := l.scan()
		l.unaryNext = isUnaryNext(tok.Kind)
		return tok
	}
	return Token{Kind: EOF, Pos: l.pos()}
}

// lineComment skips a `//` comment; a `///` doc comment is returned.
func (l *lexer) lineComment() (Token, bool) {
	start, pos := l.off, l.pos()
	end := strings.IndexByte(l.src[l.off:], '\n')
	if end < 0 {
		end = len(l.src)
	} else {
		end += l.off
	}
	text := l.src[start:end]
	l.col += int32(utf8.RuneCountInString(text))
	l.off = end
	text = strings.TrimSuffix(text, "\r")
	if strings.HasPrefix(text, "///") && !strings.HasPrefix(text, "////") {
		return Token{Kind: DOC_COMMENT, Pos: pos, Text: text}, true
	}
	return Token{}, false
}

// blockComment skips a `/* */` comment, which nests; a `/** */` doc comment
// is returned. An unterminated comment runs to the end of the script (Rhai
// reports no error for it).
func (l *lexer) blockComment() (Token, bool) {
	start, pos := l.off, l.pos()
	doc := l.peekByte(2) == '*' && l.peekByte(3) != '*' && l.peekByte(3) != '/'
	l.skip(2)
	level := 1
	for l.off < len(l.src) && level > 0 {
		switch l.src[l.off] {
		case '/':
			if l.peekByte(1) == '*' {
				l.skip(2)
				level++
				continue
			}
		case '*':
			if l.peekByte(1) == '/' {
				l.skip(2)
				level--
				continue
			}
		}
		l.nextRune()
	}
	if doc && level == 0 {
		return Token{Kind: DOC_COMMENT, Pos: pos, Text: l.src[start:l.off]}, true
	}
	return Token{}, false
}

// isUnaryNext reports whether a '-' after a token of kind k is a prefix
// operator (Rhai's Token::is_next_unary).
func isUnaryNext(k Kind) bool {
	switch k {
	case SEMI, COLON, COMMA, COALESCE, RANGE, RANGE_INCL, LBRACE, LPAREN,
		LBRACK, PLUS, PLUS_ASSIGN, MINUS, MINUS_ASSIGN, STAR, STAR_ASSIGN,
		SLASH, SLASH_ASSIGN, PERCENT, PERCENT_ASSIGN, POW, POW_ASSIGN, SHL,
		SHL_ASSIGN, SHR, SHR_ASSIGN, ASSIGN, EQ, NE, LT, GT, BANG, LE, GE,
		PIPE, AMP, IF, WHILE, UNTIL, IN, NOT_IN, AND, AMP_ASSIGN, OR,
		PIPE_ASSIGN, CARET, CARET_ASSIGN, RETURN, THROW, ELVIS_BRACK, ERROR:
		return true
	}
	return false
}

func isDigit(c byte) bool    { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool    { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isIDChar(c byte) bool   { return isAlpha(c) || isDigit(c) || c == '_' }
func isHexDigit(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// scan lexes one token starting at a non-blank character.
func (l *lexer) scan() Token {
	pos := l.pos()
	c := l.src[l.off]
	c1 := l.peekByte(1)
	op := func(k Kind, n int) Token {
		l.skip(n)
		return Token{Kind: k, Pos: pos}
	}
	reserved := func(sym string) Token {
		l.skip(len(sym))
		return Token{Kind: RESERVED, Pos: pos, Text: sym}
	}
	improper := func(msg string) Token {
		return l.fail(pos, errBadInput, msg)
	}

	switch {
	case isDigit(c):
		return l.number(pos, false)
	case isAlpha(c) || c == '_':
		return l.word(pos)
	}

	switch c {
	case '"':
		l.skip(1)
		s, ok := l.quoted('"', pos)
		if !ok {
			return Token{Kind: ERROR, Pos: l.err.Pos}
		}
		return Token{Kind: STRING, Pos: pos, Text: s}
	case '`':
		l.skip(1)
		// A line break right after the opening back-tick is not part of
		// the string.
		if l.peekByte(0) == '\r' && l.peekByte(1) == '\n' {
			l.skip(1)
		}
		if l.peekByte(0) == '\n' {
			l.nextRune()
		}
		return l.backtick(pos, true)
	case '\'':
		if c1 == '\'' {
			return l.fail(pos, errMalformedChar, "Invalid character: ''")
		}
		l.skip(1)
		s, ok := l.quoted('\'', pos)
		if !ok {
			return Token{Kind: ERROR, Pos: l.err.Pos}
		}
		r, size := utf8.DecodeRuneInString(s)
		if size == 0 || size != len(s) {
			return l.fail(pos, errMalformedChar, "Invalid character: '"+s+"'")
		}
		return Token{Kind: CHAR, Pos: pos, Char: r}
	case '#':
		switch c1 {
		case '"', '#':
			return l.raw(pos)
		case '{':
			l.depth++
			return op(MAP_START, 2)
		case '!':
			return reserved("#!")
		case ' ':
			return improper("'#' is not a valid symbol. Should it be '#{'?")
		}
		return reserved("#")
	case '{':
		l.depth++
		return op(LBRACE, 1)
	case '}':
		if n := len(l.interps); n > 0 && l.interps[n-1] == l.depth {
			l.interps = l.interps[:n-1]
			l.resumeText = true
		}
		l.depth--
		return op(RBRACE, 1)
	case '(':
		switch c1 {
		case ')':
			return op(UNIT, 2)
		case '*':
			return improper("'(* .. *)' is not a valid comment format. This is not Pascal! Should it be '/* .. */'?")
		}
		return op(LPAREN, 1)
	case ')':
		return op(RPAREN, 1)
	case '[':
		return op(LBRACK, 1)
	case ']':
		return op(RBRACK, 1)
	case '+':
		switch c1 {
		case '=':
			return op(PLUS_ASSIGN, 2)
		case '+':
			return reserved("++")
		}
		return op(PLUS, 1)
	case '-':
		switch {
		case isDigit(c1) && l.unaryNext:
			l.skip(1)
			return l.number(pos, true)
		case c1 == '=':
			return op(MINUS_ASSIGN, 2)
		case c1 == '>':
			return improper("'->' is not a valid symbol. This is not C or C++!")
		case c1 == '-':
			return reserved("--")
		}
		return op(MINUS, 1)
	case '*':
		switch c1 {
		case ')':
			return improper("'(* .. *)' is not a valid comment format. This is not Pascal! Should it be '/* .. */'?")
		case '=':
			return op(STAR_ASSIGN, 2)
		case '*':
			if l.peekByte(2) == '=' {
				return op(POW_ASSIGN, 3)
			}
			return op(POW, 2)
		}
		return op(STAR, 1)
	case '/':
		if c1 == '=' {
			return op(SLASH_ASSIGN, 2)
		}
		return op(SLASH, 1)
	case '%':
		if c1 == '=' {
			return op(PERCENT_ASSIGN, 2)
		}
		return op(PERCENT, 1)
	case ';':
		return op(SEMI, 1)
	case ',':
		return op(COMMA, 1)
	case '.':
		if c1 == '.' {
			switch l.peekByte(2) {
			case '.':
				return reserved("...")
			case '=':
				return op(RANGE_INCL, 3)
			}
			return op(RANGE, 2)
		}
		return op(DOT, 1)
	case '=':
		switch c1 {
		case '=':
			if l.peekByte(2) == '=' {
				return improper("'===' is not a valid operator. This is not JavaScript! Should it be '=='?")
			}
			return op(EQ, 2)
		case '>':
			return op(ARROW, 2)
		}
		return op(ASSIGN, 1)
	case ':':
		switch c1 {
		case ':':
			if l.peekByte(2) == '<' {
				return improper("'::<>' is not a valid symbol. This is not Rust! Should it be '::'?")
			}
			return op(DCOLON, 2)
		case '=':
			return improper("':=' is not a valid assignment operator. This is not Go or Pascal! Should it be simply '='?")
		case ';':
			return improper("':;' is not a valid symbol. Should it be '::'?")
		}
		return op(COLON, 1)
	case '<':
		switch c1 {
		case '=':
			return op(LE, 2)
		case '-':
			return improper("'<-' is not a valid symbol. This is not Go! Should it be '<='?")
		case '<':
			if l.peekByte(2) == '=' {
				return op(SHL_ASSIGN, 3)
			}
			return op(SHL, 2)
		case '|':
			return reserved("<|")
		}
		return op(LT, 1)
	case '>':
		switch c1 {
		case '=':
			return op(GE, 2)
		case '>':
			if l.peekByte(2) == '=' {
				return op(SHR_ASSIGN, 3)
			}
			return op(SHR, 2)
		}
		return op(GT, 1)
	case '!':
		switch c1 {
		case 'i':
			if l.peekByte(2) == 'n' && !isIDChar(l.peekByte(3)) {
				return op(NOT_IN, 3)
			}
		case '=':
			if l.peekByte(2) == '=' {
				return improper("'!==' is not a valid operator. This is not JavaScript! Should it be '!='?")
			}
			return op(NE, 2)
		case '.':
			return reserved("!.")
		}
		return op(BANG, 1)
	case '|':
		switch c1 {
		case '|':
			return op(OR, 2)
		case '=':
			return op(PIPE_ASSIGN, 2)
		case '>':
			return reserved("|>")
		}
		return op(PIPE, 1)
	case '&':
		switch c1 {
		case '&':
			return op(AND, 2)
		case '=':
			return op(AMP_ASSIGN, 2)
		}
		return op(AMP, 1)
	case '^':
		if c1 == '=' {
			return op(CARET_ASSIGN, 2)
		}
		return op(CARET, 1)
	case '~':
		return reserved("~")
	case '@':
		return reserved("@")
	case '$':
		return reserved("$")
	case '?':
		switch c1 {
		case '.':
			return op(ELVIS_DOT, 2)
		case '?':
			return op(COALESCE, 2)
		case '[':
			return op(ELVIS_BRACK, 2)
		}
		return reserved("?")
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.off:])
	return l.fail(pos, errBadInput, "Unexpected '"+string(r)+"'")
}

// word lexes an identifier, keyword or reserved word.
func (l *lexer) word(pos Pos) Token {
	start := l.off
	end := start + 1
	for end < len(l.src) && isIDChar(l.src[end]) {
		end++
	}
	w := l.src[start:end]
	l.skip(end - start)
	switch k := lookupWord(w); k {
	case IDENT:
		// A valid identifier has a letter before any digit.
		for i := 0; i < len(w); i++ {
			if isAlpha(w[i]) {
				return Token{Kind: IDENT, Pos: pos, Text: w}
			}
			if w[i] != '_' {
				break
			}
		}
		return l.fail(pos, errMalformedIdentifier, "Variable name is not proper: '"+w+"'")
	case RESERVED:
		return Token{Kind: RESERVED, Pos: pos, Text: w}
	default:
		return Token{Kind: k, Pos: pos}
	}
}

// number lexes a number literal (the '-' of a negative literal, if any, is
// already consumed). It follows Rhai: '_' separators anywhere after the first
// digit; 0x/0o/0b prefixes (read as unsigned 64-bit, so 0xFFFFFFFFFFFFFFFF is
// -1); a '.' belongs to the number when a digit follows it, or when anything
// but a letter, '_' or another '.' does (`1.` is 1.0 but `1.max(2)` is a
// method call); an exponent needs a digit or sign after the 'e' and ends the
// number's fraction, so `1.5e3.2` lexes as `1.5e3` `.` `2`.
func (l *lexer) number(pos Pos, neg bool) Token {
	var buf [48]byte
	text := buf[:0]
	start := l.off // where the literal's text starts in the source
	if neg {
		text = append(text, '-')
		start--
	}
	verbatim := true // text is exactly src[start:l.off]
	first := l.src[l.off]
	text = append(text, first)
	l.skip(1)
	radix := 10
	valid := isDigit
	hasPeriod, hasE := false, false
scan:
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case c == '_':
			l.skip(1)
			verbatim = false
		case valid(c):
			text = append(text, c)
			l.skip(1)
		case c == '.' && !hasPeriod && radix == 10:
			c1 := l.peekByte(1)
			switch {
			case isDigit(c1):
				text = append(text, '.')
				l.skip(1)
				hasPeriod = true
			case c1 == '_' || c1 == '.' || c1 == 0 && l.off+1 >= len(l.src) || isAlpha(c1):
				break scan
			default:
				text = append(text, '.', '0')
				l.skip(1)
				hasPeriod = true
				verbatim = false
			}
		case (c == 'e' || c == 'E') && !hasE && radix == 10:
			c1 := l.peekByte(1)
			switch {
			case isDigit(c1):
				text = append(text, 'e')
				l.skip(1)
			case c1 == '+' || c1 == '-':
				text = append(text, 'e', c1)
				l.skip(2)
			default:
				break scan
			}
			hasE, hasPeriod = true, true
		case (c == 'x' || c == 'X' || c == 'o' || c == 'O' || c == 'b' || c == 'B') && first == '0' && len(text) <= 1+b2i(neg) && radix == 10:
			text = append(text, c)
			l.skip(1)
			switch c {
			case 'x', 'X':
				radix, valid = 16, isHexDigit
			case 'o', 'O':
				radix, valid = 8, func(c byte) bool { return '0' <= c && c <= '7' }
			default:
				radix, valid = 2, func(c byte) bool { return c == '0' || c == '1' }
			}
		default:
			break scan
		}
	}
	if radix != 10 {
		var digits string
		if verbatim {
			digits = l.src[start+2+b2i(neg) : l.off]
		} else {
			digits = string(text[2+b2i(neg):])
		}
		u, err := strconv.ParseUint(digits, radix, 64)
		if err != nil {
			return l.fail(pos, errMalformedNumber, "Invalid number: '"+string(text)+"'")
		}
		v := int64(u)
		if neg {
			v = -v
		}
		return Token{Kind: INT, Pos: pos, Int: v}
	}
	var s string
	if verbatim {
		s = l.src[start:l.off] // no allocation
	} else {
		s = string(text)
	}
	if !hasPeriod {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			// Rhai would silently turn an out-of-range integer into a
			// float; PiCloud rejects it.
			return l.fail(pos, errMalformedNumber, "Invalid number: '"+s+"' is out of range for an integer")
		}
		return Token{Kind: INT, Pos: pos, Int: v}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return l.fail(pos, errMalformedNumber, "Invalid number: '"+s+"'")
	}
	return Token{Kind: FLOAT, Pos: pos, Float: f}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// quoted lexes the rest of a "..." string (term '"') or a '...' character
// literal (term '\”), after the opening quote, decoding escapes. A doubled
// terminator stands for itself (`"a""b"` is `a"b`). In strings, a backslash
// at the end of a line continues the string on the next line, skipping the
// next line's leading whitespace up to the column of the opening quote.
func (l *lexer) quoted(term byte, start Pos) (string, bool) {
	// Fast path: no escapes, no line breaks, no doubled terminator.
	for i := l.off; i < len(l.src); i++ {
		c := l.src[i]
		if c == term {
			if i+1 < len(l.src) && l.src[i+1] == term {
				break
			}
			s := l.src[l.off:i]
			l.col += int32(utf8.RuneCountInString(s)) + 1
			l.off = i + 1
			return s, true
		}
		if c == '\\' || c == '\n' || c == '\r' {
			break
		}
	}

	var b strings.Builder
	escape := false
	var skipUntil int32 // skip whitespace while the column is below this
	for {
		if l.off >= len(l.src) {
			l.fail(start, errUnterminatedString, "Open string is not terminated")
			return "", false
		}
		c := l.src[l.off]
		if c == term && !escape {
			l.skip(1)
			if l.peekByte(0) != term {
				return b.String(), true
			}
			l.skip(1)
			b.WriteByte(term)
			skipUntil = 0
			continue
		}
		if c == '\r' && l.peekByte(1) == '\n' {
			l.skip(1)
			continue
		}
		if c == '\n' {
			if !escape || term == '\'' {
				l.fail(start, errUnterminatedString, "Open string is not terminated")
				return "", false
			}
			// Line continuation.
			l.nextRune()
			escape = false
			skipUntil = start.Col + 1
			continue
		}
		if escape {
			escape = false
			escPos := l.pos()
			switch r := l.nextRune(); r {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '\\':
				b.WriteByte('\\')
			case '"', '\'':
				b.WriteByte(byte(r))
			case '0':
				b.WriteByte(0)
			case 'x', 'u', 'U':
				n := 2
				if r == 'u' {
					n = 4
				} else if r == 'U' {
					n = 8
				}
				seq := "\\" + string(r)
				var v uint32
				for i := 0; i < n; i++ {
					if l.off >= len(l.src) {
						l.fail(l.pos(), errMalformedEscapeSequence, "Invalid escape sequence: '"+seq+"'")
						return "", false
					}
					p := l.pos()
					d := l.nextRune()
					seq += string(d)
					if d >= utf8.RuneSelf || !isHexDigit(byte(d)) {
						l.fail(p, errMalformedEscapeSequence, "Invalid escape sequence: '"+seq+"'")
						return "", false
					}
					v = v<<4 | uint32(hexVal(byte(d)))
				}
				if v > unicode.MaxRune || 0xD800 <= v && v <= 0xDFFF {
					l.fail(escPos, errMalformedEscapeSequence, "Invalid escape sequence: '"+seq+"'")
					return "", false
				}
				b.WriteRune(rune(v))
			default:
				l.fail(escPos, errMalformedEscapeSequence, "Invalid escape sequence: '\\"+string(r)+"'")
				return "", false
			}
			continue
		}
		if c == '\\' {
			escape = true
			l.skip(1)
			continue
		}
		p := l.col
		startOff := l.off
		r := l.nextRune()
		if p < skipUntil && isRhaiSpace(r) {
			continue
		}
		b.WriteString(l.src[startOff:l.off])
		skipUntil = 0
	}
}

// isRhaiSpace is Rust's char::is_whitespace, which Rhai uses when skipping
// indentation after a line continuation.
func isRhaiSpace(r rune) bool {
	return unicode.Is(unicode.White_Space, r)
}

func hexVal(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// backtick lexes back-tick string text: from after the opening back-tick
// (first) or from after the `}` that closed an interpolation. It returns
// STRING for a whole string without interpolation, INTERP_START / INTERP_MID
// for text that ends at a `${`, and INTERP_END for the last piece. Text is
// verbatim except that "“" stands for a back-tick, `\${` for a literal `${`
// and "\r\n" for "\n".
func (l *lexer) backtick(pos Pos, first bool) Token {
	// Text is built only when the string holds one of its escapes;
	// otherwise it is a substring of the source.
	var b strings.Builder
	dirty := false
	startOff := l.off // start of the pending run of verbatim bytes
	flush := func() {
		b.WriteString(l.src[startOff:l.off])
		dirty = true
	}
	text := func() string {
		if !dirty {
			return l.src[startOff:l.off]
		}
		flush()
		return b.String()
	}
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case c == '$' && l.peekByte(1) == '{':
			s := text()
			l.skip(1) // the '{' is the next token
			kind := INTERP_MID
			if first {
				kind = INTERP_START
			}
			l.interps = append(l.interps, l.depth+1)
			return Token{Kind: kind, Pos: pos, Text: s}
		case c == '\\' && l.peekByte(1) == '$' && l.peekByte(2) == '{':
			flush()
			b.WriteString("${")
			l.skip(3)
			startOff = l.off
		case c == '`':
			if l.peekByte(1) == '`' {
				flush()
				b.WriteByte('`')
				l.skip(2)
				startOff = l.off
				continue
			}
			s := text()
			l.skip(1)
			kind := INTERP_END
			if first {
				kind = STRING
			}
			return Token{Kind: kind, Pos: pos, Text: s}
		case c == '\r' && l.peekByte(1) == '\n':
			flush()
			l.skip(1)
			startOff = l.off
		default:
			l.nextRune()
		}
	}
	return l.fail(pos, errUnterminatedString, "Open string is not terminated")
}

// raw lexes a raw string #"..."#, ##"..."## …: no escapes; it ends at the
// first '"' followed by as many '#' as opened it.
func (l *lexer) raw(pos Pos) Token {
	n := 0
	for l.peekByte(0) == '#' {
		l.skip(1)
		n++
	}
	if l.off >= len(l.src) {
		return l.fail(pos, errUnterminatedString, "Open string is not terminated")
	}
	if l.src[l.off] != '"' {
		r, _ := utf8.DecodeRuneInString(l.src[l.off:])
		return l.fail(pos, errBadInput, "Unexpected '"+string(r)+"'")
	}
	l.skip(1)
	closing := `"` + strings.Repeat("#", n)
	i := strings.Index(l.src[l.off:], closing)
	if i < 0 {
		return l.fail(pos, errUnterminatedString, "Open string is not terminated")
	}
	s := l.src[l.off : l.off+i]
	for end := l.off + i + len(closing); l.off < end; {
		l.nextRune()
	}
	return Token{Kind: STRING, Pos: pos, Text: s}
}
