// Package num is a hand-made module for Kettle's Go dependency tests.
package num

// Answer is the answer.
func Answer() int { return 42 }
