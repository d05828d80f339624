// Package caps is a hand-made module (an upper-case path, escaped as !upper) for Kettle's Go dependency tests.
package caps

import (
	"strings"

	"example.com/num"
)

// Shout upper-cases s and appends the (old) answer's sign.
func Shout(s string) string {
	if num.Answer() > 0 {
		return strings.ToUpper(s) + "!"
	}
	return strings.ToUpper(s)
}
