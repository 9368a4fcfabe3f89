package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/client"
)

// globals are the flags every command of this package takes, and what they resolve to.
type globals struct {
	opts   Options
	server string // --server, ROSTER_SERVER
	token  string // --token, ROSTER_TOKEN
	output string // --output, ROSTER_OUTPUT; "" until resolved
}

// The variables the connection flags read. The other flags of these commands read none: a
// variable left over in a shell must not silently filter a list or change a request.
var connectionEnv = map[string]string{"server": "ROSTER_SERVER", "token": "ROSTER_TOKEN", "output": "ROSTER_OUTPUT"}

// register adds the connection flags to a top-level command, and the hook that reads their
// variables. It replaces the root's hook, so that the configuration file of roster serve is
// neither read nor needed.
func (g *globals) register(c *cobra.Command) {
	fs := c.PersistentFlags()
	fs.StringVar(&g.server, "server", "", "base URL of the Roster server, such as https://roster.example.com (env ROSTER_SERVER; default: the one roster login stored)")
	fs.StringVar(&g.token, "token", "", "bearer token to use instead of the stored session: an API token or key (env ROSTER_TOKEN, which ps does not show)")
	fs.StringVarP(&g.output, "output", "o", "", "output format: table or json (env ROSTER_OUTPUT; default: table at a terminal, json otherwise)")
	c.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		flags := cmd.Flags()
		for name, env := range connectionEnv {
			if v := os.Getenv(env); v != "" && !flags.Changed(name) {
				if err := flags.Set(name, v); err != nil {
					return fmt.Errorf("%s: %w", env, err)
				}
			}
		}
		switch g.output {
		case "":
			g.output = "json"
			if isTerminal(cmd.OutOrStdout()) {
				g.output = "table"
			}
		case "table", "json":
		default:
			return usagef(cmd, "--output %q: want table or json", g.output)
		}
		return nil
	}
}

// conn is a client of the server a command talks to, and where its credential came from.
type conn struct {
	*client.Client
	server string
	stored *credentials // the stored session, when the client uses it
	file   string       // where it is stored
}

// connect returns a client of the server named by --server, ROSTER_SERVER or the stored
// credentials, authenticated by --token, ROSTER_TOKEN or the stored session. The stored
// session is used only with the server it was issued by: a token is never sent elsewhere.
func (g *globals) connect(cmd *cobra.Command) (*conn, error) {
	file, creds, err := loadCredentials()
	if err != nil {
		return nil, err
	}
	server := g.server
	if server == "" && creds != nil {
		server = creds.Server
	}
	if server == "" {
		return nil, notLoggedIn{}
	}
	server, err = normalizeServer(server)
	if err != nil {
		return nil, usagef(cmd, "%v", err)
	}
	token := g.token
	var stored *credentials
	if token == "" && creds != nil && creds.Server == server {
		token, stored = creds.Token, creds
	}
	if token == "" {
		return nil, notLoggedIn{server: server}
	}
	c, err := g.newClient(server, token)
	if err != nil {
		return nil, usagef(cmd, "%v", err)
	}
	return &conn{Client: c, server: server, stored: stored, file: file}, nil
}

func (g *globals) newClient(server, token string) (*client.Client, error) {
	return client.New(server, client.WithToken(token), client.WithHTTPClient(g.opts.HTTPClient),
		client.WithUserAgent("roster-cli/"+g.opts.Version))
}

// fail annotates an error of a request cmd made, for Explain: the command's flags name the
// fields at fault, and a refused stored session says to log in again.
func (c *conn) fail(cmd *cobra.Command, err error) error {
	if err == nil {
		return nil
	}
	err = flagged{err: err, inputs: inputNames(cmd)}
	if c != nil && c.stored != nil && client.IsUnauthenticated(err) {
		err = refusedStored{err: err, file: c.file}
	}
	return err
}

// normalizeServer checks a server's base URL and writes it one way, so that the stored
// session's server compares equal however it was typed.
func normalizeServer(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("server %q: want http(s)://host[:port][/path]", s)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("server %q: want http(s)://host[:port][/path], without credentials, query or fragment", s)
	}
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	return strings.TrimRight(u.String(), "/"), nil
}

// cleartext reports whether server is reached over plain HTTP on another machine, where a
// password or token would cross the network unencrypted.
func cleartext(server string) bool {
	u, err := url.Parse(server)
	if err != nil || u.Scheme != "http" {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// credentials is what roster login stores: the session and the server that issued it.
type credentials struct {
	Server    string    `json:"server"`
	Token     string    `json:"token"`
	SessionID string    `json:"session_id"`
	UserID    string    `json:"user_id"`
	Login     string    `json:"login"`
	ExpiresAt time.Time `json:"expires_at"`
}

// credentialsFile is where roster login stores the session: roster/credentials in the user's
// configuration directory ($XDG_CONFIG_HOME or ~/.config on Linux).
func credentialsFile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("credentials: %w", err)
	}
	return filepath.Join(dir, "roster", "credentials"), nil
}

// loadCredentials reads the stored credentials; none stored is (path, nil, nil). A file others
// may read is refused, as ssh refuses such a key.
func loadCredentials() (string, *credentials, error) {
	path, err := credentialsFile()
	if err != nil {
		return "", nil, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, nil, nil
	}
	if err != nil {
		return path, nil, fmt.Errorf("credentials: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return path, nil, fmt.Errorf("credentials: %w", err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return path, nil, fmt.Errorf("credentials: %s may be read by others (mode %04o): run chmod 600 on it, or roster logout and log in again", path, info.Mode().Perm())
	}
	var c credentials
	if err := json.NewDecoder(f).Decode(&c); err != nil || c.Server == "" || c.Token == "" {
		return path, nil, fmt.Errorf("credentials: %s is not what roster login writes; remove it and log in again", path)
	}
	return path, &c, nil
}

// saveCredentials writes c to the credentials file, mode 0600 in a directory of mode 0700,
// replacing it at once (a reader sees the old file or the new one).
func saveCredentials(c *credentials) (string, error) {
	path, err := credentialsFile()
	if err != nil {
		return "", err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("credentials: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil { // it may have been made by someone else first
		return "", fmt.Errorf("credentials: %w", err)
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, ".credentials-*") // mode 0600
	if err != nil {
		return "", fmt.Errorf("credentials: %w", err)
	}
	defer os.Remove(tmp.Name()) // once renamed, there is nothing to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", fmt.Errorf("credentials: %w", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return "", fmt.Errorf("credentials: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("credentials: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("credentials: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("credentials: %w", err)
	}
	return path, nil
}

// removeCredentials removes the credentials file; none is not an error.
func removeCredentials() error {
	path, err := credentialsFile()
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("credentials: %w", err)
	}
	return nil
}
