package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rosterhq/roster/internal/server"
)

// Every value a command takes comes from, in order of precedence: its flag on the command
// line, its ROSTER_* environment variable, its key in the configuration file (--config or
// ROSTER_CONFIG), or its default. The keys of the file are the flags of `roster serve`, spelled
// as the flags are; a command applies the keys it has flags for.

// origin says where one value came from.
type origin struct {
	kind string // "flag", "env", "file"; "" for the default
	name string // the variable (env) or the file (file)
	line int    // the file's line
}

// describe names the value key as the operator gave it: --db-max-conns,
// ROSTER_DB_MAX_CONNS, or roster.toml:7: db-max-conns.
func (o origin) describe(key string) string {
	switch o.kind {
	case "flag":
		return "--" + key
	case "env":
		return o.name
	case "file":
		return fmt.Sprintf("%s:%d: %s", o.name, o.line, key)
	}
	return key + " (default)"
}

// comment is the origin as config print writes it beside the value.
func (o origin) comment() string {
	switch o.kind {
	case "flag":
		return "flag"
	case "env":
		return o.name
	case "file":
		return fmt.Sprintf("%s:%d", o.name, o.line)
	}
	return "default"
}

// origins holds the origin of every value not left at its default, by flag name.
type origins map[string]origin

type originsKey struct{}

// originsOf returns the origins configure recorded for cmd.
func originsOf(cmd *cobra.Command) origins {
	if o, ok := cmd.Context().Value(originsKey{}).(origins); ok {
		return o
	}
	return origins{}
}

// envName is the variable that sets the flag name: ROSTER_DB_MAX_CONNS for db-max-conns.
func envName(name string) string {
	return "ROSTER_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// configure fills every flag of cmd not given on the command line from its ROSTER_* variable,
// then from the configuration file, and records where each value came from.
func configure(cmd *cobra.Command) error {
	fs := cmd.Flags()
	src := origins{}
	fs.Visit(func(f *pflag.Flag) { src[f.Name] = origin{kind: "flag"} })
	if err := applyEnv(fs, src); err != nil {
		return err
	}
	if f := fs.Lookup("config"); f != nil && f.Value.String() != "" {
		if err := applyFile(fs, f.Value.String(), src); err != nil {
			return err
		}
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	cmd.SetContext(context.WithValue(ctx, originsKey{}, src))
	return nil
}

// applyEnv sets every flag not given on the command line from its ROSTER_* variable; an
// empty variable counts as unset. An error names the variable, not the flag.
func applyEnv(fs *pflag.FlagSet, src origins) error {
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		name := envName(f.Name)
		v := os.Getenv(name)
		if v == "" || f.Changed {
			return
		}
		if err := f.Value.Set(v); err != nil {
			if secretKey(f.Name) {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			} else {
				errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			}
			return
		}
		src[f.Name] = origin{kind: "env", name: name}
	})
	return errors.Join(errs...)
}

// configKeys returns the keys a configuration file may hold: the flags of roster serve, each
// with the type that checks its value.
func configKeys() *pflag.FlagSet {
	fs := pflag.NewFlagSet("config", pflag.ContinueOnError)
	cfg := server.DefaultConfig()
	var logs logOptions
	registerServeFlags(fs, &cfg, &logs)
	return fs
}

// fileValue is one key = value line of a configuration file, as a flag would take it.
type fileValue struct {
	key, value string
	line       int
}

// applyFile reads the configuration file at path and sets from it every flag of fs that
// neither the command line nor the environment set. It refuses the whole file when any key is
// unknown or any value bad, naming each one with its line.
func applyFile(fs *pflag.FlagSet, path string, src origins) error {
	values, err := readConfigFile(path)
	if err != nil {
		return err
	}
	keys := configKeys()
	var errs []error
	for _, v := range values {
		if err := keys.Lookup(v.key).Value.Set(v.value); err != nil { // checks the value for every command
			errs = append(errs, fmt.Errorf("%s:%d: %s: %w", path, v.line, v.key, err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	for _, v := range values {
		f := fs.Lookup(v.key)
		if f == nil {
			continue // a key of the server, which this command does not take
		}
		if _, set := src[v.key]; set {
			continue // the command line or the environment wins
		}
		if err := f.Value.Set(v.value); err != nil {
			return fmt.Errorf("%s:%d: %s: %w", path, v.line, v.key, err)
		}
		src[v.key] = origin{kind: "file", name: path, line: v.line}
	}
	return nil
}

// readConfigFile parses a TOML configuration file of top-level key = value lines, each key a
// flag of roster serve, each value of that flag's type (durations as strings such as "30s",
// lists as arrays of strings), and returns them as a flag would take them.
func readConfigFile(path string) ([]fileValue, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("configuration file: %w", err)
	}
	// The decoder checks the whole document first (syntax, duplicate keys) and says where it
	// is wrong; the parser below only walks a document known to be valid TOML.
	var syntax map[string]any
	if err := toml.Unmarshal(data, &syntax); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			line, _ := de.Position()
			return nil, fmt.Errorf("%s:%d: %s", path, line, strings.TrimPrefix(de.Error(), "toml: "))
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	keys := configKeys()
	var out []fileValue
	var errs []error
	var p unstable.Parser
	p.Reset(data)
	inTable := false // the keys under a refused table are not looked at
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			inTable = true
			it := e.Key()
			it.Next()
			errs = append(errs, fmt.Errorf("%s:%d: [%s]: tables are not part of Roster's configuration; write key = value lines at the top",
				path, p.Shape(it.Node().Raw).Start.Line, tomlKey(e)))
			continue
		case unstable.KeyValue:
			if inTable {
				continue
			}
		default:
			continue
		}
		it := e.Key()
		it.Next()
		line := p.Shape(it.Node().Raw).Start.Line
		key := tomlKey(e)
		f := keys.Lookup(key)
		if f == nil || key == "config" {
			errs = append(errs, fmt.Errorf("%s:%d: unknown key %q; the keys are the flags of roster serve (roster serve --help)", path, line, key))
			continue
		}
		value, err := flagText(f.Value.Type(), e.Value())
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: %s: %w", path, line, key, err))
			continue
		}
		out = append(out, fileValue{key: key, value: value, line: line})
	}
	if err := p.Error(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", path, err))
	}
	return out, errors.Join(errs...)
}

// tomlKey is the dotted key of a key-value or table expression.
func tomlKey(e *unstable.Node) string {
	var parts []string
	for it := e.Key(); it.Next(); {
		parts = append(parts, string(it.Node().Data))
	}
	return strings.Join(parts, ".")
}

// flagText turns a TOML value into the text a flag of type typ takes, refusing a value of the
// wrong kind.
func flagText(typ string, v *unstable.Node) (string, error) {
	switch typ {
	case "int", "int64", "int32", "uint", "uint64":
		if v.Kind != unstable.Integer {
			return "", fmt.Errorf("want a whole number, such as 20, not %s", kindName(v.Kind))
		}
		n, err := strconv.ParseInt(strings.ReplaceAll(string(v.Data), "_", ""), 0, 64)
		if err != nil {
			return "", fmt.Errorf("%s is not a whole number Roster can take", v.Data)
		}
		return strconv.FormatInt(n, 10), nil
	case "bool":
		if v.Kind != unstable.Bool {
			return "", fmt.Errorf("want true or false, not %s", kindName(v.Kind))
		}
		return string(v.Data), nil
	case "duration":
		if v.Kind != unstable.String {
			return "", fmt.Errorf(`want a duration as a string, such as "30s" or "12h", not %s`, kindName(v.Kind))
		}
		return string(v.Data), nil
	case "cidrs":
		if v.Kind == unstable.String {
			return string(v.Data), nil
		}
		if v.Kind != unstable.Array {
			return "", fmt.Errorf(`want an array of strings, such as ["10.0.0.0/8"], not %s`, kindName(v.Kind))
		}
		var items []string
		for it := v.Children(); it.Next(); {
			n := it.Node()
			if n.Kind != unstable.String {
				return "", fmt.Errorf("want an array of strings, not one holding %s", kindName(n.Kind))
			}
			items = append(items, string(n.Data))
		}
		return strings.Join(items, ","), nil
	}
	if v.Kind != unstable.String {
		return "", fmt.Errorf("want a string in quotes, not %s", kindName(v.Kind))
	}
	return string(v.Data), nil
}

func kindName(k unstable.Kind) string {
	switch k {
	case unstable.String:
		return "a string"
	case unstable.Integer:
		return "a number"
	case unstable.Float:
		return "a decimal number"
	case unstable.Bool:
		return "true or false"
	case unstable.Array:
		return "an array"
	case unstable.InlineTable:
		return "a table"
	}
	return "a date or time"
}

// explainConfig rewrites the values server.Config.Validate refuses so that each names where it
// came from: the flag, the variable, or the file and line.
func explainConfig(cmd *cobra.Command, err error) error {
	src := originsOf(cmd)
	var rewrite func(error) error
	rewrite = func(err error) error {
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			var out []error
			for _, e := range joined.Unwrap() {
				out = append(out, rewrite(e))
			}
			return errors.Join(out...)
		}
		var ke *server.KeyError
		if errors.As(err, &ke) {
			return fmt.Errorf("%s: %w", src[ke.Key].describe(ke.Key), ke.Err)
		}
		return err
	}
	return rewrite(err)
}

// secretKey reports whether a key's value is a secret that config print must not show
// (the paths of files holding secrets are not).
func secretKey(key string) bool {
	for _, s := range []string{"-token", "-password", "-secret"} {
		if strings.HasSuffix(key, s) {
			return true
		}
	}
	return false
}

// redact hides what a value holds of secrets: all of a secret key's value, and the password of
// a URL (postgres://user:password@host/db, its password= parameter, an SMTP URL's).
func redact(key, value string) string {
	if value == "" {
		return ""
	}
	if secretKey(key) {
		return "REDACTED"
	}
	u, err := url.Parse(value)
	if err != nil {
		// A URL Go cannot parse may still hold a password (one with a "/" in it, say):
		// keep only its scheme.
		if scheme, _, ok := strings.Cut(value, "://"); ok {
			return scheme + "://REDACTED"
		}
		return value
	}
	if u.Scheme == "" || u.Host == "" {
		return value
	}
	changed := false
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "REDACTED")
		changed = true
	}
	q := u.Query()
	for name := range q {
		if n := strings.ToLower(name); strings.Contains(n, "password") || n == "pass" || strings.Contains(n, "secret") || strings.Contains(n, "token") {
			q.Set(name, "REDACTED")
			changed = true
		}
	}
	if !changed {
		return value
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// tomlValue renders a flag's value as TOML, so that config print writes a valid file.
func tomlValue(f *pflag.Flag, value string) string {
	switch f.Value.Type() {
	case "int", "int64", "int32", "uint", "uint64", "bool":
		return value
	case "cidrs":
		var items []string
		for _, s := range strings.Split(value, ",") {
			if s != "" {
				items = append(items, tomlString(s))
			}
		}
		return "[" + strings.Join(items, ", ") + "]"
	}
	return tomlString(value)
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func newConfigCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Show the configuration roster serve would run with"}
	cfg := server.DefaultConfig()
	var logs logOptions
	printCmd := &cobra.Command{
		Use:   "print [--config FILE] [serve flags]",
		Short: "Print the effective configuration of roster serve, secrets redacted, and check it",
		Long: "Print the configuration roster serve would run with, given the same flags, ROSTER_*\n" +
			"variables and configuration file, as a TOML file with where each value came from.\n" +
			"Secrets are redacted: tokens, and the password of a database or mail URL. Exits non-zero,\n" +
			"after printing, when serve would refuse the configuration.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			printConfig(cmd.OutOrStdout(), cmd.Flags(), originsOf(cmd))
			if err := cfg.Validate(); err != nil {
				return explainConfig(cmd, err)
			}
			return nil
		},
	}
	registerServeFlags(printCmd.Flags(), &cfg, &logs)
	cmd.AddCommand(printCmd)
	return cmd
}

// printConfig writes the values of the server's keys in fs as a TOML configuration file.
func printConfig(w io.Writer, fs *pflag.FlagSet, src origins) {
	keys := configKeys()
	fmt.Fprintln(w, "# roster serve's configuration; precedence: flags > ROSTER_* variables > --config file > defaults.")
	fs.VisitAll(func(f *pflag.Flag) {
		if keys.Lookup(f.Name) == nil {
			return
		}
		fmt.Fprintf(w, "%s = %s # %s\n", f.Name, tomlValue(f, redact(f.Name, f.Value.String())), src[f.Name].comment())
	})
}
