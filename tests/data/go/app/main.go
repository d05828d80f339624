// The test program of vm-deps-go: it imports the hand-made modules of tests/data/go/modules.
package main

import (
	"fmt"

	"example.com/Upper/caps"
	"example.com/greet"
)

func main() { fmt.Println(greet.Hello(caps.Shout("kettle"))) }
