package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// Benchmarks of whole requests over loopback against a real SQLite file. They bypass the
// OpenAPI-validating transport so that they measure the server, not the validator. Run with
//
//	go test ./e2e -run '^$' -bench . -benchtime 3s
//
// b.RunParallel runs GOMAXPROCS×parallelism clients.

const benchClients = 8 // × GOMAXPROCS concurrent clients

func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
}

func call(b *testing.B, c *http.Client, method, url, token, body string, want int) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != want {
		b.Fatalf("%s %s: %d, want %d", method, url, res.StatusCode, want)
	}
}

// benchWorld is a tenant with members for the benchmarks.
func benchWorld(b *testing.B, members int) (*env, principal, []string) {
	e := newEnv(b)
	admin := e.bootstrap()
	e.createTenant(admin, "acme")
	ids := make([]string, members)
	for i := range ids {
		ids[i] = e.createUser(admin, fmt.Sprintf("m%05d@example.com", i))
		e.addMember(admin, "acme", ids[i], "viewer")
	}
	return e, admin, ids
}

func BenchmarkGetUser(b *testing.B) {
	e, admin, ids := benchWorld(b, 100)
	c := benchClient()
	var n atomic.Int64
	b.SetParallelism(benchClients)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := ids[n.Add(1)%int64(len(ids))]
			call(b, c, "GET", e.url+"/v1/users/"+id, admin.token, "", http.StatusOK)
		}
	})
}

func BenchmarkListMembers100(b *testing.B) {
	e, admin, _ := benchWorld(b, 1000)
	c := benchClient()
	b.SetParallelism(benchClients)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			call(b, c, "GET", e.url+"/v1/tenants/acme/members?limit=100", admin.token, "", http.StatusOK)
		}
	})
}

func BenchmarkCreateUserAndAddMember(b *testing.B) {
	e, admin, _ := benchWorld(b, 0)
	c := benchClient()
	var n atomic.Int64
	b.SetParallelism(benchClients)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			req, _ := http.NewRequest("POST", e.url+"/v1/users", strings.NewReader(fmt.Sprintf(`{"email": "b%d@example.com"}`, i)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+admin.token)
			res, err := c.Do(req)
			if err != nil || res.StatusCode != http.StatusCreated {
				b.Fatalf("create user: %v %v", err, res)
			}
			var id string
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			id = string(body[strings.Index(string(body), `"id":"`)+6:][:30])
			call(b, c, "POST", e.url+"/v1/tenants/acme/members", admin.token, `{"user_id": "`+id+`", "roles": ["viewer"]}`, http.StatusCreated)
		}
	})
}

func BenchmarkLogin(b *testing.B) {
	e, admin, _ := benchWorld(b, 0)
	_ = admin
	c := benchClient()
	b.SetParallelism(benchClients)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			call(b, c, "POST", e.url+"/v1/auth/login", "", `{"login": "root", "password": "`+testPassword+`"}`, http.StatusOK)
		}
	})
}
