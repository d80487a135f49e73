package syntax

import (
	"strconv"
	"strings"
)

// Error is a parse error. Kind is the name of Rhai's ParseErrorType variant
// (UnexpectedEOF, MissingToken, ExprTooDeep …); for lexical errors, which Rhai
// wraps as BadInput(LexError), it is the LexError variant (MalformedNumber,
// MalformedEscapeSequence, MalformedChar, MalformedIdentifier,
// UnterminatedString), or BadInput for an unexpected character or an
// improper symbol.
type Error struct {
	Name string // script name
	Kind string
	Msg  string
	Pos  Pos
	Src  string // the source line Pos points into, without its line break
}

// Error formats the error as `name:line:col: message`, then the source line
// and a caret under the column.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Name)
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(int(e.Pos.Line)))
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(int(e.Pos.Col)))
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Pos.IsValid() {
		b.WriteByte('\n')
		b.WriteString(e.Src)
		b.WriteByte('\n')
		// Keep tabs so that the caret lines up under tab-indented source.
		col := 1
		for _, r := range e.Src {
			if col >= int(e.Pos.Col) {
				break
			}
			if r == '\t' {
				b.WriteByte('\t')
			} else {
				b.WriteByte(' ')
			}
			col++
		}
		for ; col < int(e.Pos.Col); col++ {
			b.WriteByte(' ')
		}
		b.WriteByte('^')
	}
	return b.String()
}

// sourceLine returns line n (1-based) of src without its line break (and
// without a trailing '\r').
func sourceLine(src string, n int32) string {
	for i := int32(1); i < n; i++ {
		j := strings.IndexByte(src, '\n')
		if j < 0 {
			return ""
		}
		src = src[j+1:]
	}
	if j := strings.IndexByte(src, '\n'); j >= 0 {
		src = src[:j]
	}
	return strings.TrimSuffix(src, "\r")
}

// Error kinds, named after Rhai's ParseErrorType and LexError variants.
const (
	errUnexpectedEOF            = "UnexpectedEOF"
	errBadInput                 = "BadInput"
	errUnknownOperator          = "UnknownOperator"
	errMissingToken             = "MissingToken"
	errMalformedNumber          = "MalformedNumber"
	errMalformedEscapeSequence  = "MalformedEscapeSequence"
	errMalformedChar            = "MalformedChar"
	errMalformedIdentifier      = "MalformedIdentifier"
	errUnterminatedString       = "UnterminatedString"
	errMalformedIndexExpr       = "MalformedIndexExpr"
	errMalformedCapture         = "MalformedCapture"
	errDuplicatedProperty       = "DuplicatedProperty"
	errDuplicatedVariable       = "DuplicatedVariable"
	errWrongSwitchIntegerCase   = "WrongSwitchIntegerCase"
	errWrongSwitchDefaultCase   = "WrongSwitchDefaultCase"
	errWrongSwitchCaseCondition = "WrongSwitchCaseCondition"
	errPropertyExpected         = "PropertyExpected"
	errVariableExpected         = "VariableExpected"
	errReserved                 = "Reserved"
	errMismatchedType           = "MismatchedType"
	errExprExpected             = "ExprExpected"
	errWrongFnDefinition        = "WrongFnDefinition"
	errFnDuplicatedDefinition   = "FnDuplicatedDefinition"
	errFnMissingName            = "FnMissingName"
	errFnMissingParams          = "FnMissingParams"
	errFnDuplicatedParam        = "FnDuplicatedParam"
	errFnMissingBody            = "FnMissingBody"
	errWrongExport              = "WrongExport"
	errAssignmentToConstant     = "AssignmentToConstant"
	errAssignmentToInvalidLHS   = "AssignmentToInvalidLHS"
	errExprTooDeep              = "ExprTooDeep"
	errLoopBreak                = "LoopBreak"
)
