package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/internal/seal"
)

func newSecretKeyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secret-key",
		Short: "Manage the key that encrypts TOTP seeds and signing keys at rest (--secret-key-file)",
	}
	var out string
	gen := &cobra.Command{
		Use:   "generate",
		Short: "Write a new random key, as a line of a key file (mode 0600)",
		Long: `Writes a new 32-byte key in base64. With --out, the key goes to a new file of mode 0600
(an existing file is never overwritten); without, to standard output. To rotate, put the new
key on the first line of the key file and keep the old one below it: the first key seals, every
key opens.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return seal.GenerateKey(cmd.OutOrStdout())
			}
			f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return fmt.Errorf("secret key file: %w", err)
			}
			if err := seal.GenerateKey(f); err != nil {
				f.Close()
				return err
			}
			if err := f.Sync(); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		},
	}
	gen.Flags().StringVar(&out, "out", "", "file to create (must not exist)")
	cmd.AddCommand(gen)
	return cmd
}
