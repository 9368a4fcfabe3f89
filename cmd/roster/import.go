package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/sqlstore"
)

func newImportCommand() *cobra.Command {
	db, dbOptions := server.DefaultConfig().DB, sqlstore.DefaultOptions()
	var tenant, roles, file string
	var generate int
	var logs logOptions
	cmd := &cobra.Command{
		Use:   "import --db roster.db --tenant SLUG (--file users.jsonl | --generate N) [--roles viewer]",
		Short: "Load many users into a tenant at once, with their existing password hashes",
		Long: "Load users into a tenant without the network, 2,000 to a transaction: for migrating from\n" +
			"another system and for benchmarks. --file reads JSON lines of\n" +
			`{"email", "username", "given_name", "family_name", "password_hash"}` + "; password_hash, when\n" +
			"given, is an argon2id PHC string or a bcrypt hash (cost 4 to 14), replaced by Roster's own at\n" +
			"the user's first login. Rows that are invalid or whose email or username is taken are\n" +
			"skipped and reported. --generate makes N synthetic users instead.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (file == "") == (generate == 0) {
				return fmt.Errorf("give either --file or --generate")
			}
			d, log, err := logs.openDB(cmd, db, dbOptions)
			if err != nil {
				return err
			}
			defer d.Close()
			svc := offlineService(d, log)
			next, closeInput, err := importRows(cmd, file, generate)
			if err != nil {
				return err
			}
			defer closeInput()
			start := time.Now()
			stats, err := svc.ImportMembersAsSystem(cmd.Context(), tenant, strings.Split(roles, ","), next, func(line int, reason string) {
				if line > 0 {
					fmt.Fprintf(cmd.ErrOrStderr(), "line %d skipped: %s\n", line, reason)
				} else {
					fmt.Fprintf(cmd.ErrOrStderr(), "skipped %s\n", reason)
				}
			})
			took := time.Since(start)
			fmt.Fprintf(cmd.OutOrStdout(), "read %d, imported %d, skipped %d in %s (%.0f a second)\n",
				stats.Read, stats.Imported, stats.Skipped, took.Round(time.Millisecond), float64(stats.Imported)/took.Seconds())
			return describeErr(err)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&db, "db", db, "database: a SQLite file path, sqlite:PATH, or a postgres:// URL")
	registerDBOptions(fs, &dbOptions)
	fs.StringVar(&tenant, "tenant", "", "the tenant (id or slug) the users join")
	fs.StringVar(&roles, "roles", "viewer", "comma-separated roles (names or ids) they get")
	fs.StringVar(&file, "file", "", "JSON lines to read, or - for standard input")
	fs.IntVar(&generate, "generate", 0, "make this many synthetic users instead of reading a file")
	_ = cmd.MarkFlagRequired("tenant")
	logs.register(fs)
	return cmd
}

func describeErr(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s", describe(err))
}

// importRows returns the rows to import, one at a time.
func importRows(cmd *cobra.Command, file string, generate int) (func() (service.ImportRow, bool, error), func(), error) {
	if generate > 0 {
		stamp := time.Now().UnixNano()
		i := 0
		return func() (service.ImportRow, bool, error) {
			if i == generate {
				return service.ImportRow{}, false, nil
			}
			i++
			return service.ImportRow{Email: fmt.Sprintf("g%d-%07d@import.example", stamp, i),
				GivenName: "Given", FamilyName: fmt.Sprintf("Family %d", i)}, true, nil
		}, func() {}, nil
	}
	var in io.ReadCloser = io.NopCloser(cmd.InOrStdin())
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, nil, err
		}
		in = f
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	return func() (service.ImportRow, bool, error) {
		for sc.Scan() {
			line++
			if strings.TrimSpace(sc.Text()) == "" {
				continue
			}
			var row service.ImportRow
			dec := json.NewDecoder(strings.NewReader(sc.Text()))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&row); err != nil {
				return row, false, fmt.Errorf("line %d: %v", line, err)
			}
			return row, true, nil
		}
		return service.ImportRow{}, false, sc.Err()
	}, func() { in.Close() }, nil
}
