package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// output writes what a command answers in the format --output chose.
type output struct {
	w      io.Writer
	format string // "table" or "json"
	notes  io.Writer
}

func (g *globals) out(cmd *cobra.Command) *output {
	return &output{w: cmd.OutOrStdout(), format: g.output, notes: cmd.ErrOrStderr()}
}

// note tells the person at the terminal what happened, on standard error, so that standard
// output holds only the answer.
func (o *output) note(format string, args ...any) {
	fmt.Fprintf(o.notes, format+"\n", args...)
}

// one writes a single resource: as an indented JSON document, with an "etag" member when the
// answer carried one (for --if-match), or as a table of its fields, one a line.
func (o *output) one(v any, etag string) error {
	b, err := marshal(v)
	if err != nil {
		return err
	}
	if etag != "" && len(b) > 1 && b[0] == '{' {
		tag, _ := json.Marshal(etag)
		sep := ","
		if bytes.Equal(b, []byte("{}")) {
			sep = ""
		}
		b = append(append(append(b[:len(b)-1:len(b)-1], []byte(sep+`"etag":`)...), tag...), '}')
	}
	if o.format == "json" {
		var ind bytes.Buffer
		if err := json.Indent(&ind, b, "", "  "); err != nil {
			return err
		}
		ind.WriteByte('\n')
		_, err := o.w.Write(ind.Bytes())
		return err
	}
	var fields [][2]string
	if err := flatten(b, "", &fields); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(o.w, 0, 0, 2, ' ', 0)
	for _, f := range fields {
		fmt.Fprintf(tw, "%s\t%s\n", f[0], f[1])
	}
	return tw.Flush()
}

// marshal is json.Marshal without escaping <, > and &, which a terminal shows as they are.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// flatten lists the members of a JSON object in their order, nested objects as "a.b", lists
// of plain values joined by commas, null as "-".
func flatten(doc []byte, prefix string, out *[][2]string) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("output: want a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key := prefix + tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		switch raw[0] {
		case '{':
			if err := flatten(raw, key+".", out); err != nil {
				return err
			}
		case '[':
			*out = append(*out, [2]string{key, listText(raw)})
		default:
			*out = append(*out, [2]string{key, scalarText(raw)})
		}
	}
	return nil
}

// listText renders a JSON array: plain values joined by commas, anything else as it is.
func listText(raw json.RawMessage) string {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return string(raw)
	}
	parts := make([]string, 0, len(items))
	for _, it := range items {
		if it[0] == '{' || it[0] == '[' {
			return string(raw)
		}
		parts = append(parts, scalarText(it))
	}
	return strings.Join(parts, ",")
}

func scalarText(raw json.RawMessage) string {
	switch raw[0] {
	case 'n':
		return "-"
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	return string(raw)
}

// column is one column of a list's table.
type column[T any] struct {
	head  string
	value func(T) string
}

// list writes items, at most limit (0: all), as JSON lines or a table; it fetches the next
// page only when the previous one is written, and stops fetching once it has limit items.
func list[T any](o *output, items iter.Seq2[T, error], limit int, cols []column[T]) error {
	n := 0
	if o.format == "json" {
		for it, err := range items {
			if err != nil {
				return err
			}
			b, err := marshal(it)
			if err != nil {
				return err
			}
			if _, err := o.w.Write(append(b, '\n')); err != nil {
				return err
			}
			if n++; limit > 0 && n >= limit {
				break
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(o.w, 0, 0, 2, ' ', 0)
	heads := make([]string, len(cols))
	for i, c := range cols {
		heads[i] = c.head
	}
	fmt.Fprintln(tw, strings.Join(heads, "\t"))
	var failed error
	for it, err := range items {
		if err != nil {
			failed = err
			break
		}
		row := make([]string, len(cols))
		for i, c := range cols {
			row[i] = cell(c.value(it))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
		if n++; limit > 0 && n >= limit {
			break
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return failed
}

// cell keeps a table's rows one line each, and marks an empty value.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
}

// each turns a list the server answers whole into the sequence list takes.
func each[T any](items []T, err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		if err != nil {
			var zero T
			yield(zero, err)
			return
		}
		for _, it := range items {
			if !yield(it, nil) {
				return
			}
		}
	}
}

// when renders a time for a table: UTC to the second; "-" for none.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// whenPtr is when for an optional time.
func whenPtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return when(*t)
}

// yes renders a flag for a table.
func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
