package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"
	"time"
)

// MaxLimit is the largest page the API answers.
const MaxLimit = 200

// Page is one page of a list.
type Page[T any] struct {
	Items []T `json:"items"`
	// NextCursor, passed as Cursor, asks for the page after this one; it is empty on the last.
	NextCursor string `json:"next_cursor"`
}

// ListOptions selects a page of a list without filters.
type ListOptions struct {
	Limit  int    // page size, 1 to MaxLimit; 0 leaves it to the server (50)
	Cursor string // a previous page's NextCursor; empty for the first page
}

func (o ListOptions) values() url.Values {
	q := url.Values{}
	if o.Limit != 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Cursor != "" {
		q.Set("cursor", o.Cursor)
	}
	return q
}

// setIf adds name=value to q unless value is empty.
func setIf(q url.Values, name, value string) {
	if value != "" {
		q.Set(name, value)
	}
}

// setTime adds name=t (RFC 3339) to q unless t is zero.
func setTime(q url.Values, name string, t time.Time) {
	if !t.IsZero() {
		q.Set(name, t.Format(time.RFC3339Nano))
	}
}

// wirePage is a list answer; next_cursor is null on the last page.
type wirePage[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// listPage fetches one page.
func listPage[T any](ctx context.Context, c *Client, req request) (*Page[T], error) {
	var w wirePage[T]
	if _, err := c.do(ctx, req, &w); err != nil {
		return nil, err
	}
	p := &Page[T]{Items: w.Items}
	if w.NextCursor != nil {
		p.NextCursor = *w.NextCursor
	}
	if p.Items == nil {
		p.Items = []T{}
	}
	return p, nil
}

// listAll fetches a list that is not paginated (tokens, sessions, keys).
func listAll[T any](ctx context.Context, c *Client, req request) ([]T, error) {
	p, err := listPage[T](ctx, c, req)
	if err != nil {
		return nil, err
	}
	return p.Items, nil
}

// all iterates over every item from the page at cursor on, fetching the next page only when
// the loop has consumed the last. A failed fetch is yielded once as (zero, err), and ends it.
func all[T any](cursor string, page func(cursor string) (*Page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			p, err := page(cursor)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range p.Items {
				if !yield(it, nil) {
					return
				}
			}
			if p.NextCursor == "" {
				return
			}
			cursor = p.NextCursor
		}
	}
}
