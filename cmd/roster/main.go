// Command roster serves, migrates and administers a Roster installation.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/rosterhq/roster/cmd/roster/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCommand().ExecuteContext(ctx); err != nil {
		msg, ok := cli.Explain(err)
		if !ok {
			msg = describe(err)
		}
		fmt.Fprintln(os.Stderr, "roster:", msg)
		os.Exit(cli.ExitCode(err)) // the table is in the README
	}
}
