package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rosterhq/roster/client"
)

// args returns a validator wanting exactly the named arguments, whose error names them.
func args(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, got []string) error {
		if len(got) == len(names) {
			return nil
		}
		if len(got) > len(names) {
			return usagef(cmd, "too many arguments: %s takes %s", cmd.CommandPath(), argList(names))
		}
		return usagef(cmd, "missing %s", strings.Join(names[len(got):], " and "))
	}
}

func argList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, " ")
}

// ifMatch is the --if-match flag of an update or delete.
type ifMatch struct{ etag string }

func (m *ifMatch) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&m.etag, "if-match", "", `apply only if the resource's ETag is still this one (the "etag" a get printed); a stale one exits 4`)
}

// opts returns the call option, if the flag was given. The ETag's quotes may be left out.
func (m *ifMatch) opts() []client.CallOption {
	if m.etag == "" {
		return nil
	}
	e := m.etag
	if !strings.HasPrefix(e, `"`) && !strings.HasPrefix(e, `W/"`) {
		e = strconv.Quote(e)
	}
	return []client.CallOption{client.IfMatch(e)}
}

// parseWhen reads a time given on the command line: RFC 3339 (2027-12-31T18:00:00Z), a date
// (2027-12-31, at midnight UTC), or a duration ("90d", "12h", "30m") counted from now into
// the future (sign +1) or the past (sign -1).
func parseWhen(s string, sign int, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return time.Time{}, fmt.Errorf("%q: want an RFC 3339 time, a date such as 2027-12-31, or a duration such as 90d or 12h", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil || d < 0 {
			return time.Time{}, fmt.Errorf("%q: want an RFC 3339 time, a date such as 2027-12-31, or a duration such as 90d or 12h", s)
		}
	}
	return now.Add(time.Duration(sign) * d).UTC().Truncate(time.Second), nil
}

// timeFlag reads flag name of cmd with parseWhen; the zero time when it was not given.
func timeFlag(cmd *cobra.Command, name string, sign int) (time.Time, error) {
	if !cmd.Flags().Changed(name) {
		return time.Time{}, nil
	}
	s, _ := cmd.Flags().GetString(name)
	t, err := parseWhen(s, sign, time.Now())
	if err != nil {
		return time.Time{}, usagef(cmd, "--%s %v", name, err)
	}
	return t, nil
}

// secrets reads passwords from the command's standard input: at a terminal, asked for
// without echo; otherwise one line each. It never writes what it reads anywhere.
type secrets struct {
	cmd *cobra.Command
	in  *bufio.Reader
}

func newSecrets(cmd *cobra.Command) *secrets { return &secrets{cmd: cmd} }

// terminal returns the standard input's descriptor if it is a terminal.
func (s *secrets) terminal() (int, bool) {
	f, ok := s.cmd.InOrStdin().(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	return int(f.Fd()), true
}

// read asks for a secret with prompt at a terminal, or reads the next line of input.
func (s *secrets) read(prompt string) (string, error) {
	if fd, ok := s.terminal(); ok {
		fmt.Fprint(s.cmd.ErrOrStderr(), prompt)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(s.cmd.ErrOrStderr())
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(b), nil
	}
	if s.in == nil {
		s.in = bufio.NewReader(s.cmd.InOrStdin())
	}
	line, err := s.in.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return "", usagef(s.cmd, "no password on standard input (give it as a line, or run at a terminal)")
		}
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// newPassword reads a new password; at a terminal it is asked for twice, so that a typing
// mistake does not become the password.
func (s *secrets) newPassword(prompt string) (string, error) {
	pw, err := s.read(prompt)
	if err != nil {
		return "", err
	}
	if _, ok := s.terminal(); ok {
		again, err := s.read("Again: ")
		if err != nil {
			return "", err
		}
		if again != pw {
			return "", usagef(s.cmd, "the two passwords differ")
		}
	}
	if pw == "" {
		return "", usagef(s.cmd, "the password is empty")
	}
	return pw, nil
}

// line reads a line that is no secret: at a terminal, after prompt.
func (s *secrets) line(prompt string) (string, error) {
	if _, ok := s.terminal(); ok {
		fmt.Fprint(s.cmd.ErrOrStderr(), prompt)
	}
	if s.in == nil {
		s.in = bufio.NewReader(s.cmd.InOrStdin())
	}
	line, err := s.in.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("read standard input: %w", err)
	}
	return strings.TrimSpace(line), nil
}

// tenantFlag is the --tenant flag of the commands inside one tenant.
type tenantFlag struct{ ref string }

func (t *tenantFlag) register(cmd *cobra.Command, required bool) {
	help := "the tenant, by id or slug"
	if !required {
		help = "only this tenant's (by id or slug); without it, the whole installation's (instance administrators)"
	}
	cmd.Flags().StringVarP(&t.ref, "tenant", "t", "", help)
}

// need returns the tenant, or a usage error when it is missing.
func (t *tenantFlag) need(cmd *cobra.Command) (string, error) {
	if t.ref == "" {
		return "", usagef(cmd, "missing --tenant (an id or a slug)")
	}
	return t.ref, nil
}

// changed reports whether any of the named flags was given.
func changed(cmd *cobra.Command, names ...string) bool {
	for _, n := range names {
		if cmd.Flags().Changed(n) {
			return true
		}
	}
	return false
}

// ptr returns &v if flag name was given, else nil: an update sends only what was asked.
func ptr[T any](cmd *cobra.Command, name string, v T) *T {
	if !cmd.Flags().Changed(name) {
		return nil
	}
	return &v
}
