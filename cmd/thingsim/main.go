// Command thingsim plays the platform side of the KPN Things HTTPS destination.
package main

import (
	"os"

	"github.com/thingsim/thingsim/cmd"
)

func main() { os.Exit(cmd.Main()) }
