// Command gen writes thingsim's command reference under the folder it is given (go generate
// ./internal/docs runs it on docs/).
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/thingsim/thingsim/cmd"
	"github.com/thingsim/thingsim/internal/docs"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen DIR")
		os.Exit(2)
	}
	ios := &cmd.IOStreams{In: strings.NewReader(""), Out: os.Stdout, ErrOut: os.Stderr}
	if err := docs.Write(cmd.NewRootCmd(ios), os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
