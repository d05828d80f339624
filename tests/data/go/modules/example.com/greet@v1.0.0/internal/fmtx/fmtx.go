package fmtx

import "strconv"

// Join writes "<a>, <b>: <n>".
func Join(a, b string, n int) string { return a + ", " + b + ": " + strconv.Itoa(n) }
