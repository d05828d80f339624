// Package num is a hand-made module for Kettle's Go dependency tests.
package num

// Answer is the old answer.
func Answer() int { return 41 }
