package syntax

import "strconv"

// Kind is the kind of a lexical token.
type Kind uint8

const (
	EOF Kind = iota

	// Literals and names. A Token's Text holds an identifier's name, a
	// string's decoded value or an interpolated string segment's text.
	IDENT
	INT    // Token.Int
	FLOAT  // Token.Float
	CHAR   // Token.Char
	STRING // "..." (escapes decoded), #"..."# and `...` without ${
	// A back-tick string with interpolations is lexed as
	//   INTERP_START expr-tokens (INTERP_MID expr-tokens)* INTERP_END
	// where each of the three carries the literal text before the next `${`
	// (or up to the closing back-tick for INTERP_END).
	INTERP_START
	INTERP_MID
	INTERP_END

	// Punctuation.
	LPAREN      // (
	RPAREN      // )
	LBRACK      // [
	RBRACK      // ]
	LBRACE      // {
	RBRACE      // }
	MAP_START   // #{
	COMMA       // ,
	SEMI        // ;
	COLON       // :
	DCOLON      // ::
	ARROW       // =>
	DOT         // .
	ELVIS_DOT   // ?.
	ELVIS_BRACK // ?[
	UNIT        // ()
	BANG        // !  (also the `!` of `f!(...)`)

	// Operators.
	PLUS       // +
	MINUS      // -
	STAR       // *
	SLASH      // /
	PERCENT    // %
	POW        // **
	SHL        // <<
	SHR        // >>
	AMP        // &
	PIPE       // |
	CARET      // ^
	AND        // &&
	OR         // ||
	COALESCE   // ??
	EQ         // ==
	NE         // !=
	LT         // <
	LE         // <=
	GT         // >
	GE         // >=
	RANGE      // ..
	RANGE_INCL // ..=
	NOT_IN     // !in

	// Assignments.
	ASSIGN         // =
	PLUS_ASSIGN    // +=
	MINUS_ASSIGN   // -=
	STAR_ASSIGN    // *=
	SLASH_ASSIGN   // /=
	PERCENT_ASSIGN // %=
	POW_ASSIGN     // **=
	SHL_ASSIGN     // <<=
	SHR_ASSIGN     // >>=
	AMP_ASSIGN     // &=
	PIPE_ASSIGN    // |=
	CARET_ASSIGN   // ^=

	// Keywords.
	TRUE
	FALSE
	LET
	CONST
	IF
	ELSE
	SWITCH
	DO
	WHILE
	UNTIL
	LOOP
	FOR
	IN
	CONTINUE
	BREAK
	RETURN
	THROW
	TRY
	CATCH
	FN
	PRIVATE
	IMPORT
	EXPORT
	AS
	THIS

	// UNDERSCORE is a lone `_` (the default case of a switch).
	UNDERSCORE

	// RESERVED is a reserved word or symbol (`var`, `match`, `===`, `->`, `@`
	// ...): using it is a parse error. Text holds its spelling.
	RESERVED

	// DOC_COMMENT is a `///` or `/** */` comment (Text holds it verbatim);
	// other comments are skipped by the lexer.
	DOC_COMMENT

	// ERROR is a lexical error; the lexer returns it from then on.
	ERROR

	numKinds
)

var kindNames = [numKinds]string{
	EOF: "end of script", IDENT: "identifier", INT: "integer", FLOAT: "float",
	CHAR: "character", STRING: "string", INTERP_START: "`", INTERP_MID: "}",
	INTERP_END: "}",
	LPAREN:     "(", RPAREN: ")", LBRACK: "[", RBRACK: "]", LBRACE: "{",
	RBRACE: "}", MAP_START: "#{", COMMA: ",", SEMI: ";", COLON: ":",
	DCOLON: "::", ARROW: "=>", DOT: ".", ELVIS_DOT: "?.", ELVIS_BRACK: "?[",
	UNIT: "()", BANG: "!",
	PLUS: "+", MINUS: "-", STAR: "*", SLASH: "/", PERCENT: "%", POW: "**",
	SHL: "<<", SHR: ">>", AMP: "&", PIPE: "|", CARET: "^", AND: "&&", OR: "||",
	COALESCE: "??", EQ: "==", NE: "!=", LT: "<", LE: "<=", GT: ">", GE: ">=",
	RANGE: "..", RANGE_INCL: "..=", NOT_IN: "!in",
	ASSIGN: "=", PLUS_ASSIGN: "+=", MINUS_ASSIGN: "-=", STAR_ASSIGN: "*=",
	SLASH_ASSIGN: "/=", PERCENT_ASSIGN: "%=", POW_ASSIGN: "**=",
	SHL_ASSIGN: "<<=", SHR_ASSIGN: ">>=", AMP_ASSIGN: "&=", PIPE_ASSIGN: "|=",
	CARET_ASSIGN: "^=",
	TRUE:         "true", FALSE: "false", LET: "let", CONST: "const", IF: "if",
	ELSE: "else", SWITCH: "switch", DO: "do", WHILE: "while", UNTIL: "until",
	LOOP: "loop", FOR: "for", IN: "in", CONTINUE: "continue", BREAK: "break",
	RETURN: "return", THROW: "throw", TRY: "try", CATCH: "catch", FN: "fn",
	PRIVATE: "private", IMPORT: "import", EXPORT: "export", AS: "as",
	THIS: "this", UNDERSCORE: "_",
	RESERVED: "reserved word", DOC_COMMENT: "doc comment", ERROR: "error",
}

// String returns the token kind's spelling, or a description for literals.
func (k Kind) String() string {
	if k < numKinds && kindNames[k] != "" {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Token is one lexical token.
type Token struct {
	Kind  Kind
	Pos   Pos
	Text  string  // IDENT, STRING, INTERP_*, RESERVED, DOC_COMMENT
	Int   int64   // INT
	Float float64 // FLOAT
	Char  rune    // CHAR
}

// lookupWord classifies an identifier-shaped word: an active keyword's kind,
// RESERVED for a reserved keyword, or IDENT.
func lookupWord(w string) Kind {
	switch w {
	case "true":
		return TRUE
	case "false":
		return FALSE
	case "let":
		return LET
	case "const":
		return CONST
	case "if":
		return IF
	case "else":
		return ELSE
	case "switch":
		return SWITCH
	case "do":
		return DO
	case "while":
		return WHILE
	case "until":
		return UNTIL
	case "loop":
		return LOOP
	case "for":
		return FOR
	case "in":
		return IN
	case "continue":
		return CONTINUE
	case "break":
		return BREAK
	case "return":
		return RETURN
	case "throw":
		return THROW
	case "try":
		return TRY
	case "catch":
		return CATCH
	case "fn":
		return FN
	case "private":
		return PRIVATE
	case "import":
		return IMPORT
	case "export":
		return EXPORT
	case "as":
		return AS
	case "this":
		return THIS
	case "_":
		return UNDERSCORE
	case "var", "static", "shared", "is", "goto", "match", "case", "public",
		"protected", "new", "use", "with", "module", "package", "super",
		"spawn", "thread", "go", "sync", "async", "await", "yield",
		"default", "void", "null", "nil":
		return RESERVED
	}
	return IDENT
}

// isKeywordFunction reports whether name is one of Rhai's keyword functions:
// they lex as identifiers and may be called (`print(x)`), but cannot name a
// variable, a parameter, a property or a script-defined function.
func isKeywordFunction(name string) bool {
	switch name {
	case "Fn", "call", "curry", "is_shared", "is_def_fn", "is_def_var",
		"type_of", "print", "debug", "eval":
		return true
	}
	return false
}

// isMethodKeywordFunction reports whether the keyword function name may also
// be called in method style or read as a property (`f.call(x)`).
func isMethodKeywordFunction(name string) bool {
	switch name {
	case "call", "curry", "is_shared", "type_of":
		return true
	}
	return false
}
