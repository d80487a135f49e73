// Package syntax is PiCloud's Rhai front end: tokens, the lexer, the AST,
// the parser and parse errors. It depends on the standard library only.
//
// Parse turns a script into a *Script: its top-level statements and the
// functions it defines. Every node records its 1-based position (line,
// column in characters). Sexpr prints a node as a compact S-expression, and
// Inspect walks a tree.
//
// # Following Rhai
//
// The lexer and parser follow Rhai's own tokenizer and parser (rhai 1.x,
// default features) rule by rule, so that the same scripts parse and the same
// scripts fail, with Rhai's error kinds and, mostly, its messages:
//
//   - Operators have Rhai's precedence (|| ^ | < && & < == != < in !in <
//     comparisons < ?? < .. ..= < + - < * / % < ** < << >>) and associate to
//     the left, except ** which associates to the right. Unary - + ! bind
//     tighter than any binary operator; a '-' before a number literal is
//     folded into the literal.
//   - A ';' separates statements; it may be omitted after a statement that
//     ends with its own block: a block, if, switch, while, loop, for and
//     try (not do … while). At statement level these constructs end where
//     their block ends (`if c { 1 } - 2` is two statements); inside an
//     expression they are operands like any other.
//   - Switch case bodies and closure bodies are statements (`|x| x = 1` is
//     allowed); the AST holds them as expressions: the expression of an
//     expression statement, otherwise a one-statement *Block.
//   - Nesting is bounded the way Rhai bounds it: each expression, block,
//     statement, operand of a binary-operator chain, argument list,
//     property access and index level counts one level, and going beyond
//     Options.MaxExprDepth (64) at the top level or Options.MaxFnExprDepth
//     (32) in a function body is the error ExprTooDeep. So a flat chain of
//     some 60 additions is too deep at the top level, as it is in Rhai.
//     Every recursive path of the parser counts levels, so no input can
//     overflow the stack.
//   - Constants: assigning to a variable declared with const in the same
//     function (or at the top level) is AssignmentToConstant at parse time.
//   - Closures: ClosureExpr.Captures lists the variables a closure uses
//     without declaring them itself (Rhai's "external variables"): every
//     free name of the body, including names the parser cannot see
//     declared (variables the host pushes into the scope), but not names of
//     script functions defined earlier in the script. Rhai curries exactly
//     these into the closure at the point where it is created; the
//     evaluator resolves them there.
//
// # Where PiCloud departs from Rhai
//
//   - A decimal integer literal that does not fit in 64 bits is the error
//     MalformedNumber (Rhai silently makes it a float). Hex, octal and
//     binary literals are read as unsigned 64-bit values, as in Rhai, so
//     0xFFFFFFFFFFFFFFFF is -1; a negative one (`-0x10`) works (Rhai fails
//     on it).
//   - In "..." strings and '...' characters, the escapes \0, \' and \" are all
//     accepted (Rhai accepts only the escape of the enclosing quote and has
//     no \0).
//   - Doc comments (/// and /** */) right before a function definition are
//     kept in FnDef.Doc; elsewhere they are ignored, as in Rhai built
//     without the metadata feature (with it, a stray doc comment is
//     WrongDocComment).
//   - A keyword function's name may follow a namespace when it is called
//     (`log::debug(x)`); Rhai reserves those names everywhere.
//   - `private fn` inside a block is WrongFnDefinition, like `fn` (Rhai
//     accepts the former by accident).
//   - A leading `#!` line is skipped, as Rhai does for script files.
//
// # Errors
//
// Parse errors are *Error values with Rhai's ParseErrorType names as Kind:
// UnexpectedEOF, BadInput, UnknownOperator, MissingToken, MalformedIndexExpr,
// MalformedCapture, DuplicatedProperty, DuplicatedVariable,
// WrongSwitchIntegerCase, WrongSwitchDefaultCase, WrongSwitchCaseCondition,
// PropertyExpected, VariableExpected, Reserved, MismatchedType,
// ExprExpected, WrongFnDefinition, FnDuplicatedDefinition, FnMissingName,
// FnMissingParams, FnDuplicatedParam, FnMissingBody, WrongExport,
// AssignmentToConstant, AssignmentToInvalidLHS, ExprTooDeep and LoopBreak.
// Lexical errors, which Rhai reports as BadInput(LexError), use the LexError
// name: MalformedNumber, MalformedEscapeSequence, MalformedChar,
// MalformedIdentifier, UnterminatedString; an unexpected character or an
// improper symbol (`===`, `->`, `:=` …) is BadInput.
package syntax
