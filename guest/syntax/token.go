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
	GLOBAL

	// RESERVED is a reserved word or symbol (`var`, `match`, `===`, `->`, `@`
	// ...): using it is a parse error. Text holds its spelling.
	RESERVED

	// DOC_COMMENT is a `///` or `/** */` comment (Text holds it verbatim);
	// other comments are skipped by the lexer.
	DOC_COMMENT

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
	THIS: "this", GLOBAL: "global",
	RESERVED: "reserved word", DOC_COMMENT: "doc comment",
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

// keywords maps active keywords to their kinds.
var keywords = map[string]Kind{
	"true": TRUE, "false": FALSE, "let": LET, "const": CONST, "if": IF,
	"else": ELSE, "switch": SWITCH, "do": DO, "while": WHILE, "until": UNTIL,
	"loop": LOOP, "for": FOR, "in": IN, "continue": CONTINUE, "break": BREAK,
	"return": RETURN, "throw": THROW, "try": TRY, "catch": CATCH, "fn": FN,
	"private": PRIVATE, "import": IMPORT, "export": EXPORT, "as": AS,
	"this": THIS, "global": GLOBAL,
}

// reservedWords are Rhai's reserved keywords: they lex as RESERVED and are a
// parse error wherever they appear.
var reservedWords = map[string]bool{
	"var": true, "static": true, "is": true, "goto": true, "match": true,
	"case": true, "public": true, "protected": true, "new": true, "use": true,
	"with": true, "module": true, "package": true, "super": true,
	"spawn": true, "thread": true, "go": true, "sync": true, "async": true,
	"await": true, "yield": true, "default": true, "void": true, "null": true,
	"nil": true,
}

// keywordFunctions are names that may be called like functions but cannot
// name a variable, parameter or script-defined function.
var keywordFunctions = map[string]bool{
	"Fn": true, "call": true, "curry": true, "is_shared": true,
	"is_def_fn": true, "is_def_var": true, "type_of": true, "print": true,
	"debug": true, "eval": true,
}
