package syntax

import (
	"fmt"
	"math"
	"strconv"
)

// Options configures Parse.
type Options struct {
	// MaxExprDepth bounds the nesting of expressions and statements at the
	// top level of a script (Rhai's max_expr_depth). 0 means 64; values above
	// MaxDepthLimit are lowered to it.
	MaxExprDepth int
	// MaxFnExprDepth is the same bound inside function bodies (Rhai's
	// max_function_expr_depth). 0 means 32; values above MaxDepthLimit are
	// lowered to it.
	MaxFnExprDepth int
}

// MaxDepthLimit caps Options' depths so that no input can exhaust the stack.
const MaxDepthLimit = 10000

const (
	defaultMaxExprDepth   = 64
	defaultMaxFnExprDepth = 32
)

func depthOrDefault(n, def int) int {
	switch {
	case n <= 0:
		return def
	case n > MaxDepthLimit:
		return MaxDepthLimit
	}
	return n
}

// Parse parses a whole Rhai script. name is used in error messages. On
// failure the error is a *Error.
func Parse(name, src string, opts Options) (script *Script, err error) {
	p := &parser{
		lx:      newLexer(src),
		maxFn:   depthOrDefault(opts.MaxFnExprDepth, defaultMaxFnExprDepth),
		fnKeys:  map[fnKey]bool{},
		fnNames: map[string]bool{},
	}
	p.ctx = &scope{}
	defer func() {
		if r := recover(); r != nil {
			script = nil
			err = &Error{Kind: errBadInput, Msg: fmt.Sprintf("internal parser error: %v", r), Pos: p.tok.Pos}
		}
		if e, ok := err.(*Error); ok {
			e.Name = name
			if !e.Pos.IsValid() {
				e.Pos = Pos{1, 1}
			}
			e.Src = sourceLine(src, e.Pos.Line)
		}
	}()
	p.advance()
	s := settings{max: depthOrDefault(opts.MaxExprDepth, defaultMaxExprDepth), global: true}
	stmts, err := p.parseGlobal(s)
	if err != nil {
		return nil, p.firstError(err)
	}
	if p.lx.err != nil {
		return nil, p.lx.err
	}
	return &Script{Name: name, Stmts: stmts, Funcs: p.funcs}, nil
}

type fnKey struct {
	name     string
	arity    int
	thisType string
}

// scope tracks, for one function body, closure body or the script's top
// level, the variables declared so far (innermost last), as Rhai's parser
// does, to reject assignments to constants and to find what closures
// capture.
type scope struct {
	parent   *scope // the enclosing scope of a closure; nil otherwise
	closure  bool
	vars     []scopeVar
	latest   map[string]int // name → index in vars of its latest declaration
	captures []*Ident
	captured map[string]bool // the names in captures
}

type scopeVar struct {
	name    string
	isConst bool
	prev    int // index of the previous declaration of the same name, or -1
}

func (c *scope) declare(name string, isConst bool) {
	if c.latest == nil {
		c.latest = map[string]int{}
	}
	prev, ok := c.latest[name]
	if !ok {
		prev = -1
	}
	c.latest[name] = len(c.vars)
	c.vars = append(c.vars, scopeVar{name, isConst, prev})
}

// rewind forgets the declarations made since len(vars) was mark.
func (c *scope) rewind(mark int) {
	for i := len(c.vars) - 1; i >= mark; i-- {
		if v := c.vars[i]; v.prev < 0 {
			delete(c.latest, v.name)
		} else {
			c.latest[v.name] = v.prev
		}
	}
	c.vars = c.vars[:mark]
}

func (c *scope) lookup(name string) (scopeVar, bool) {
	if i, ok := c.latest[name]; ok {
		return c.vars[i], true
	}
	return scopeVar{}, false
}

// settings are the per-construct parse settings, passed by value like Rhai's
// ParseSettings: the nesting level and its bound, and the context flags.
type settings struct {
	level     int
	max       int
	global    bool // at the top level of the script (not in a block)
	fnScope   bool // inside a function or closure body (`this` allowed)
	breakable bool // inside a loop body (`break`, `continue` allowed)
}

type parser struct {
	lx      *lexer
	tok     Token    // the lookahead token
	docs    []string // doc comments right before tok
	maxFn   int
	ctx     *scope
	funcs   []*FnDef
	fnKeys  map[fnKey]bool
	fnNames map[string]bool

	// noPipe stops expressions at '|': set while parsing switch case values
	// so that `1 | 2 =>` lists alternatives (Rhai's expr_filter).
	noPipe bool
}

// advance moves to the next token, collecting doc comments on the way.
func (p *parser) advance() {
	var docs []string
	for {
		t := p.lx.next()
		if t.Kind == DOC_COMMENT {
			docs = append(docs, t.Text)
			continue
		}
		p.tok, p.docs = t, docs
		return
	}
}

// take returns the lookahead token and advances.
func (p *parser) take() Token {
	t := p.tok
	p.advance()
	return t
}

// firstError picks the error to report: a lexical error found while
// looking ahead wins over a parse error at or after its position.
func (p *parser) firstError(err error) error {
	if le := p.lx.err; le != nil {
		pe, ok := err.(*Error)
		if !ok || pe == le || le.Pos.Line < pe.Pos.Line || le.Pos.Line == pe.Pos.Line && le.Pos.Col <= pe.Pos.Col {
			return le
		}
	}
	return err
}

func (p *parser) errAt(pos Pos, kind, msg string) error {
	if p.tok.Kind == ERROR && pos == p.tok.Pos && p.lx.err != nil {
		return p.lx.err
	}
	return &Error{Kind: kind, Msg: msg, Pos: pos}
}

func (p *parser) missing(tok, why string) error {
	return p.errAt(p.tok.Pos, errMissingToken, "Expecting '"+tok+"' "+why)
}

func (p *parser) unexpected() error {
	t := p.tok
	if t.Kind == EOF {
		return p.errAt(t.Pos, errUnexpectedEOF, "Script is incomplete")
	}
	return p.errAt(t.Pos, errBadInput, "Unexpected '"+tokenText(t)+"'")
}

func reservedMsg(s string) string {
	if len(s) > 0 && (isAlpha(s[0]) || s[0] == '_') {
		return "'" + s + "' is a reserved keyword"
	}
	return "'" + s + "' is a reserved symbol"
}

// tokenText renders a token for messages, as Rhai displays it.
func tokenText(t Token) string {
	switch t.Kind {
	case IDENT, RESERVED:
		return t.Text
	case INT:
		return strconv.FormatInt(t.Int, 10)
	case FLOAT:
		return strconv.FormatFloat(t.Float, 'g', -1, 64)
	case CHAR:
		return string(t.Char)
	case STRING:
		return strconv.Quote(t.Text)
	case INTERP_START, INTERP_MID, INTERP_END:
		return "string"
	case EOF:
		return "{EOF}"
	}
	return t.Kind.String()
}

// levelUp enters one more level of nesting (Rhai's ParseSettings::level_up).
func (p *parser) levelUp(s settings) (settings, error) {
	if s.level >= s.max {
		return s, p.errAt(p.tok.Pos, errExprTooDeep, "Expression exceeds maximum complexity")
	}
	s.level++
	return s, nil
}

// ---- Scopes ----

func (p *parser) declare(name string, isConst bool) { p.ctx.declare(name, isConst) }

// lookup finds name among the current scope's declared variables.
func (p *parser) lookup(name string) (scopeVar, bool) { return p.ctx.lookup(name) }

// access records a read or write of variable name: inside a closure, a
// variable not declared in the closure itself is captured (unless a script
// function of that name is already defined: then it is a function pointer),
// and so on outwards through nested closures.
func (p *parser) access(name string, pos Pos) {
	for c := p.ctx; c != nil && c.closure; c = c.parent {
		if _, found := c.lookup(name); found || p.fnNames[name] {
			return
		}
		if c.captured == nil {
			c.captured = map[string]bool{}
		}
		if !c.captured[name] {
			c.captured[name] = true
			c.captures = append(c.captures, &Ident{Pos: pos, Name: name})
		}
	}
}

// ---- Statements ----

// parseGlobal parses the top-level statements up to the end of the script.
func (p *parser) parseGlobal(s settings) ([]Stmt, error) {
	var stmts []Stmt
	for p.tok.Kind != EOF {
		st, selfTerm, err := p.parseStmt(s)
		if err != nil {
			return nil, err
		}
		if st == nil {
			continue
		}
		stmts = append(stmts, st)
		switch {
		case p.tok.Kind == EOF:
		case p.tok.Kind == SEMI:
			p.advance()
		case selfTerm:
		default:
			return nil, p.missing(";", "to terminate this statement")
		}
	}
	return stmts, nil
}

// parseBlock parses `{ stmts }`.
func (p *parser) parseBlock(s settings) (*Block, error) {
	s, err := p.levelUp(s)
	if err != nil {
		return nil, err
	}
	if p.tok.Kind != LBRACE {
		return nil, p.missing("{", "to start a statement block")
	}
	blk := &Block{Pos: p.take().Pos}
	s.global = false
	mark := len(p.ctx.vars)
	for {
		switch p.tok.Kind {
		case RBRACE:
			blk.End = p.take().Pos
			p.ctx.rewind(mark)
			return blk, nil
		case EOF:
			return nil, p.missing("}", "to terminate this block")
		}
		st, selfTerm, err := p.parseStmt(s)
		if err != nil {
			return nil, err
		}
		if st == nil {
			continue
		}
		blk.Stmts = append(blk.Stmts, st)
		switch {
		case p.tok.Kind == RBRACE:
		case p.tok.Kind == SEMI:
			p.advance()
		case selfTerm:
		default:
			return nil, p.missing(";", "to terminate this statement")
		}
	}
}

// parseStmt parses one statement. It returns a nil Stmt for an empty
// statement or a function definition, and whether the statement ends in a
// block of its own (so that no ';' needs to follow it).
func (p *parser) parseStmt(s settings) (Stmt, bool, error) {
	t := p.tok
	switch t.Kind {
	case EOF:
		return nil, false, nil
	case SEMI:
		p.advance()
		return nil, false, nil
	case LBRACE:
		s, err := p.levelUp(s)
		if err != nil {
			return nil, false, err
		}
		b, err := p.parseBlock(s)
		if err != nil {
			return nil, false, err
		}
		return &ExprStmt{X: b}, true, nil
	case FN, PRIVATE:
		if !s.global {
			return nil, false, p.errAt(t.Pos, errWrongFnDefinition,
				"Function definitions must be at global level and cannot be inside a block or another function")
		}
		return nil, false, p.parseFnDef()
	case IF, SWITCH, WHILE, LOOP, DO, FOR:
		s, err := p.levelUp(s)
		if err != nil {
			return nil, false, err
		}
		var x Expr
		switch t.Kind {
		case IF:
			x, err = p.parseIf(s)
		case SWITCH:
			x, err = p.parseSwitch(s)
		case WHILE, LOOP:
			x, err = p.parseWhile(s)
		case DO:
			x, err = p.parseDo(s)
		default:
			x, err = p.parseFor(s)
		}
		if err != nil {
			return nil, false, err
		}
		return &ExprStmt{X: x}, t.Kind != DO, nil
	case CONTINUE, BREAK:
		if !s.breakable {
			return nil, false, p.errAt(t.Pos, errLoopBreak, "Break statement should only be used inside a loop")
		}
		p.advance()
		if t.Kind == CONTINUE {
			return &ContinueStmt{Pos: t.Pos}, false, nil
		}
		st := &BreakStmt{Pos: t.Pos}
		switch p.tok.Kind {
		case EOF, RBRACE, SEMI:
		default:
			s, err := p.levelUp(s)
			if err != nil {
				return nil, false, err
			}
			if st.Value, err = p.parseExpr(s); err != nil {
				return nil, false, err
			}
		}
		return st, false, nil
	case RETURN, THROW:
		p.advance()
		var value Expr
		switch {
		case p.tok.Kind == EOF, p.tok.Kind == SEMI, p.tok.Kind == RBRACE && !s.global:
		default:
			s, err := p.levelUp(s)
			if err != nil {
				return nil, false, err
			}
			if value, err = p.parseExpr(s); err != nil {
				return nil, false, err
			}
		}
		if t.Kind == RETURN {
			return &ReturnStmt{Pos: t.Pos, Value: value}, false, nil
		}
		return &ThrowStmt{Pos: t.Pos, Value: value}, false, nil
	case TRY:
		s, err := p.levelUp(s)
		if err != nil {
			return nil, false, err
		}
		st, err := p.parseTry(s)
		return st, true, err
	case LET, CONST:
		s, err := p.levelUp(s)
		if err != nil {
			return nil, false, err
		}
		st, err := p.parseLet(s, false)
		return st, false, err
	case IMPORT:
		s, err := p.levelUp(s)
		if err != nil {
			return nil, false, err
		}
		st, err := p.parseImport(s)
		return st, false, err
	case EXPORT:
		if !s.global {
			return nil, false, p.errAt(t.Pos, errWrongExport, "Export statement can only appear at global level")
		}
		s, err := p.levelUp(s)
		if err != nil {
			return nil, false, err
		}
		st, err := p.parseExport(s)
		return st, false, err
	}
	s, err := p.levelUp(s)
	if err != nil {
		return nil, false, err
	}
	st, err := p.parseExprStmt(s)
	return st, false, err
}

// parseExprStmt parses an expression statement or an assignment.
func (p *parser) parseExprStmt(s settings) (Stmt, error) {
	lhs, err := p.parseExpr(s)
	if err != nil {
		return nil, err
	}
	op, ok := assignOp(p.tok.Kind)
	if !ok {
		return &ExprStmt{X: lhs}, nil
	}
	opPos := p.take().Pos
	rhs, err := p.parseExpr(s)
	if err != nil {
		return nil, err
	}
	if err := p.checkAssignable(lhs, op, opPos); err != nil {
		return nil, err
	}
	return &AssignStmt{Pos: opPos, Op: op, LHS: lhs, RHS: rhs}, nil
}

func assignOp(k Kind) (Op, bool) {
	switch k {
	case ASSIGN:
		return OpNone, true
	case PLUS_ASSIGN:
		return OpAdd, true
	case MINUS_ASSIGN:
		return OpSub, true
	case STAR_ASSIGN:
		return OpMul, true
	case SLASH_ASSIGN:
		return OpDiv, true
	case PERCENT_ASSIGN:
		return OpMod, true
	case POW_ASSIGN:
		return OpPow, true
	case SHL_ASSIGN:
		return OpShl, true
	case SHR_ASSIGN:
		return OpShr, true
	case AMP_ASSIGN:
		return OpBitAnd, true
	case PIPE_ASSIGN:
		return OpBitOr, true
	case CARET_ASSIGN:
		return OpBitXor, true
	}
	return 0, false
}

// checkAssignable checks an assignment's target like Rhai's
// make_assignment_stmt: a variable (not a constant declared in the current
// scope), `this`, or an index/property chain rooted at one of those.
func (p *parser) checkAssignable(lhs Expr, op Op, opPos Pos) error {
	switch x := lhs.(type) {
	case *ThisExpr, *NsIdent:
		return nil
	case *Ident:
		if v, ok := p.lookup(x.Name); ok && v.isConst {
			return p.errAt(x.Pos, errAssignmentToConstant, "Cannot assign to constant '"+x.Name+"'")
		}
		return nil
	case *IndexExpr, *DotExpr, *MethodCallExpr:
		var call *MethodCallExpr
		root := lhs
	walk:
		for {
			switch n := root.(type) {
			case *IndexExpr:
				root = n.X
			case *DotExpr:
				root = n.X
			case *MethodCallExpr:
				call = n
				root = n.Recv
			default:
				break walk
			}
		}
		if call != nil {
			return p.errAt(call.Pos, errAssignmentToInvalidLHS, "Expression cannot be assigned to")
		}
		switch root.(type) {
		case *Ident, *NsIdent, *ThisExpr:
			return nil
		}
		return p.errAt(root.Position(), errAssignmentToInvalidLHS, "Expression cannot be assigned to")
	}
	if isConstant(lhs) {
		return p.errAt(startPos(lhs), errAssignmentToConstant, "Cannot assign to a constant value")
	}
	if b, ok := lhs.(*BinaryExpr); ok && op == OpNone && (b.Op == OpAnd || b.Op == OpOr || b.Op == OpCoalesce) {
		return p.errAt(opPos, errBadInput, "Possibly a typo of '=='?")
	}
	return p.errAt(startPos(lhs), errAssignmentToInvalidLHS, "Expression cannot be assigned to")
}

// parseVarName parses the name in a declaration.
func (p *parser) parseVarName() (*Ident, error) {
	t := p.tok
	switch {
	case t.Kind == IDENT && !isKeywordFunction(t.Text):
		p.advance()
		return &Ident{Pos: t.Pos, Name: t.Text}, nil
	case t.Kind == IDENT || t.Kind == RESERVED && isAlpha(t.Text[0]):
		return nil, p.errAt(t.Pos, errReserved, reservedMsg(t.Text))
	case t.Kind == THIS:
		return nil, p.errAt(t.Pos, errReserved, reservedMsg("this"))
	}
	return nil, p.errAt(t.Pos, errVariableExpected, "Expecting name of a variable")
}

// parseLet parses `let`/`const` (the lookahead), optionally exported.
func (p *parser) parseLet(s settings, export bool) (Stmt, error) {
	t := p.take()
	name, err := p.parseVarName()
	if err != nil {
		return nil, err
	}
	st := &LetStmt{Pos: t.Pos, Name: name, Const: t.Kind == CONST, Export: export}
	if p.tok.Kind == ASSIGN {
		p.advance()
		s, err := p.levelUp(s)
		if err != nil {
			return nil, err
		}
		if st.Value, err = p.parseExpr(s); err != nil {
			return nil, err
		}
	}
	p.declare(name.Name, st.Const)
	return st, nil
}

func (p *parser) parseImport(s settings) (Stmt, error) {
	s, err := p.levelUp(s)
	if err != nil {
		return nil, err
	}
	st := &ImportStmt{Pos: p.take().Pos}
	if st.Path, err = p.parseExpr(s); err != nil {
		return nil, err
	}
	if p.tok.Kind == AS {
		p.advance()
		if st.Alias, err = p.parseVarName(); err != nil {
			return nil, err
		}
	}
	return st, nil
}

func (p *parser) parseExport(s settings) (Stmt, error) {
	pos := p.take().Pos
	if p.tok.Kind == LET || p.tok.Kind == CONST {
		s, err := p.levelUp(s)
		if err != nil {
			return nil, err
		}
		return p.parseLet(s, true)
	}
	name, err := p.parseVarName()
	if err != nil {
		return nil, err
	}
	item := ExportItem{Name: name, Alias: name.Name}
	if p.tok.Kind == AS {
		p.advance()
		alias, err := p.parseVarName()
		if err != nil {
			return nil, err
		}
		item.Alias = alias.Name
	}
	return &ExportStmt{Pos: pos, Items: []ExportItem{item}}, nil
}

func (p *parser) parseTry(s settings) (Stmt, error) {
	s, err := p.levelUp(s)
	if err != nil {
		return nil, err
	}
	st := &TryStmt{Pos: p.take().Pos}
	if st.Body, err = p.parseBlock(s); err != nil {
		return nil, err
	}
	if p.tok.Kind != CATCH {
		return nil, p.missing("catch", "for the 'try' statement")
	}
	p.advance()
	mark := len(p.ctx.vars)
	if p.tok.Kind == LPAREN {
		p.advance()
		if st.ErrVar, err = p.parseVarName(); err != nil {
			return nil, err
		}
		if p.tok.Kind != RPAREN {
			return nil, p.missing(")", "to enclose the catch variable")
		}
		p.advance()
		p.declare(st.ErrVar.Name, false)
	}
	if st.Catch, err = p.parseBlock(s); err != nil {
		return nil, err
	}
	p.ctx.rewind(mark)
	return st, nil
}

// parseFnDef parses `fn …` or `private fn …` at the top level.
func (p *parser) parseFnDef() error {
	docs := p.docs
	private := false
	if p.tok.Kind == PRIVATE {
		p.advance()
		private = true
		if p.tok.Kind != FN {
			return p.missing("fn", "following 'private'")
		}
	}
	fnPos := p.take().Pos
	s := settings{max: p.maxFn, fnScope: true}
	s, err := p.levelUp(s)
	if err != nil {
		return err
	}

	t := p.take()
	thisType := ""
	if (t.Kind == IDENT || t.Kind == STRING) && p.tok.Kind == DOT {
		p.advance()
		switch thisType = t.Text; thisType {
		case "int":
			thisType = "i64"
		case "float":
			thisType = "f64"
		}
		t = p.take()
	} else if t.Kind == STRING {
		return p.missing(".", "after the type name for 'this'")
	}
	switch {
	case t.Kind == IDENT && !isKeywordFunction(t.Text):
	case t.Kind == IDENT || t.Kind == RESERVED:
		return p.errAt(t.Pos, errReserved, reservedMsg(t.Text))
	case t.Kind == THIS:
		return p.errAt(t.Pos, errReserved, reservedMsg("this"))
	default:
		return p.errAt(t.Pos, errFnMissingName, "Expecting function name in function declaration")
	}
	f := &FnDef{Pos: t.Pos, Name: t.Text, Private: private, ThisType: thisType, Doc: docs}

	outer := p.ctx
	p.ctx = &scope{}
	defer func() { p.ctx = outer }()

	switch p.tok.Kind {
	case UNIT:
		p.advance()
	case LPAREN:
		p.advance()
		for p.tok.Kind != RPAREN {
			t := p.tok
			if t.Kind != IDENT || isKeywordFunction(t.Text) {
				return p.missing(")", "to close the parameters list of function '"+f.Name+"'")
			}
			p.advance()
			for _, prm := range f.Params {
				if prm.Name == t.Text {
					return p.errAt(t.Pos, errFnDuplicatedParam,
						"Duplicated parameter '"+t.Text+"' for function '"+f.Name+"'")
				}
			}
			f.Params = append(f.Params, &Ident{Pos: t.Pos, Name: t.Text})
			p.declare(t.Text, false)
			switch p.tok.Kind {
			case RPAREN:
			case COMMA:
				p.advance()
			default:
				return p.missing(",", "to separate the parameters of function '"+f.Name+"'")
			}
		}
		p.advance()
	default:
		return p.errAt(p.tok.Pos, errFnMissingParams, "Expecting parameters for function '"+f.Name+"'")
	}
	if p.tok.Kind != LBRACE {
		return p.errAt(p.tok.Pos, errFnMissingBody, "Expecting body statement block for function '"+f.Name+"'")
	}
	if f.Body, err = p.parseBlock(s); err != nil {
		return err
	}

	key := fnKey{f.Name, len(f.Params), f.ThisType}
	if p.fnKeys[key] {
		var what string
		switch n := len(f.Params); n {
		case 0:
			what = "no parameters"
		case 1:
			what = "1 parameter"
		default:
			what = strconv.Itoa(n) + " parameters"
		}
		return p.errAt(fnPos, errFnDuplicatedDefinition, "Function '"+f.Name+"' with "+what+" already exists")
	}
	p.fnKeys[key] = true
	p.fnNames[f.Name] = true
	p.funcs = append(p.funcs, f)
	return nil
}

// ---- Control flow ----

// ensureNotBlock rejects a condition that starts with '{'.
func (p *parser) ensureNotBlock(what string) error {
	if p.tok.Kind == LBRACE {
		return p.errAt(p.tok.Pos, errExprExpected, "Expecting "+what+" expression")
	}
	return nil
}

// ensureNotAssign rejects `if x = 1 {`.
func (p *parser) ensureNotAssign() error {
	if p.tok.Kind == ASSIGN {
		return p.errAt(p.tok.Pos, errBadInput, "Possibly a typo of '=='?")
	}
	return nil
}

// parseCond parses the condition of if/while/do or a switch guard.
func (p *parser) parseCond(s settings) (Expr, error) {
	if err := p.ensureNotBlock("a boolean"); err != nil {
		return nil, err
	}
	cond, err := p.parseExpr(s)
	if err != nil {
		return nil, err
	}
	if err := p.ensureBool(cond); err != nil {
		return nil, err
	}
	return cond, p.ensureNotAssign()
}

func (p *parser) parseIf(s settings) (Expr, error) {
	s, err := p.levelUp(s)
	if err != nil {
		return nil, err
	}
	x := &IfExpr{Pos: p.take().Pos}
	if x.Cond, err = p.parseCond(s); err != nil {
		return nil, err
	}
	if x.Then, err = p.parseBlock(s); err != nil {
		return nil, err
	}
	if p.tok.Kind == ELSE {
		p.advance()
		if p.tok.Kind == IF {
			x.Else, err = p.parseIf(s)
		} else {
			x.Else, err = p.parseBlock(s)
		}
		if err != nil {
			return nil, err
		}
	}
	return x, nil
}

// parseWhile parses `while cond { }` and `loop { }`.
func (p *parser) parseWhile(s settings) (Expr, error) {
	s, err := p.levelUp(s)
	if err != nil {
		return nil, err
	}
	t := p.take()
	var cond Expr
	if t.Kind == WHILE {
		if cond, err = p.parseCond(s); err != nil {
			return nil, err
		}
	}
	s.breakable = true
	body, err := p.parseBlock(s)
	if err != nil {
		return nil, err
	}
	if t.Kind == LOOP {
		return &LoopExpr{Pos: t.Pos, Body: body}, nil
	}
	return &WhileExpr{Pos: t.Pos, Cond: cond, Body: body}, nil
}

func (p *parser) parseDo(s settings) (Expr, error) {
	s, err := p.levelUp(s)
	if err != nil {
		return nil, err
	}
	x := &DoExpr{Pos: p.take().Pos}
	breakable := s.breakable
	s.breakable = true
	if x.Body, err = p.parseBlock(s); err != nil {
		return nil, err
	}
	switch p.tok.Kind {
	case WHILE:
	case UNTIL:
		x.Until = true
	default:
		return nil, p.missing("while", "for the do statement")
	}
	p.advance()
	s.breakable = breakable
	if x.Cond, err = p.parseCond(s); err != nil {
		return nil, err
	}
	return x, nil
}

func (p *parser) parseFor(s settings) (Expr, error) {
	s, err := p.levelUp(s)
	if err != nil {
		return nil, err
	}
	x := &ForExpr{Pos: p.take().Pos}
	if p.tok.Kind == LPAREN {
		p.advance()
		if x.Var, err = p.parseVarName(); err != nil {
			return nil, err
		}
		if p.tok.Kind != COMMA {
			return nil, p.missing(",", "after the iteration variable name")
		}
		p.advance()
		if x.Counter, err = p.parseVarName(); err != nil {
			return nil, err
		}
		if x.Counter.Name == x.Var.Name {
			return nil, p.errAt(x.Counter.Pos, errDuplicatedVariable, "Duplicated variable name '"+x.Counter.Name+"'")
		}
		if p.tok.Kind != RPAREN {
			return nil, p.missing(")", "to close the iteration variable")
		}
		p.advance()
	} else if x.Var, err = p.parseVarName(); err != nil {
		return nil, err
	}
	if p.tok.Kind != IN {
		return nil, p.missing("in", "after the iteration variable")
	}
	p.advance()
	if err := p.ensureNotBlock("a boolean"); err != nil {
		return nil, err
	}
	if x.Iter, err = p.parseExpr(s); err != nil {
		return nil, err
	}
	if err := p.ensureIterable(x.Iter); err != nil {
		return nil, err
	}
	mark := len(p.ctx.vars)
	if x.Counter != nil {
		p.declare(x.Counter.Name, false)
	}
	p.declare(x.Var.Name, false)
	s.breakable = true
	if x.Body, err = p.parseBlock(s); err != nil {
		return nil, err
	}
	p.ctx.rewind(mark)
	return x, nil
}

// stmtExpr turns the statement body of a switch case or closure into an
// expression: the expression of an expression statement, otherwise a block
// holding the statement (an empty block for an empty statement).
func stmtExpr(st Stmt, pos Pos) Expr {
	switch st := st.(type) {
	case nil:
		return &Block{Pos: pos, End: pos}
	case *ExprStmt:
		return st.X
	}
	return &Block{Pos: st.Position(), Stmts: []Stmt{st}, End: st.Position()}
}

func (p *parser) parseSwitch(s settings) (Expr, error) {
	s, err := p.levelUp(s)
	if err != nil {
		return nil, err
	}
	x := &SwitchExpr{Pos: p.take().Pos}
	if x.X, err = p.parseExpr(s); err != nil {
		return nil, err
	}
	if p.tok.Kind != LBRACE {
		return nil, p.missing("{", "to start a switch block")
	}
	p.advance()
	hasDefault := false
	var defPos Pos
	seenRange := false
	for {
		var c *SwitchCase
		switch {
		case p.tok.Kind == RBRACE:
			p.advance()
			return x, nil
		case p.tok.Kind == EOF:
			return nil, p.missing("}", "to end this switch block")
		case hasDefault:
			return nil, p.errAt(defPos, errWrongSwitchDefaultCase, "Default switch case must be the last")
		case p.tok.Kind == UNDERSCORE:
			hasDefault = true
			defPos = p.take().Pos
			if p.tok.Kind == IF {
				return nil, p.errAt(p.tok.Pos, errWrongSwitchCaseCondition, "This switch case cannot have a condition")
			}
		default:
			c = &SwitchCase{Pos: p.tok.Pos}
			for {
				saved := p.noPipe
				p.noPipe = true
				v, err := p.parseExpr(s)
				p.noPipe = saved
				if err != nil {
					if e, ok := p.firstError(err).(*Error); ok {
						return nil, &Error{Kind: errExprExpected, Msg: "Expecting literal expression", Pos: e.Pos}
					}
					return nil, err
				}
				c.Values = append(c.Values, v)
				if p.tok.Kind != PIPE {
					break
				}
				p.advance()
			}
			if p.tok.Kind == IF {
				p.advance()
				if c.Guard, err = p.parseCond(s); err != nil {
					return nil, err
				}
			}
		}
		if p.tok.Kind != ARROW {
			return nil, p.missing("=>", "in this switch case")
		}
		arrow := p.take().Pos
		st, selfTerm, err := p.parseStmt(s)
		if err != nil {
			return nil, err
		}
		body := stmtExpr(st, arrow)
		if c == nil {
			x.Default = body
		} else {
			c.Body = body
			for _, v := range c.Values {
				isRange, empty, ok := caseValue(v)
				if !ok {
					return nil, p.errAt(startPos(v), errExprExpected, "Expecting a literal expression")
				}
				if isRange {
					seenRange = seenRange || !empty
					continue
				}
				switch v.(type) {
				case *IntLit, *FloatLit:
					if seenRange {
						return nil, p.errAt(startPos(v), errWrongSwitchIntegerCase,
							"Integer switch case cannot follow a range case")
					}
				}
			}
			x.Cases = append(x.Cases, c)
		}
		switch {
		case p.tok.Kind == COMMA:
			p.advance()
		case p.tok.Kind == RBRACE:
		case p.tok.Kind == EOF:
			return nil, p.missing("}", "to end this switch block")
		case !selfTerm:
			return nil, p.missing(",", "to separate the items in this switch block")
		}
	}
}

// caseValue checks that a switch case value is a constant: a literal, an
// array or map literal of constants, or an integer range.
func caseValue(v Expr) (isRange, empty, ok bool) {
	if b, isBin := v.(*BinaryExpr); isBin && (b.Op == OpRange || b.Op == OpRangeIncl) {
		lo, ok1 := b.X.(*IntLit)
		hi, ok2 := b.Y.(*IntLit)
		if !ok1 || !ok2 {
			return false, false, false
		}
		if b.Op == OpRange {
			return true, lo.Value >= hi.Value, true
		}
		return true, lo.Value > hi.Value, true
	}
	return false, false, isConstant(v)
}

// isConstant reports whether e is a constant literal (Rhai's is_constant).
func isConstant(e Expr) bool {
	switch x := e.(type) {
	case *IntLit, *FloatLit, *BoolLit, *CharLit, *StringLit, *UnitLit:
		return true
	case *ArrayLit:
		for _, el := range x.Elems {
			if !isConstant(el) {
				return false
			}
		}
		return true
	case *MapLit:
		for _, en := range x.Entries {
			if !isConstant(en.Value) {
				return false
			}
		}
		return true
	}
	return false
}

// startPos is the position where an expression's text starts.
func startPos(e Expr) Pos {
	for {
		switch x := e.(type) {
		case *BinaryExpr:
			e = x.X
		case *IndexExpr:
			e = x.X
		case *DotExpr:
			e = x.X
		case *MethodCallExpr:
			e = x.Recv
		default:
			return e.Position()
		}
	}
}

// literalType names a literal's type for MismatchedType errors, or returns
// "" for an expression that is not a literal.
func literalType(e Expr) string {
	switch e.(type) {
	case *UnitLit:
		return "()"
	case *BoolLit:
		return "a boolean"
	case *IntLit:
		return "a number"
	case *FloatLit:
		return "a floating-point number"
	case *CharLit:
		return "a character"
	case *StringLit, *InterpString:
		return "a string"
	case *ArrayLit:
		return "an array"
	case *MapLit:
		return "an object map"
	}
	return ""
}

// ensureBool rejects a literal that can never be a boolean.
func (p *parser) ensureBool(e Expr) error {
	if t := literalType(e); t != "" && t != "a boolean" {
		return p.errAt(startPos(e), errMismatchedType, "Expecting a boolean expression, not "+t)
	}
	return nil
}

// ensureIterable rejects a literal that can never be iterated.
func (p *parser) ensureIterable(e Expr) error {
	switch t := literalType(e); t {
	case "", "a string", "an array":
		return nil
	default:
		return p.errAt(startPos(e), errMismatchedType, "Expecting an iterable value, not "+t)
	}
}

// ---- Expressions ----

func (p *parser) parseExpr(s settings) (Expr, error) {
	s, err := p.levelUp(s)
	if err != nil {
		return nil, err
	}
	lhs, err := p.parseUnary(s)
	if err != nil {
		return nil, err
	}
	return p.parseBinary(s, 1, lhs)
}

// precedence returns a binary operator's precedence (Rhai's table), or 0.
func precedence(k Kind) int {
	switch k {
	case OR, CARET, PIPE:
		return 30
	case AND, AMP:
		return 60
	case EQ, NE:
		return 90
	case IN, NOT_IN:
		return 110
	case LT, LE, GT, GE:
		return 130
	case COALESCE:
		return 135
	case RANGE, RANGE_INCL:
		return 140
	case PLUS, MINUS:
		return 150
	case STAR, SLASH, PERCENT:
		return 180
	case POW:
		return 190
	case SHL, SHR:
		return 210
	}
	return 0
}

var binaryOps = [...]Op{
	OR: OpOr, CARET: OpBitXor, PIPE: OpBitOr, AND: OpAnd, AMP: OpBitAnd,
	EQ: OpEq, NE: OpNe, IN: OpIn, NOT_IN: OpNotIn, LT: OpLt, LE: OpLe,
	GT: OpGt, GE: OpGe, COALESCE: OpCoalesce, RANGE: OpRange,
	RANGE_INCL: OpRangeIncl, PLUS: OpAdd, MINUS: OpSub, STAR: OpMul,
	SLASH: OpDiv, PERCENT: OpMod, POW: OpPow, SHL: OpShl, SHR: OpShr,
}

// opPrecedence is precedence() for the lookahead, rejecting reserved symbols
// in operator position.
func (p *parser) opPrecedence() (int, error) {
	t := p.tok
	if t.Kind == RESERVED && !isAlpha(t.Text[0]) {
		return 0, p.errAt(t.Pos, errUnknownOperator, "Unknown operator: '"+t.Text+"'")
	}
	return precedence(t.Kind), nil
}

// parseBinary is Rhai's precedence climbing: every operator binds to the
// left except `**`.
func (p *parser) parseBinary(s settings, parentPrec int, lhs Expr) (Expr, error) {
	root := lhs
	for {
		if p.noPipe && p.tok.Kind == PIPE {
			return root, nil
		}
		prec, err := p.opPrecedence()
		if err != nil {
			return nil, err
		}
		op := p.tok
		bindRight := op.Kind == POW
		if prec < parentPrec || prec == parentPrec && !bindRight {
			return root, nil
		}
		p.advance()
		rhs, err := p.parseUnary(s)
		if err != nil {
			return nil, err
		}
		nextPrec, err := p.opPrecedence()
		if err != nil {
			return nil, err
		}
		if prec == nextPrec && bindRight || prec < nextPrec {
			if rhs, err = p.parseBinary(s, prec, rhs); err != nil {
				return nil, err
			}
		}
		if s, err = p.levelUp(s); err != nil {
			return nil, err
		}
		bop := binaryOps[op.Kind]
		if bop == OpAnd || bop == OpOr {
			if err := p.ensureBool(root); err != nil {
				return nil, err
			}
			if err := p.ensureBool(rhs); err != nil {
				return nil, err
			}
		}
		root = &BinaryExpr{Pos: op.Pos, Op: bop, X: root, Y: rhs}
	}
}

func (p *parser) parseUnary(s settings) (Expr, error) {
	t := p.tok
	if p.noPipe && t.Kind == PIPE {
		return nil, p.unexpected()
	}
	switch t.Kind {
	case MINUS, PLUS, BANG:
		p.advance()
		s, err := p.levelUp(s)
		if err != nil {
			return nil, err
		}
		x, err := p.parseUnary(s)
		if err != nil {
			return nil, err
		}
		switch t.Kind {
		case MINUS:
			switch lit := x.(type) {
			case *IntLit:
				if lit.Value == math.MinInt64 {
					return &FloatLit{Pos: t.Pos, Value: -float64(lit.Value)}, nil
				}
				return &IntLit{Pos: t.Pos, Value: -lit.Value}, nil
			case *FloatLit:
				return &FloatLit{Pos: t.Pos, Value: -lit.Value}, nil
			}
			return &UnaryExpr{Pos: t.Pos, Op: OpNeg, X: x}, nil
		case PLUS:
			switch x.(type) {
			case *IntLit, *FloatLit:
				return x, nil
			}
			return &UnaryExpr{Pos: t.Pos, Op: OpPlus, X: x}, nil
		}
		return &UnaryExpr{Pos: t.Pos, Op: OpNot, X: x}, nil
	case EOF:
		return nil, p.unexpected()
	}
	return p.parsePrimary(s)
}

func (p *parser) parsePrimary(s settings) (Expr, error) {
	t := p.tok
	var root Expr
	var err error
	switch t.Kind {
	case EOF:
		return nil, p.unexpected()
	case UNIT:
		p.advance()
		root = &UnitLit{Pos: t.Pos}
	case INT:
		p.advance()
		root = &IntLit{Pos: t.Pos, Value: t.Int}
	case FLOAT:
		p.advance()
		root = &FloatLit{Pos: t.Pos, Value: t.Float}
	case CHAR:
		p.advance()
		root = &CharLit{Pos: t.Pos, Value: t.Char}
	case STRING:
		p.advance()
		root = &StringLit{Pos: t.Pos, Value: t.Text}
	case TRUE, FALSE:
		p.advance()
		root = &BoolLit{Pos: t.Pos, Value: t.Kind == TRUE}
	case LBRACE:
		if s, err = p.levelUp(s); err != nil {
			return nil, err
		}
		if root, err = p.parseBlock(s); err != nil {
			return nil, err
		}
	case LPAREN:
		p.advance()
		if s, err = p.levelUp(s); err != nil {
			return nil, err
		}
		if root, err = p.parseExpr(s); err != nil {
			return nil, err
		}
		if p.tok.Kind != RPAREN {
			return nil, p.missing(")", "for a matching ( in this expression")
		}
		p.advance()
	case IF, WHILE, LOOP, DO, FOR, SWITCH:
		if s, err = p.levelUp(s); err != nil {
			return nil, err
		}
		switch t.Kind {
		case IF:
			root, err = p.parseIf(s)
		case WHILE, LOOP:
			root, err = p.parseWhile(s)
		case DO:
			root, err = p.parseDo(s)
		case FOR:
			root, err = p.parseFor(s)
		default:
			root, err = p.parseSwitch(s)
		}
		if err != nil {
			return nil, err
		}
	case PIPE, OR:
		if s, err = p.levelUp(s); err != nil {
			return nil, err
		}
		if root, err = p.parseClosure(s); err != nil {
			return nil, err
		}
	case INTERP_START:
		if root, err = p.parseInterp(s); err != nil {
			return nil, err
		}
	case LBRACK:
		if s, err = p.levelUp(s); err != nil {
			return nil, err
		}
		if root, err = p.parseArray(s); err != nil {
			return nil, err
		}
	case MAP_START:
		if s, err = p.levelUp(s); err != nil {
			return nil, err
		}
		if root, err = p.parseMap(s); err != nil {
			return nil, err
		}
	case IDENT:
		if root, err = p.parseName(s); err != nil {
			return nil, err
		}
	case THIS:
		if !s.fnScope {
			return nil, p.errAt(t.Pos, errBadInput, "'this' can only be used in functions")
		}
		p.advance()
		root = &ThisExpr{Pos: t.Pos}
	case RESERVED:
		return nil, p.errAt(t.Pos, errReserved, reservedMsg(t.Text))
	default:
		return nil, p.unexpected()
	}
	if p.noPipe && p.tok.Kind == PIPE {
		return root, nil
	}
	return p.parsePostfix(s, root)
}

// parseName parses a variable, a namespaced variable `a::b::x`, or a call
// `f(…)`, `f!(…)`, `m::f(…)`.
func (p *parser) parseName(s settings) (Expr, error) {
	t := p.take()
	name, pos := t.Text, t.Pos
	var ns []string
	for p.tok.Kind == DCOLON {
		if isKeywordFunction(name) {
			return nil, p.errAt(pos, errReserved, reservedMsg(name))
		}
		p.advance()
		n := p.tok
		switch {
		case n.Kind == IDENT:
		case n.Kind == RESERVED && isAlpha(n.Text[0]):
			return nil, p.errAt(n.Pos, errReserved, reservedMsg(n.Text))
		case n.Kind == THIS:
			return nil, p.errAt(n.Pos, errReserved, reservedMsg("this"))
		default:
			return nil, p.errAt(n.Pos, errVariableExpected, "Expecting name of a variable")
		}
		p.advance()
		ns = append(ns, name)
		name = n.Text
		// A keyword function's name is accepted after `::` when it is
		// called (`log::debug(x)`).
		if isKeywordFunction(name) && p.tok.Kind != LPAREN && p.tok.Kind != UNIT {
			return nil, p.errAt(n.Pos, errReserved, reservedMsg(name))
		}
	}
	switch p.tok.Kind {
	case LPAREN, UNIT:
		return p.parseCall(s, pos, ns, name, false)
	case BANG:
		if ns != nil {
			return nil, p.errAt(p.tok.Pos, errBadInput, "'!' cannot be used to call module functions")
		}
		p.advance()
		if p.tok.Kind != LPAREN && p.tok.Kind != UNIT {
			return nil, p.missing("(", "to start arguments list of function call")
		}
		return p.parseCall(s, pos, ns, name, true)
	}
	if ns != nil {
		return &NsIdent{Pos: pos, Namespace: ns, Name: name}, nil
	}
	if isKeywordFunction(name) {
		return nil, p.errAt(pos, errReserved, reservedMsg(name))
	}
	p.access(name, pos)
	return &Ident{Pos: pos, Name: name}, nil
}

// parseArgs parses a call's argument list; the lookahead is '(' or '()'.
func (p *parser) parseArgs(s settings, name string) ([]Expr, error) {
	if p.tok.Kind == UNIT {
		p.advance()
		return nil, nil
	}
	p.advance()
	switch p.tok.Kind {
	case RPAREN:
		p.advance()
		return nil, nil
	case EOF:
		return nil, p.missing(")", "to close the arguments list of this function call '"+name+"'")
	}
	s, err := p.levelUp(s)
	if err != nil {
		return nil, err
	}
	var args []Expr
	for {
		if p.tok.Kind != RPAREN {
			a, err := p.parseExpr(s)
			if err != nil {
				return nil, err
			}
			args = append(args, a)
		}
		switch p.tok.Kind {
		case RPAREN:
			p.advance()
			return args, nil
		case COMMA:
			p.advance()
		case EOF:
			return nil, p.missing(")", "to close the arguments list of this function call '"+name+"'")
		default:
			return nil, p.missing(",", "to separate the arguments to function call '"+name+"'")
		}
	}
}

func (p *parser) parseCall(s settings, pos Pos, ns []string, name string, bang bool) (Expr, error) {
	args, err := p.parseArgs(s, name)
	if err != nil {
		return nil, err
	}
	return &CallExpr{Pos: pos, Namespace: ns, Name: name, Args: args, Bang: bang}, nil
}

// validPostfix reports whether lhs may be followed by an index (Rhai's
// is_valid_postfix; '.' may follow anything).
func validIndexTarget(lhs Expr) bool {
	switch x := lhs.(type) {
	case *FloatLit, *BoolLit, *CharLit, *UnitLit:
		return false
	case *BinaryExpr:
		return x.Op != OpAnd && x.Op != OpOr && x.Op != OpCoalesce
	}
	return true
}

// parsePostfix parses indexing, property access and method calls after a
// primary expression.
func (p *parser) parsePostfix(s settings, lhs Expr) (Expr, error) {
	var err error
	for {
		t := p.tok
		switch t.Kind {
		case LBRACK, ELVIS_BRACK:
			if !validIndexTarget(lhs) {
				return lhs, nil
			}
			if s, err = p.levelUp(s); err != nil {
				return nil, err
			}
			if lhs, err = p.parseIndexChain(s, lhs); err != nil {
				return nil, err
			}
		case DOT, ELVIS_DOT:
			p.advance()
			if s, err = p.levelUp(s); err != nil {
				return nil, err
			}
			n := p.tok
			switch {
			case n.Kind == IDENT && (!isKeywordFunction(n.Text) || isMethodKeywordFunction(n.Text)):
			case n.Kind == IDENT || n.Kind == RESERVED:
				return nil, p.errAt(n.Pos, errReserved, reservedMsg(n.Text))
			case n.Kind == THIS:
				return nil, p.errAt(n.Pos, errReserved, reservedMsg("this"))
			default:
				return nil, p.errAt(n.Pos, errPropertyExpected, "Expecting name of a property")
			}
			p.advance()
			elvis := t.Kind == ELVIS_DOT
			switch p.tok.Kind {
			case LPAREN, UNIT:
				args, err := p.parseArgs(s, n.Text)
				if err != nil {
					return nil, err
				}
				lhs = &MethodCallExpr{Pos: n.Pos, Recv: lhs, Name: n.Text, Args: args, Elvis: elvis}
			case BANG:
				p.advance()
				if p.tok.Kind != LPAREN && p.tok.Kind != UNIT {
					return nil, p.missing("(", "to start arguments list of function call")
				}
				return nil, p.errAt(n.Pos, errMalformedCapture, "method-call style does not support running within the caller's scope")
			case DCOLON:
				return nil, p.errAt(p.tok.Pos, errBadInput, "Invalid symbol encountered: '::'")
			default:
				lhs = &DotExpr{Pos: n.Pos, X: lhs, Name: n.Text, Elvis: elvis}
			}
		default:
			return lhs, nil
		}
	}
}

// parseIndexChain parses one or more consecutive `[i]` / `?[i]`.
func (p *parser) parseIndexChain(s settings, lhs Expr) (Expr, error) {
	check := true
	for {
		open := p.take()
		is, err := p.levelUp(s)
		if err != nil {
			return nil, err
		}
		idx, err := p.parseExpr(is)
		if err != nil {
			return nil, err
		}
		if check {
			if err := p.checkIndex(lhs, idx); err != nil {
				return nil, err
			}
			check = false
		}
		if p.tok.Kind != RBRACK {
			return nil, p.missing("]", "for a matching [ in this index expression")
		}
		p.advance()
		lhs = &IndexExpr{Pos: open.Pos, X: lhs, Index: idx, Elvis: open.Kind == ELVIS_BRACK}
		if p.tok.Kind != LBRACK && p.tok.Kind != ELVIS_BRACK {
			return lhs, nil
		}
		if s, err = p.levelUp(s); err != nil {
			return nil, err
		}
	}
}

// checkIndex rejects index types that literals can never accept.
func (p *parser) checkIndex(lhs, idx Expr) error {
	var what string
	switch x := idx.(type) {
	case *IntLit:
		what = "a number"
	case *StringLit, *InterpString:
		what = "a string"
	case *FloatLit:
		what = "a float"
	case *CharLit:
		what = "a character"
	case *UnitLit:
		what = "()"
	case *BoolLit:
		what = "a boolean"
	case *BinaryExpr:
		if x.Op == OpAnd || x.Op == OpOr {
			what = "a boolean"
		}
	}
	var msg string
	switch lhs.(type) {
	case *MapLit:
		switch what {
		case "", "a string":
			return nil
		}
		msg = "Object map expects string index, not " + what
	case *IntLit, *ArrayLit, *StringLit, *InterpString:
		switch what {
		case "", "a number":
			return nil
		case "a string":
			msg = "Array, string or bit-field expects numeric index, not a string"
		default:
			msg = "Array, string or bit-field expects integer index, not " + what
		}
	default:
		return nil
	}
	return p.errAt(startPos(idx), errMalformedIndexExpr, msg)
}

func (p *parser) parseArray(s settings) (Expr, error) {
	x := &ArrayLit{Pos: p.take().Pos, Elems: []Expr{}}
	for {
		switch p.tok.Kind {
		case RBRACK:
			p.advance()
			return x, nil
		case EOF:
			return nil, p.missing("]", "to end this array literal")
		}
		es, err := p.levelUp(s)
		if err != nil {
			return nil, err
		}
		e, err := p.parseExpr(es)
		if err != nil {
			return nil, err
		}
		x.Elems = append(x.Elems, e)
		switch p.tok.Kind {
		case COMMA:
			p.advance()
		case RBRACK:
		case EOF:
			return nil, p.missing("]", "to end this array literal")
		default:
			return nil, p.missing(",", "to separate the items of this array literal")
		}
	}
}

func (p *parser) parseMap(s settings) (Expr, error) {
	const missingBrace = "to end this object map literal"
	x := &MapLit{Pos: p.take().Pos, Entries: []MapEntry{}}
	for {
		switch p.tok.Kind {
		case RBRACE:
			p.advance()
			return x, nil
		case EOF:
			return nil, p.missing("}", missingBrace)
		}
		k := p.tok
		switch {
		case k.Kind == IDENT && !isKeywordFunction(k.Text), k.Kind == STRING:
			for _, en := range x.Entries {
				if en.Key == k.Text {
					return nil, p.errAt(k.Pos, errDuplicatedProperty, "Duplicated property '"+k.Text+"' for object map literal")
				}
			}
		case k.Kind == INTERP_START:
			return nil, p.errAt(k.Pos, errPropertyExpected, "Expecting name of a property")
		case k.Kind == IDENT || k.Kind == RESERVED && isAlpha(k.Text[0]):
			return nil, p.errAt(k.Pos, errReserved, reservedMsg(k.Text))
		case k.Kind == THIS:
			return nil, p.errAt(k.Pos, errReserved, reservedMsg("this"))
		case len(x.Entries) == 0:
			return nil, p.missing("}", missingBrace)
		default:
			return nil, p.errAt(k.Pos, errPropertyExpected, "Expecting name of a property")
		}
		p.advance()
		if p.tok.Kind != COLON {
			return nil, p.missing(":", "to follow the property '"+k.Text+"' in this object map literal")
		}
		p.advance()
		vs, err := p.levelUp(s)
		if err != nil {
			return nil, err
		}
		v, err := p.parseExpr(vs)
		if err != nil {
			return nil, err
		}
		x.Entries = append(x.Entries, MapEntry{Pos: k.Pos, Key: k.Text, Value: v})
		switch p.tok.Kind {
		case COMMA:
			p.advance()
		case RBRACE:
		case IDENT:
			return nil, p.missing(",", "to separate the items of this object map literal")
		default:
			return nil, p.missing("}", missingBrace)
		}
	}
}

// parseInterp parses a back-tick string with interpolations.
func (p *parser) parseInterp(s settings) (Expr, error) {
	s, err := p.levelUp(s)
	if err != nil {
		return nil, err
	}
	t := p.take()
	x := &InterpString{Pos: t.Pos}
	if t.Text != "" {
		x.Parts = append(x.Parts, &StringLit{Pos: t.Pos, Value: t.Text})
	}
	for {
		blk, err := p.parseBlock(s)
		if err != nil {
			return nil, err
		}
		x.Parts = append(x.Parts, blk)
		t := p.tok
		if t.Kind != INTERP_MID && t.Kind != INTERP_END {
			return nil, p.unexpected()
		}
		p.advance()
		if t.Text != "" {
			x.Parts = append(x.Parts, &StringLit{Pos: t.Pos, Value: t.Text})
		}
		if t.Kind == INTERP_END {
			return x, nil
		}
	}
}

// parseClosure parses `|a, b| stmt` or `|| stmt`.
func (p *parser) parseClosure(s settings) (Expr, error) {
	s, err := p.levelUp(s)
	if err != nil {
		return nil, err
	}
	s.fnScope, s.breakable, s.global = true, false, false
	open := p.take()
	x := &ClosureExpr{Pos: open.Pos}
	inner := &scope{parent: p.ctx, closure: true}
	outer := p.ctx
	p.ctx = inner
	defer func() { p.ctx = outer }()
	if open.Kind == PIPE && p.tok.Kind == PIPE {
		p.advance()
	} else if open.Kind == PIPE {
		for {
			t := p.tok
			if t.Kind == PIPE {
				p.advance()
				break
			}
			if t.Kind != IDENT || isKeywordFunction(t.Text) {
				return nil, p.missing("|", "to close the parameters list of anonymous function or closure")
			}
			p.advance()
			for _, prm := range x.Params {
				if prm.Name == t.Text {
					return nil, p.errAt(t.Pos, errFnDuplicatedParam, "Duplicated parameter '"+t.Text+"'")
				}
			}
			x.Params = append(x.Params, &Ident{Pos: t.Pos, Name: t.Text})
			p.declare(t.Text, false)
			switch p.tok.Kind {
			case PIPE:
				p.advance()
			case COMMA:
				p.advance()
				continue
			default:
				return nil, p.missing(",", "to separate the parameters of anonymous function")
			}
			break
		}
	}
	bodyPos := p.tok.Pos
	st, _, err := p.parseStmt(s)
	if err != nil {
		return nil, err
	}
	x.Body = stmtExpr(st, bodyPos)
	x.Captures = inner.captures
	return x, nil
}
