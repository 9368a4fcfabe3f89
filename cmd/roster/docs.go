package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// newDocsCommand generates documentation from the command tree, so that it cannot drift from
// the flags. Shell completion is cobra's own `roster completion bash|zsh|fish|powershell`.
func newDocsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "docs", Short: "Generate documentation of the roster command"}
	man := &cobra.Command{
		Use:   "man DIR",
		Short: "Write a man page for every command into DIR (section 1)",
		Long: "Write roster.1, roster-serve.1, … into DIR, creating it if needed, from the commands and\n" +
			"their flags. SOURCE_DATE_EPOCH, when set, fixes the pages' date for reproducible builds.\n" +
			"Install with: roster docs man /usr/local/share/man/man1 && mandb",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("man pages: %w", err)
			}
			header := &doc.GenManHeader{Title: "ROSTER", Section: "1", Source: "Roster " + buildVersion(), Manual: "Roster Manual"}
			if err := doc.GenManTree(cmd.Root(), header, dir); err != nil {
				return fmt.Errorf("man pages: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote man pages to %s\n", dir)
			return nil
		},
	}
	cmd.AddCommand(man)
	return cmd
}

// needsConfiguration reports whether cmd reads flags, variables and the configuration file:
// generating completion scripts and documentation does not, so that a broken ROSTER_CONFIG
// cannot break a shell's completion.
func needsConfiguration(cmd *cobra.Command) bool {
	for c := cmd; c != nil; c = c.Parent() {
		switch c.Name() {
		case "completion", "docs", cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd:
			return false
		}
	}
	return true
}
