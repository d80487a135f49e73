package syntax

import (
	"strconv"
	"strings"
)

// Sexpr renders a node (a *Script, *FnDef, *SwitchCase, Stmt or Expr) as a
// compact S-expression, for tests and debugging. Literals print as Go
// literals (strings and chars quoted, floats always with a '.' or exponent);
// names print bare; every other node prints as (head children...):
//
//	(+ a (* b c))  (- x)  (call f 1 2)  (call! f)  (call m::f x)  m::x
//	(index a i)  (index? a i)  (. a p)  (?. a p)  (method a f 1)  (method? a f)
//	(array 1 2)  (map ("a" 1))  (interp "a" (block x))  ()  this
//	(closure (x y) body)  (closure (x) (captures a b) body)
//	(block s1 s2)  (if c then else)  (switch x (case (1 2) body) (case (3) (if g) body) (default body))
//	(while c body)  (loop body)  (do body while c)  (do body until c)
//	(for x iter body)  (for (x i) iter body)
//	(let x v)  (let x)  (const x v)  (export (let x v))  (= x v)  (+= x v)
//	(break)  (break v)  (continue)  (return v)  (throw)  (try body (catch e) body)
//	(import "p" as m)  (export x as y)  (fn f (a b) body)  (private fn i64.f () body)
//
// A script prints as its statements, then its functions, separated by
// spaces.
func Sexpr(node Node) string {
	var b strings.Builder
	w := sexprWriter{&b}
	w.node(node)
	return b.String()
}

type sexprWriter struct{ b *strings.Builder }

func (w sexprWriter) str(s string) { w.b.WriteString(s) }

func (w sexprWriter) open(head string) {
	w.b.WriteByte('(')
	w.b.WriteString(head)
}

func (w sexprWriter) close() { w.b.WriteByte(')') }

func (w sexprWriter) sp() { w.b.WriteByte(' ') }

// list writes " n1 n2 …".
func (w sexprWriter) exprs(xs []Expr) {
	for _, x := range xs {
		w.sp()
		w.node(x)
	}
}

func (w sexprWriter) stmts(xs []Stmt) {
	for _, x := range xs {
		w.sp()
		w.node(x)
	}
}

func (w sexprWriter) idents(ids []*Ident) {
	w.b.WriteByte('(')
	for i, id := range ids {
		if i > 0 {
			w.sp()
		}
		w.str(id.Name)
	}
	w.close()
}

func formatFloat(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eIN") {
		s += ".0"
	}
	return s
}

func (w sexprWriter) node(n Node) {
	switch x := n.(type) {
	case nil:
		w.str("<nil>")
	case *Script:
		first := true
		for _, st := range x.Stmts {
			if !first {
				w.sp()
			}
			first = false
			w.node(st)
		}
		for _, f := range x.Funcs {
			if !first {
				w.sp()
			}
			first = false
			w.node(f)
		}
	case *FnDef:
		w.b.WriteByte('(')
		if x.Private {
			w.str("private ")
		}
		w.str("fn ")
		if x.ThisType != "" {
			w.str(x.ThisType)
			w.str(".")
		}
		w.str(x.Name)
		w.sp()
		w.idents(x.Params)
		w.sp()
		w.node(x.Body)
		w.close()
	case *IntLit:
		w.str(strconv.FormatInt(x.Value, 10))
	case *FloatLit:
		w.str(formatFloat(x.Value))
	case *BoolLit:
		w.str(strconv.FormatBool(x.Value))
	case *CharLit:
		w.str(strconv.QuoteRune(x.Value))
	case *StringLit:
		w.str(strconv.Quote(x.Value))
	case *UnitLit:
		w.str("()")
	case *InterpString:
		w.open("interp")
		w.exprs(x.Parts)
		w.close()
	case *ArrayLit:
		w.open("array")
		w.exprs(x.Elems)
		w.close()
	case *MapLit:
		w.open("map")
		for _, e := range x.Entries {
			w.str(" (")
			w.str(strconv.Quote(e.Key))
			w.sp()
			w.node(e.Value)
			w.close()
		}
		w.close()
	case *Ident:
		w.str(x.Name)
	case *NsIdent:
		w.str(strings.Join(x.Namespace, "::"))
		w.str("::")
		w.str(x.Name)
	case *ThisExpr:
		w.str("this")
	case *UnaryExpr:
		w.open(x.Op.String())
		w.sp()
		w.node(x.X)
		w.close()
	case *BinaryExpr:
		w.open(x.Op.String())
		w.sp()
		w.node(x.X)
		w.sp()
		w.node(x.Y)
		w.close()
	case *IndexExpr:
		if x.Elvis {
			w.open("index? ")
		} else {
			w.open("index ")
		}
		w.node(x.X)
		w.sp()
		w.node(x.Index)
		w.close()
	case *DotExpr:
		if x.Elvis {
			w.open("?. ")
		} else {
			w.open(". ")
		}
		w.node(x.X)
		w.sp()
		w.str(x.Name)
		w.close()
	case *MethodCallExpr:
		if x.Elvis {
			w.open("method? ")
		} else {
			w.open("method ")
		}
		w.node(x.Recv)
		w.sp()
		w.str(x.Name)
		w.exprs(x.Args)
		w.close()
	case *CallExpr:
		if x.Bang {
			w.open("call! ")
		} else {
			w.open("call ")
		}
		for _, ns := range x.Namespace {
			w.str(ns)
			w.str("::")
		}
		w.str(x.Name)
		w.exprs(x.Args)
		w.close()
	case *ClosureExpr:
		w.open("closure ")
		w.idents(x.Params)
		if len(x.Captures) > 0 {
			w.str(" (captures")
			for _, c := range x.Captures {
				w.sp()
				w.str(c.Name)
			}
			w.close()
		}
		w.sp()
		w.node(x.Body)
		w.close()
	case *Block:
		w.open("block")
		w.stmts(x.Stmts)
		w.close()
	case *IfExpr:
		w.open("if ")
		w.node(x.Cond)
		w.sp()
		w.node(x.Then)
		if x.Else != nil {
			w.sp()
			w.node(x.Else)
		}
		w.close()
	case *SwitchExpr:
		w.open("switch ")
		w.node(x.X)
		for _, c := range x.Cases {
			w.sp()
			w.node(c)
		}
		if x.Default != nil {
			w.str(" (default ")
			w.node(x.Default)
			w.close()
		}
		w.close()
	case *SwitchCase:
		w.open("case (")
		for i, v := range x.Values {
			if i > 0 {
				w.sp()
			}
			w.node(v)
		}
		w.close()
		if x.Guard != nil {
			w.str(" (if ")
			w.node(x.Guard)
			w.close()
		}
		w.sp()
		w.node(x.Body)
		w.close()
	case *WhileExpr:
		w.open("while ")
		w.node(x.Cond)
		w.sp()
		w.node(x.Body)
		w.close()
	case *LoopExpr:
		w.open("loop ")
		w.node(x.Body)
		w.close()
	case *DoExpr:
		w.open("do ")
		w.node(x.Body)
		if x.Until {
			w.str(" until ")
		} else {
			w.str(" while ")
		}
		w.node(x.Cond)
		w.close()
	case *ForExpr:
		w.open("for ")
		if x.Counter != nil {
			w.str("(" + x.Var.Name + " " + x.Counter.Name + ")")
		} else {
			w.str(x.Var.Name)
		}
		w.sp()
		w.node(x.Iter)
		w.sp()
		w.node(x.Body)
		w.close()
	case *ExprStmt:
		w.node(x.X)
	case *LetStmt:
		if x.Export {
			w.open("export ")
		}
		if x.Const {
			w.open("const ")
		} else {
			w.open("let ")
		}
		w.str(x.Name.Name)
		if x.Value != nil {
			w.sp()
			w.node(x.Value)
		}
		w.close()
		if x.Export {
			w.close()
		}
	case *AssignStmt:
		if x.Op == OpNone {
			w.open("=")
		} else {
			w.open(x.Op.String() + "=")
		}
		w.sp()
		w.node(x.LHS)
		w.sp()
		w.node(x.RHS)
		w.close()
	case *BreakStmt:
		w.valueStmt("break", x.Value)
	case *ContinueStmt:
		w.str("(continue)")
	case *ReturnStmt:
		w.valueStmt("return", x.Value)
	case *ThrowStmt:
		w.valueStmt("throw", x.Value)
	case *TryStmt:
		w.open("try ")
		w.node(x.Body)
		if x.ErrVar != nil {
			w.str(" (catch " + x.ErrVar.Name + ")")
		}
		w.sp()
		w.node(x.Catch)
		w.close()
	case *ImportStmt:
		w.open("import ")
		w.node(x.Path)
		if x.Alias != nil {
			w.str(" as " + x.Alias.Name)
		}
		w.close()
	case *ExportStmt:
		w.open("export")
		for _, it := range x.Items {
			w.sp()
			w.str(it.Name.Name)
			if it.Alias != it.Name.Name {
				w.str(" as " + it.Alias)
			}
		}
		w.close()
	default:
		w.str("<?>")
	}
}

func (w sexprWriter) valueStmt(head string, v Expr) {
	w.open(head)
	if v != nil {
		w.sp()
		w.node(v)
	}
	w.close()
}
