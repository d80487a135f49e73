package syntax_test

import (
	"fmt"

	"github.com/picloud/picloud/guest/syntax"
)

func ExampleParse() {
	script, err := syntax.Parse("main.rhai", "fn double(x) { x * 2 }\nlet n = double(21);", syntax.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(syntax.Sexpr(script))
	fmt.Println(script.Funcs[0].Name, script.Funcs[0].Pos)
	// Output:
	// (let n (call double 21)) (fn double (x) (block (* x 2)))
	// double 1:4
}

func ExampleParse_error() {
	_, err := syntax.Parse("main.rhai", "let x = 1;\nlet y = x +;\n", syntax.Options{})
	fmt.Println(err)
	// Output:
	// main.rhai:2:12: Unexpected ';'
	// let y = x +;
	//            ^
}

func ExampleSexpr() {
	script, _ := syntax.Parse("", "let total = a + b * -c ** 2 ?? d;", syntax.Options{})
	fmt.Println(syntax.Sexpr(script))
	// Output:
	// (let total (?? (+ a (* b (** (- c) 2))) d))
}
