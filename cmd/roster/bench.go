package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/internal/bench"
)

func newBenchCommand() *cobra.Command {
	cfg := bench.Config{URL: "http://127.0.0.1:8080", Clients: 16, Duration: 10 * time.Second, Members: 1000}
	var scenarios string
	cmd := &cobra.Command{
		Use:   "bench --login ADMIN --password PW [--clients 16] [--duration 10s] [--scenarios a,b]",
		Short: "Load a running server and report requests a second and latency per scenario",
		Long: "Drive a running Roster over HTTP with concurrent clients. Unless --tenant names a tenant to\n" +
			"read, it creates one and seeds --members members through the API. Each scenario runs for\n" +
			"--duration; a JSON line per scenario is printed as it ends, and a table at the end.\n" +
			"Scenarios: " + strings.Join(bench.Scenarios, ", ") + ".",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if scenarios != "" {
				cfg.Scenarios = strings.Split(scenarios, ",")
			}
			if cfg.Token == "" && (cfg.Login == "" || cfg.Password == "") {
				return fmt.Errorf("give --login and --password of an instance administrator, or --token")
			}
			var results []bench.Result
			enc := json.NewEncoder(cmd.OutOrStdout())
			err := bench.Run(cmd.Context(), cfg, func(r bench.Result) {
				results = append(results, r)
				_ = enc.Encode(r)
			})
			if len(results) > 0 {
				fmt.Fprint(cmd.OutOrStdout(), "\n"+bench.Table(results))
			}
			return err
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&cfg.URL, "url", cfg.URL, "base URL of the server")
	fs.StringVar(&cfg.Login, "login", "", "an instance administrator's email or username")
	fs.StringVar(&cfg.Password, "password", "", "that administrator's password")
	fs.StringVar(&cfg.Token, "token", "", "an instance administrator's bearer token, instead of --login and --password")
	fs.StringVar(&cfg.Tenant, "tenant", "", "an existing tenant to read (for instance one seeded with roster import); empty creates and seeds one")
	fs.IntVar(&cfg.Members, "members", cfg.Members, "members to seed into a new tenant")
	fs.IntVar(&cfg.Clients, "clients", cfg.Clients, "concurrent clients")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long each scenario runs")
	fs.StringVar(&scenarios, "scenarios", "", "comma-separated scenarios to run (default all)")
	return cmd
}
