package syntax

import "strconv"

// Pos is a 1-based source position: Line counts lines, Col counts characters
// (runes, not bytes) within the line. The zero Pos means "no position".
type Pos struct {
	Line, Col int32
}

// IsValid reports whether p is a real position.
func (p Pos) IsValid() bool { return p.Line > 0 }

func (p Pos) String() string {
	return strconv.Itoa(int(p.Line)) + ":" + strconv.Itoa(int(p.Col))
}

// Node is any AST node.
type Node interface {
	Position() Pos
}

// Expr is an expression node. Rhai's statement-like constructs that yield a
// value (blocks, if, switch, loops) are expressions too; a statement that is
// an expression is wrapped in an *ExprStmt.
type Expr interface {
	Node
	exprNode()
}

// Stmt is a statement node.
type Stmt interface {
	Node
	stmtNode()
}

// Script is a parsed Rhai script: its top-level statements and the functions
// it defines (function definitions do not appear among Stmts).
type Script struct {
	Name  string
	Stmts []Stmt
	Funcs []*FnDef
}

// FnDef is a script-defined function `fn name(a, b) { ... }`, or a typed method
// `fn int.calc(a) { ... }` (ThisType "i64": as in Rhai, `int` and `float` name
// the types i64 and f64; other names are kept as written).
type FnDef struct {
	Pos      Pos // position of the function's name
	Name     string
	Params   []*Ident
	Body     *Block
	Private  bool     // `private fn`
	ThisType string   // receiver type of `fn T.name()`, "" for a plain function
	Doc      []string // `///` and `/** */` doc comments above the definition, verbatim
}

// Position returns 1:1, the start of the script.
func (s *Script) Position() Pos { return Pos{1, 1} }

func (f *FnDef) Position() Pos { return f.Pos }

// Op is a unary or binary operator, or the operator of a compound assignment.
type Op uint8

const (
	OpNone Op = iota // a plain assignment `=`

	OpAdd       // +
	OpSub       // -
	OpMul       // *
	OpDiv       // /
	OpMod       // %
	OpPow       // **
	OpShl       // <<
	OpShr       // >>
	OpBitAnd    // &
	OpBitOr     // |
	OpBitXor    // ^
	OpEq        // ==
	OpNe        // !=
	OpLt        // <
	OpLe        // <=
	OpGt        // >
	OpGe        // >=
	OpAnd       // && (short-circuit)
	OpOr        // || (short-circuit)
	OpCoalesce  // ?? (short-circuit)
	OpIn        // in
	OpNotIn     // !in
	OpRange     // ..
	OpRangeIncl // ..=

	OpNeg  // unary -
	OpPlus // unary +
	OpNot  // unary !

	numOps
)

var opNames = [numOps]string{
	OpNone: "=", OpAdd: "+", OpSub: "-", OpMul: "*", OpDiv: "/", OpMod: "%",
	OpPow: "**", OpShl: "<<", OpShr: ">>", OpBitAnd: "&", OpBitOr: "|",
	OpBitXor: "^", OpEq: "==", OpNe: "!=", OpLt: "<", OpLe: "<=", OpGt: ">",
	OpGe: ">=", OpAnd: "&&", OpOr: "||", OpCoalesce: "??", OpIn: "in",
	OpNotIn: "!in", OpRange: "..", OpRangeIncl: "..=", OpNeg: "-", OpPlus: "+",
	OpNot: "!",
}

// String returns the operator's source spelling ("+", "!in", "..=").
func (op Op) String() string {
	if op < numOps {
		return opNames[op]
	}
	return "Op(" + strconv.Itoa(int(op)) + ")"
}

// ---- Literals ----

// IntLit is an integer literal (decimal, 0x, 0o or 0b), already range-checked.
type IntLit struct {
	Pos   Pos
	Value int64
}

// FloatLit is a floating-point literal.
type FloatLit struct {
	Pos   Pos
	Value float64
}

// BoolLit is `true` or `false`.
type BoolLit struct {
	Pos   Pos
	Value bool
}

// CharLit is a character literal 'x'.
type CharLit struct {
	Pos   Pos
	Value rune
}

// StringLit is a string literal ("...", #"..."# or a back-tick string without
// interpolation), escapes already decoded.
type StringLit struct {
	Pos   Pos
	Value string
}

// UnitLit is `()`.
type UnitLit struct {
	Pos Pos
}

// InterpString is a back-tick string with `${ ... }` interpolations. Parts
// are, in source order, *StringLit (literal text; empty texts are left out)
// and *Block (the statements inside one `${ }`).
type InterpString struct {
	Pos   Pos
	Parts []Expr
}

// ArrayLit is `[a, b, c]`.
type ArrayLit struct {
	Pos   Pos
	Elems []Expr
}

// MapLit is `#{a: 1, "b c": 2}`; Entries keep source order, keys are unique.
type MapLit struct {
	Pos     Pos
	Entries []MapEntry
}

// MapEntry is one `key: value` of a map literal.
type MapEntry struct {
	Pos   Pos // position of the key
	Key   string
	Value Expr
}

// ---- Names ----

// Ident is a variable reference (or a parameter, a loop or catch variable, a
// declared name). Index is free for the evaluator: the parser leaves it 0.
type Ident struct {
	Pos   Pos
	Name  string
	Index int
}

// NsIdent is a namespaced variable `m::VAR`, `a::b::VAR` or `global::CONST`.
type NsIdent struct {
	Pos       Pos
	Namespace []string // ["m"], ["a", "b"], ["global"]
	Name      string
	Index     int // free for the evaluator
}

// ThisExpr is the `this` keyword.
type ThisExpr struct {
	Pos Pos
}

// ---- Operators ----

// UnaryExpr is `-x`, `+x` or `!x`; Pos is the operator's.
type UnaryExpr struct {
	Pos Pos
	Op  Op
	X   Expr
}

// BinaryExpr is `x op y` for every binary operator, including the
// short-circuit `&&`, `||`, `??`, membership `in`/`!in` and ranges `..`/`..=`.
// Pos is the operator's.
type BinaryExpr struct {
	Pos  Pos
	Op   Op
	X, Y Expr
}

// ---- Access and calls ----

// IndexExpr is `x[i]`, or `x?[i]` when Elvis is set. Pos is the '['.
type IndexExpr struct {
	Pos   Pos
	X     Expr
	Index Expr
	Elvis bool
}

// DotExpr is a property access `x.name`, or `x?.name` when Elvis is set.
// Pos is the property name's.
type DotExpr struct {
	Pos   Pos
	X     Expr
	Name  string
	Elvis bool
}

// MethodCallExpr is `x.name(args)`, or `x?.name(args)` when Elvis is set.
// Pos is the method name's.
type MethodCallExpr struct {
	Pos   Pos
	Recv  Expr
	Name  string
	Args  []Expr
	Elvis bool
}

// CallExpr is a function call `f(args)`, a namespaced call `m::f(args)`
// (Namespace ["m"]), or a scope-sharing call `f!(args)` (Bang). Pos is the
// function name's (for a namespaced call, the first namespace segment's).
type CallExpr struct {
	Pos       Pos
	Namespace []string
	Name      string
	Args      []Expr
	Bang      bool
}

// ClosureExpr is an anonymous function `|a, b| expr` or `|| { ... }`. Its
// body is a statement in Rhai; Body holds an expression statement's
// expression, or a *Block around any other statement.
//
// Captures lists, once each and in order of first use, the closure's
// external variables as Rhai computes them: the names the body reads or
// writes as variables before declaring them itself (as parameter, let,
// const, for or catch variable), except names of script functions defined
// earlier in the script. A name in Captures need not be declared anywhere
// visible to the parser (the host may push it into the scope). Captures of
// a nested closure are also captures of the enclosing closure when it does
// not declare them. Each Ident's Pos is the first use. Pos is the opening
// '|' (or '||').
type ClosureExpr struct {
	Pos      Pos
	Params   []*Ident
	Body     Expr
	Captures []*Ident
}

// ---- Statement-like expressions ----

// Block is `{ stmts }`: a body, or an expression whose value is that of its
// last statement. Pos is the '{' (for an interpolation, the "${").
type Block struct {
	Pos   Pos
	Stmts []Stmt
	End   Pos // the closing '}'
}

// IfExpr is `if cond { } else if … else { }`; Else is nil, a *Block or an
// *IfExpr.
type IfExpr struct {
	Pos  Pos
	Cond Expr
	Then *Block
	Else Expr
}

// SwitchExpr is `switch x { cases }`. Default is nil when there is no `_`
// case.
type SwitchExpr struct {
	Pos     Pos
	X       Expr
	Cases   []*SwitchCase
	Default Expr
}

// SwitchCase is one `v1 | v2 if guard => body`. Values are constant
// expressions: literals (including array and map literals of literals, and
// negative numbers folded into IntLit/FloatLit) and integer ranges
// (*BinaryExpr with OpRange/OpRangeIncl of two *IntLit). Guard is nil when
// absent. The body is a statement in Rhai: Body holds an expression
// statement's expression, or a *Block around any other statement.
type SwitchCase struct {
	Pos    Pos
	Values []Expr
	Guard  Expr
	Body   Expr
}

func (c *SwitchCase) Position() Pos { return c.Pos }

// WhileExpr is `while cond { }`.
type WhileExpr struct {
	Pos  Pos
	Cond Expr
	Body *Block
}

// LoopExpr is `loop { }`.
type LoopExpr struct {
	Pos  Pos
	Body *Block
}

// DoExpr is `do { } while cond` or, when Until is set, `do { } until cond`.
type DoExpr struct {
	Pos   Pos
	Body  *Block
	Cond  Expr
	Until bool
}

// ForExpr is `for x in iter { }` or `for (x, i) in iter { }` (Counter set).
type ForExpr struct {
	Pos     Pos
	Var     *Ident
	Counter *Ident
	Iter    Expr
	Body    *Block
}

// ---- Statements ----

// ExprStmt is an expression used as a statement.
type ExprStmt struct {
	X Expr
}

// LetStmt is `let x = v;`, `const X = v;` (Const) or their `export` forms
// (Export). Value is nil for `let x;`.
type LetStmt struct {
	Pos    Pos // the `let`/`const` keyword
	Name   *Ident
	Value  Expr
	Const  bool
	Export bool
}

// AssignStmt is `lhs = rhs` (Op == OpNone) or a compound assignment
// `lhs op= rhs`. LHS is an *Ident, a *ThisExpr, or an *IndexExpr/*DotExpr
// chain rooted at one of those. Pos is the assignment operator's.
type AssignStmt struct {
	Pos Pos
	Op  Op
	LHS Expr
	RHS Expr
}

// BreakStmt is `break` or `break value` (Value non-nil).
type BreakStmt struct {
	Pos   Pos
	Value Expr
}

// ContinueStmt is `continue`.
type ContinueStmt struct {
	Pos Pos
}

// ReturnStmt is `return` or `return value`.
type ReturnStmt struct {
	Pos   Pos
	Value Expr
}

// ThrowStmt is `throw` or `throw value`.
type ThrowStmt struct {
	Pos   Pos
	Value Expr
}

// TryStmt is `try { } catch (e) { }` or `try { } catch { }` (ErrVar nil).
type TryStmt struct {
	Pos    Pos
	Body   *Block
	ErrVar *Ident
	Catch  *Block
}

// ImportStmt is `import path as alias;` or `import path;` (Alias nil). Path is
// any expression (usually a *StringLit).
type ImportStmt struct {
	Pos   Pos
	Path  Expr
	Alias *Ident
}

// ExportStmt is `export x;` or `export x as y;` (top level only). Rhai
// exports one variable per statement, so Items has one element.
type ExportStmt struct {
	Pos   Pos
	Items []ExportItem
}

// ExportItem is one exported variable; Alias equals Name.Name when there is
// no `as`.
type ExportItem struct {
	Name  *Ident
	Alias string
}

// ---- Node plumbing ----

func (x *IntLit) Position() Pos         { return x.Pos }
func (x *FloatLit) Position() Pos       { return x.Pos }
func (x *BoolLit) Position() Pos        { return x.Pos }
func (x *CharLit) Position() Pos        { return x.Pos }
func (x *StringLit) Position() Pos      { return x.Pos }
func (x *UnitLit) Position() Pos        { return x.Pos }
func (x *InterpString) Position() Pos   { return x.Pos }
func (x *ArrayLit) Position() Pos       { return x.Pos }
func (x *MapLit) Position() Pos         { return x.Pos }
func (x *Ident) Position() Pos          { return x.Pos }
func (x *NsIdent) Position() Pos        { return x.Pos }
func (x *ThisExpr) Position() Pos       { return x.Pos }
func (x *UnaryExpr) Position() Pos      { return x.Pos }
func (x *BinaryExpr) Position() Pos     { return x.Pos }
func (x *IndexExpr) Position() Pos      { return x.Pos }
func (x *DotExpr) Position() Pos        { return x.Pos }
func (x *MethodCallExpr) Position() Pos { return x.Pos }
func (x *CallExpr) Position() Pos       { return x.Pos }
func (x *ClosureExpr) Position() Pos    { return x.Pos }
func (x *Block) Position() Pos          { return x.Pos }
func (x *IfExpr) Position() Pos         { return x.Pos }
func (x *SwitchExpr) Position() Pos     { return x.Pos }
func (x *WhileExpr) Position() Pos      { return x.Pos }
func (x *LoopExpr) Position() Pos       { return x.Pos }
func (x *DoExpr) Position() Pos         { return x.Pos }
func (x *ForExpr) Position() Pos        { return x.Pos }

func (s *ExprStmt) Position() Pos     { return s.X.Position() }
func (s *LetStmt) Position() Pos      { return s.Pos }
func (s *AssignStmt) Position() Pos   { return s.Pos }
func (s *BreakStmt) Position() Pos    { return s.Pos }
func (s *ContinueStmt) Position() Pos { return s.Pos }
func (s *ReturnStmt) Position() Pos   { return s.Pos }
func (s *ThrowStmt) Position() Pos    { return s.Pos }
func (s *TryStmt) Position() Pos      { return s.Pos }
func (s *ImportStmt) Position() Pos   { return s.Pos }
func (s *ExportStmt) Position() Pos   { return s.Pos }

func (*IntLit) exprNode()         {}
func (*FloatLit) exprNode()       {}
func (*BoolLit) exprNode()        {}
func (*CharLit) exprNode()        {}
func (*StringLit) exprNode()      {}
func (*UnitLit) exprNode()        {}
func (*InterpString) exprNode()   {}
func (*ArrayLit) exprNode()       {}
func (*MapLit) exprNode()         {}
func (*Ident) exprNode()          {}
func (*NsIdent) exprNode()        {}
func (*ThisExpr) exprNode()       {}
func (*UnaryExpr) exprNode()      {}
func (*BinaryExpr) exprNode()     {}
func (*IndexExpr) exprNode()      {}
func (*DotExpr) exprNode()        {}
func (*MethodCallExpr) exprNode() {}
func (*CallExpr) exprNode()       {}
func (*ClosureExpr) exprNode()    {}
func (*Block) exprNode()          {}
func (*IfExpr) exprNode()         {}
func (*SwitchExpr) exprNode()     {}
func (*WhileExpr) exprNode()      {}
func (*LoopExpr) exprNode()       {}
func (*DoExpr) exprNode()         {}
func (*ForExpr) exprNode()        {}

func (*ExprStmt) stmtNode()     {}
func (*LetStmt) stmtNode()      {}
func (*AssignStmt) stmtNode()   {}
func (*BreakStmt) stmtNode()    {}
func (*ContinueStmt) stmtNode() {}
func (*ReturnStmt) stmtNode()   {}
func (*ThrowStmt) stmtNode()    {}
func (*TryStmt) stmtNode()      {}
func (*ImportStmt) stmtNode()   {}
func (*ExportStmt) stmtNode()   {}
