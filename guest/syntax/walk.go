package syntax

// Inspect traverses the tree rooted at node in depth-first order, like
// go/ast.Inspect: it calls f(node); if f returns true, it inspects each child
// (a *Script's statements then its functions; a *SwitchExpr's cases, which
// are *SwitchCase nodes; a *FnDef's parameters and body; declared names as
// *Ident) and then calls f(nil).
func Inspect(node Node, f func(Node) bool) {
	if node == nil || !f(node) {
		return
	}
	expr := func(e Expr) {
		if e != nil {
			Inspect(e, f)
		}
	}
	ident := func(id *Ident) {
		if id != nil {
			Inspect(id, f)
		}
	}
	switch x := node.(type) {
	case *Script:
		for _, s := range x.Stmts {
			Inspect(s, f)
		}
		for _, fn := range x.Funcs {
			Inspect(fn, f)
		}
	case *FnDef:
		for _, p := range x.Params {
			Inspect(p, f)
		}
		Inspect(x.Body, f)
	case *InterpString:
		for _, p := range x.Parts {
			expr(p)
		}
	case *ArrayLit:
		for _, e := range x.Elems {
			expr(e)
		}
	case *MapLit:
		for _, e := range x.Entries {
			expr(e.Value)
		}
	case *UnaryExpr:
		expr(x.X)
	case *BinaryExpr:
		expr(x.X)
		expr(x.Y)
	case *IndexExpr:
		expr(x.X)
		expr(x.Index)
	case *DotExpr:
		expr(x.X)
	case *MethodCallExpr:
		expr(x.Recv)
		for _, a := range x.Args {
			expr(a)
		}
	case *CallExpr:
		for _, a := range x.Args {
			expr(a)
		}
	case *ClosureExpr:
		for _, p := range x.Params {
			Inspect(p, f)
		}
		expr(x.Body)
	case *Block:
		for _, s := range x.Stmts {
			Inspect(s, f)
		}
	case *IfExpr:
		expr(x.Cond)
		Inspect(x.Then, f)
		expr(x.Else)
	case *SwitchExpr:
		expr(x.X)
		for _, c := range x.Cases {
			Inspect(c, f)
		}
		expr(x.Default)
	case *SwitchCase:
		for _, v := range x.Values {
			expr(v)
		}
		expr(x.Guard)
		expr(x.Body)
	case *WhileExpr:
		expr(x.Cond)
		Inspect(x.Body, f)
	case *LoopExpr:
		Inspect(x.Body, f)
	case *DoExpr:
		Inspect(x.Body, f)
		expr(x.Cond)
	case *ForExpr:
		ident(x.Var)
		ident(x.Counter)
		expr(x.Iter)
		Inspect(x.Body, f)
	case *ExprStmt:
		expr(x.X)
	case *LetStmt:
		ident(x.Name)
		expr(x.Value)
	case *AssignStmt:
		expr(x.LHS)
		expr(x.RHS)
	case *BreakStmt:
		expr(x.Value)
	case *ReturnStmt:
		expr(x.Value)
	case *ThrowStmt:
		expr(x.Value)
	case *TryStmt:
		Inspect(x.Body, f)
		ident(x.ErrVar)
		Inspect(x.Catch, f)
	case *ImportStmt:
		expr(x.Path)
		ident(x.Alias)
	case *ExportStmt:
		for _, it := range x.Items {
			ident(it.Name)
		}
	}
	f(nil)
}
