// Package cli is roster's administration over the network: `roster login`, then a command per
// resource (users, tenants, members, roles, service-accounts, keys, tokens, sessions, audit)
// whose verbs call a running server through the public client package, as any other program
// would. It also decides the exit code of every roster command (ExitCode), so that a script
// can tell a missing user from a refused login.
//
// Output goes to standard output as a table at a terminal and as JSON otherwise (--output):
// one indented document for one resource, one line per item for a list, of the client
// package's types. Messages for people (what was done, what to do next) go to standard error.
package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/client"
)

// Options configures the commands AddCommands adds.
type Options struct {
	Version    string       // sent in the User-Agent, which the audit trail records
	HTTPClient *http.Client // nil: one whose timeout outlasts a long poll
	PageSize   int          // items a list asks for at a time; 0: client.MaxLimit
}

// groupID gathers the commands of this package in roster --help.
const groupID = "remote"

// AddCommands adds login, logout, whoami and the resource commands to root.
func AddCommands(root *cobra.Command, o Options) {
	if o.PageSize <= 0 || o.PageSize > client.MaxLimit {
		o.PageSize = client.MaxLimit
	}
	if o.HTTPClient == nil {
		// Longer than the longest wait of the event stream (50s), which audit tail asks for.
		o.HTTPClient = &http.Client{Timeout: 90 * time.Second}
	}
	g := &globals{opts: o}
	root.AddGroup(&cobra.Group{ID: groupID, Title: "Administration over the network (roster login first):"})
	for _, c := range []*cobra.Command{
		newLoginCommand(g), newLogoutCommand(g), newWhoamiCommand(g),
		newUsersCommand(g), newTenantsCommand(g), newMembersCommand(g), newRolesCommand(g),
		newServiceAccountsCommand(g), newKeysCommand(g), newTokensCommand(g), newSessionsCommand(g),
		newAuditCommand(g),
	} {
		c.GroupID = groupID
		g.register(c)
		root.AddCommand(c)
	}
}

// Finish prepares the whole command tree, once every command is added, for ExitCode: a
// command group given an unknown subcommand fails (instead of printing its help and
// succeeding), flag errors are usage errors, and the errors commands return are told apart
// from those cobra returns before a command runs, which are all usage errors.
func Finish(root *cobra.Command) {
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{cmd: c.CommandPath(), err: err}
	})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		switch {
		case c.RunE != nil:
			run := c.RunE
			c.RunE = func(cmd *cobra.Command, args []string) error {
				if err := run(cmd, args); err != nil {
					return ranError{err}
				}
				return nil
			}
		case c.Run == nil && c.HasSubCommands() && c.HasParent(): // cobra refuses the root's unknown commands itself
			c.Args = cobra.ArbitraryArgs
			c.RunE = func(cmd *cobra.Command, args []string) error {
				if len(args) > 0 {
					return ranError{usageError{cmd: cmd.CommandPath(), err: fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())}}
				}
				return cmd.Help()
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// ranError is an error a command's RunE returned; any other error came from cobra before the
// command ran (an unknown command or flag, missing arguments or flags, a bad configuration).
type ranError struct{ err error }

func (e ranError) Error() string { return e.err.Error() }
func (e ranError) Unwrap() error { return e.err }

// usageError is a command line that cannot be run as it is.
type usageError struct {
	cmd string // the command's path, for the hint to its help
	err error
}

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usageError of cmd.
func usagef(cmd *cobra.Command, format string, args ...any) error {
	return usageError{cmd: cmd.CommandPath(), err: fmt.Errorf(format, args...)}
}

// notLoggedIn is a command that needs a credential run without one.
type notLoggedIn struct{ server string }

func (e notLoggedIn) Error() string {
	if e.server == "" {
		return "not logged in: run roster login --server URL, or set ROSTER_SERVER and ROSTER_TOKEN"
	}
	return fmt.Sprintf("not logged in to %s: run roster login, or set ROSTER_TOKEN", e.server)
}

// notFoundError is a name the command looked up itself, among what the caller may see, and
// did not find.
type notFoundError struct{ what, name, tenant string }

func (e notFoundError) Error() string {
	if e.tenant != "" {
		return fmt.Sprintf("no %s of %s is named %q", e.what, e.tenant, e.name)
	}
	return fmt.Sprintf("no %s is named %q", e.what, e.name)
}

// refusedStored is the server refusing the credential stored by roster login.
type refusedStored struct {
	err  error
	file string
}

func (e refusedStored) Error() string { return e.err.Error() }
func (e refusedStored) Unwrap() error { return e.err }

// The exit codes, documented in the README; scripts rely on them, so they never change.
const (
	ExitOK          = 0   // success
	ExitFailure     = 1   // any other failure: the server unreachable, an internal error
	ExitUsage       = 2   // the command line, or input the server refused as invalid (400)
	ExitNotFound    = 3   // no such resource, or not visible to the caller (404)
	ExitConflict    = 4   // a conflict (409) or a stale --if-match (412)
	ExitDenied      = 5   // not logged in, the credential refused (401), or not allowed (403)
	ExitRetry       = 6   // rate limited (429) or unavailable (503): try again later
	ExitInterrupted = 130 // interrupted (Ctrl-C, SIGTERM) before it finished
)

// ExitCode returns the exit code of a command that ended with err: the errors of the server
// (client.Error) and of the offline commands (roster.Error) by their code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ran ranError
	if !errors.As(err, &ran) {
		return ExitUsage
	}
	var (
		usage usageError
		nli   notLoggedIn
		nfe   notFoundError
		ce    *client.Error
		re    *roster.Error
	)
	switch {
	case errors.As(err, &usage):
		return ExitUsage
	case errors.As(err, &nli):
		return ExitDenied
	case errors.As(err, &nfe):
		return ExitNotFound
	case errors.As(err, &ce):
		if ce.Code == "" { // not a problem document: a proxy's answer, say
			return exitOfStatus(ce.StatusCode)
		}
		return exitOfCode(string(ce.Code))
	case errors.As(err, &re):
		return exitOfCode(string(re.Code))
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	}
	return ExitFailure
}

func exitOfCode(code string) int {
	switch code {
	case "invalid":
		return ExitUsage
	case "not_found":
		return ExitNotFound
	case "conflict", "precondition_failed":
		return ExitConflict
	case "unauthenticated", "forbidden":
		return ExitDenied
	case "rate_limited", "unavailable":
		return ExitRetry
	}
	return ExitFailure
}

func exitOfStatus(status int) int {
	switch status {
	case http.StatusBadRequest:
		return ExitUsage
	case http.StatusNotFound:
		return ExitNotFound
	case http.StatusConflict, http.StatusPreconditionFailed:
		return ExitConflict
	case http.StatusUnauthorized, http.StatusForbidden:
		return ExitDenied
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return ExitRetry
	}
	return ExitFailure
}

// Explain renders an error of this package's commands for a terminal: a server's answer as
// its detail, status, code and request id, then each field at fault on a line of its own
// (named by the flag that sets it when there is one). It reports false for errors it does not
// know, which the caller renders itself.
func Explain(err error) (string, bool) {
	var (
		usage  usageError
		ce     *client.Error
		stored refusedStored
	)
	switch {
	case errors.As(err, &ce):
		var b strings.Builder
		b.WriteString(explainClientError(ce, inputsOf(err)))
		if errors.As(err, &stored) && ce.StatusCode == http.StatusUnauthorized {
			fmt.Fprintf(&b, "\nthe session stored in %s was refused (it expired or ended): run roster login again", stored.file)
		}
		return b.String(), true
	case errors.As(err, &usage):
		if usage.cmd == "" {
			return usage.Error(), true
		}
		return fmt.Sprintf("%v\nsee: %s --help", usage.err, usage.cmd), true
	case errors.Is(err, context.Canceled):
		return "interrupted", true
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		server := ue.URL
		if u, err := url.Parse(ue.URL); err == nil {
			server = u.Scheme + "://" + u.Host
		}
		return fmt.Sprintf("cannot reach %s: %v", server, ue.Err), true
	}
	var (
		nli notLoggedIn
		nfe notFoundError
	)
	switch {
	case errors.As(err, &nli):
		return nli.Error(), true
	case errors.As(err, &nfe):
		return nfe.Error(), true
	}
	return "", false
}

// flagged carries what names the inputs of the command whose request failed, so that a field
// at fault is shown as the flag or argument that set it.
type flagged struct {
	err    error
	inputs map[string]string // field name, such as "given_name", to "--given-name" or "EMAIL"
}

func (e flagged) Error() string { return e.err.Error() }
func (e flagged) Unwrap() error { return e.err }

func inputsOf(err error) map[string]string {
	var f flagged
	if errors.As(err, &f) {
		return f.inputs
	}
	return nil
}

// explainClientError renders a server's answer, naming the fields at fault by inputs.
func explainClientError(e *client.Error, inputs map[string]string) string {
	var b strings.Builder
	detail, fields := e.Detail, e.Fields
	if detail == "" {
		detail = http.StatusText(e.StatusCode)
	}
	if len(fields) == 1 && fields[0].Detail == detail { // the detail is the field's own
		detail = fieldLabel(fields[0], inputs) + ": " + detail
		fields = nil
	}
	b.WriteString(detail)
	fmt.Fprintf(&b, " (HTTP %d", e.StatusCode)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, ", request %s", e.RequestID)
	}
	b.WriteString(")")
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, "; try again in %s", e.RetryAfter)
	}
	for _, f := range fields {
		fmt.Fprintf(&b, "\n  %s: %s", fieldLabel(f, inputs), f.Detail)
	}
	return b.String()
}

// fieldLabel names a field at fault by the flag or argument that sets it ("/given_name" is
// --given-name, "/roles/1" the second --role, "/email" of users create its EMAIL), or else as
// the server did.
func fieldLabel(f client.FieldError, inputs map[string]string) string {
	name, rest := f.Parameter, ""
	if name == "" {
		name, rest, _ = strings.Cut(strings.TrimPrefix(f.Pointer, "/"), "/")
	}
	index, err := strconv.Atoi(rest)
	if rest != "" && err != nil {
		return f.Pointer // inside a value no input sets whole
	}
	label, ok := inputs[name]
	if !ok {
		label, ok = inputs[strings.TrimSuffix(name, "s")] // a list given by a repeated flag
	}
	switch {
	case ok && rest != "":
		return fmt.Sprintf("%s #%d", label, index+1)
	case ok:
		return label
	case f.Parameter != "":
		return "?" + f.Parameter
	}
	return f.Pointer
}

// inputNames maps the field names of a command's request to its flags and arguments: the flag
// --given-name sets given_name, the argument EMAIL of "create EMAIL [flags]" sets email.
func inputNames(cmd *cobra.Command) map[string]string {
	names := map[string]string{}
	cmd.Flags().VisitAll(func(f *pflag.Flag) { names[strings.ReplaceAll(f.Name, "-", "_")] = "--" + f.Name })
	for _, word := range strings.Fields(cmd.Use)[1:] {
		if word != strings.ToUpper(word) || strings.HasPrefix(word, "-") || strings.ContainsAny(word, "[]()|<.") {
			break
		}
		name := strings.ToLower(strings.ReplaceAll(word, "-", "_"))
		names[name], names[name+"_id"] = word, word // USER is also the body's user_id
	}
	return names
}

// isTerminal reports whether v, a command's input or output, is a terminal.
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
