package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/service"
	"github.com/rosterhq/roster/internal/sqlstore"
)

// maxImportLine is the longest line roster import reads; a longer one is skipped.
const maxImportLine = 1 << 20

func newImportCommand() *cobra.Command {
	db, dbOptions := server.DefaultConfig().DB, sqlstore.DefaultOptions()
	var tenant, roles, file string
	var generate int
	var every time.Duration
	var logs logOptions
	cmd := &cobra.Command{
		Use:   "import --db roster.db --tenant SLUG (--file users.jsonl | --generate N) [--roles viewer]",
		Short: "Load many users into a tenant at once, with their existing password hashes",
		Long: "Load users into an existing database's tenant without the network, 2,000 to a transaction: for\n" +
			"migrating from another system and for benchmarks. --file reads JSON lines of\n" +
			`{"email", "username", "given_name", "family_name", "password_hash"}` + "; password_hash, when\n" +
			"given, is an argon2id PHC string or a bcrypt hash (cost 4 to 14), replaced by Roster's own at\n" +
			"the user's first login. --generate makes N synthetic users instead.\n\n" +
			"Bad lines do not stop the import: every line that is not such a JSON object, is invalid, or\n" +
			"whose email (or given username) is already taken, by an existing user or an earlier line, is\n" +
			"reported on standard error by its number and skipped, and every other line is imported. A\n" +
			"username made from the email that is taken gets a suffix instead. Progress (rows, rate, time\n" +
			"left) goes to standard error every --progress, and a summary to standard output at the end.",
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
			out := &lockedWriter{w: cmd.ErrOrStderr()}
			in, err := openImport(cmd, file, generate, out)
			if err != nil {
				return err
			}
			defer in.close()
			start := time.Now()
			stop := in.reportProgress(out, start, every)
			stats, err := svc.ImportMembersAsSystem(cmd.Context(), tenant, strings.Split(roles, ","), in.next, func(line int, reason string) {
				out.printf("line %d skipped: %s\n", line, reason)
			})
			stop()
			took := time.Since(start)
			stats.Read += in.malformed
			stats.Skipped += in.malformed
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
	fs.DurationVar(&every, "progress", 2*time.Second, "how often to report progress on standard error (0: never)")
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

// lockedWriter serializes the lines of the progress reporter and of the skip reports.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format, args...)
}

// importInput yields the rows to import, one at a time, and counts them.
type importInput struct {
	next      func() (service.ImportRow, bool, error)
	close     func()
	total     int          // rows expected (0: not known, as for standard input)
	read      atomic.Int64 // rows handed out so far
	malformed int          // lines skipped before they became rows
}

// openImport returns the rows of --file (lines that are not JSON objects of the import fields
// are reported through out and skipped) or --generate.
func openImport(cmd *cobra.Command, file string, generate int, out *lockedWriter) (*importInput, error) {
	in := &importInput{close: func() {}}
	if generate > 0 {
		stamp := time.Now().UnixNano()
		in.total = generate
		i := 0
		in.next = func() (service.ImportRow, bool, error) {
			if i == generate {
				return service.ImportRow{}, false, nil
			}
			i++
			in.read.Add(1)
			return service.ImportRow{Email: fmt.Sprintf("g%d-%07d@import.example", stamp, i),
				GivenName: "Given", FamilyName: fmt.Sprintf("Family %d", i)}, true, nil
		}
		return in, nil
	}
	var r io.ReadCloser = io.NopCloser(cmd.InOrStdin())
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		// The file is counted first, so that progress can say how long is left.
		if in.total, err = countLines(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("read %s: %w", file, err)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			f.Close()
			return nil, err
		}
		r = f
	}
	in.close = func() { r.Close() }
	lines := bufio.NewReaderSize(r, 64<<10)
	line := 0
	in.next = func() (service.ImportRow, bool, error) {
		for {
			text, tooLong, err := readLine(lines)
			if err == io.EOF && text == nil {
				return service.ImportRow{}, false, nil
			}
			if err != nil && err != io.EOF {
				return service.ImportRow{}, false, fmt.Errorf("line %d: %w", line+1, err)
			}
			line++
			if !tooLong && len(bytes.TrimSpace(text)) == 0 {
				continue
			}
			in.read.Add(1)
			if tooLong {
				in.malformed++
				out.printf("line %d skipped: longer than %d bytes\n", line, maxImportLine)
				continue
			}
			var row service.ImportRow
			dec := json.NewDecoder(bytes.NewReader(text))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&row); err != nil || dec.More() {
				in.malformed++
				why := "more than one JSON value"
				if err != nil {
					why = strings.TrimPrefix(err.Error(), "json: ")
				}
				out.printf("line %d skipped: not a JSON object of email, username, given_name, family_name, password_hash: %s\n", line, why)
				continue
			}
			row.Line = line
			return row, true, nil
		}
	}
	return in, nil
}

// readLine reads one line without its end. A line longer than maxImportLine is read to its end
// and reported as too long, so that one bad line does not stop the rest.
func readLine(r *bufio.Reader) (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(buf)+len(chunk) > maxImportLine {
			tooLong = true
		} else {
			buf = append(buf, chunk...)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF && len(buf) == 0 && !tooLong:
			return nil, false, io.EOF
		case err != nil && err != io.EOF:
			return nil, false, err
		}
		return bytes.TrimRight(buf, "\r\n"), tooLong, nil
	}
}

// countLines counts the non-empty lines of r.
func countLines(r io.Reader) (int, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	n := 0
	for {
		line, _, err := readLine(br)
		if err == io.EOF && line == nil {
			return n, nil
		}
		if err != nil && err != io.EOF {
			return n, err
		}
		if len(bytes.TrimSpace(line)) > 0 {
			n++
		}
	}
}

// reportProgress writes a progress line to out every interval until the returned stop is
// called: rows so far, the rate, and the time left when the total is known.
func (in *importInput) reportProgress(out *lockedWriter, start time.Time, every time.Duration) (stop func()) {
	if every <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				out.printf("%s\n", in.progress(time.Since(start)))
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// progress describes how far the import has come after elapsed.
func (in *importInput) progress(elapsed time.Duration) string {
	n := in.read.Load()
	rate := float64(n) / elapsed.Seconds()
	msg := fmt.Sprintf("progress: %d rows", n)
	if in.total > 0 {
		msg = fmt.Sprintf("progress: %d of %d rows (%.0f%%)", n, in.total, 100*float64(n)/float64(in.total))
	}
	msg += fmt.Sprintf(", %.0f a second", rate)
	if left := int64(in.total) - n; in.total > 0 && rate > 0 && left > 0 {
		msg += fmt.Sprintf(", about %s left", (time.Duration(float64(left) / rate * float64(time.Second))).Round(time.Second))
	}
	return msg
}
