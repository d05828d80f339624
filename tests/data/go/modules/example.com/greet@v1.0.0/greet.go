// Package greet is a hand-made module for Kettle's Go dependency tests.
package greet

import (
	"example.com/greet/internal/fmtx"
	"example.com/num"
)

// Hello greets with the answer.
func Hello(who string) string { return fmtx.Join("hello", who, num.Answer()) }
