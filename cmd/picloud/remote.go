package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/picloud/picloud/client"
)

// remote holds the flags every command that calls a server's admin API
// shares: where the server is, the token, and the output format.
type remote struct {
	c     *cli
	url   string
	token string
	json  bool
}

// newRemote adds --url, --token and --json to a command group; its
// subcommands inherit them, and PICLOUD_URL, PICLOUD_TOKEN and
// PICLOUD_JSON set them (addEnvTwins).
func newRemote(c *cli, cmd *cobra.Command) *remote {
	r := &remote{c: c}
	pf := cmd.PersistentFlags()
	pf.StringVar(&r.url, "url", client.DefaultURL, "the PiCloud server's admin URL")
	pf.StringVar(&r.token, "token", "", "the API token's secret (pct_…)")
	pf.BoolVar(&r.json, "json", false, "print JSON for machines instead of tables")
	return r
}

// client is the API client the flags describe.
func (r *remote) client() (*client.Client, error) {
	cl, err := client.New(client.Config{URL: r.url, Token: r.token, UserAgent: "picloud/" + version})
	if err != nil {
		return nil, usageError(fmt.Errorf("--url: %w", err))
	}
	return cl, nil
}

// fail turns an API error into picloud's one-line error; with --json the
// problem document goes to standard output too, for machines.
func (r *remote) fail(err error) error {
	var pe *client.Error
	if errors.As(err, &pe) && r.json {
		_ = r.printJSON(pe)
	}
	return oneLine(err)
}

// printJSON writes v as indented JSON.
func (r *remote) printJSON(v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(r.c.stdout, "%s\n", b)
	return err
}

// printJSONLine writes v as one line of JSON (for streams).
func (r *remote) printJSONLine(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(r.c.stdout, "%s\n", b)
	return err
}

// printTable writes rows under a header, in aligned columns.
func (r *remote) printTable(header []string, rows [][]string) error {
	return writeTable(r.c.stdout, header, rows)
}

func writeTable(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, row := range rows {
		for i, cell := range row {
			if cell == "" {
				row[i] = "-"
			}
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// printf writes human output.
func (r *remote) printf(format string, args ...any) error {
	_, err := fmt.Fprintf(r.c.stdout, format, args...)
	return err
}

// stamp shows a time for tables: UTC to the second.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

func stampPtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return stamp(*t)
}

func strPtr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// exactArgs is cobra.ExactArgs with PiCloud's usage error (exit status 2)
// naming the arguments.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != len(names) {
			want := strings.Join(names, " ")
			if want == "" {
				want = "no arguments"
			}
			return usageError(fmt.Errorf("%s takes %s, got %d arguments (see %s --help)",
				cmd.CommandPath(), want, len(args), cmd.CommandPath()))
		}
		return nil
	}
}

// rangeArgs is exactArgs for commands whose last arguments are optional.
func rangeArgs(min int, names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min || len(args) > len(names) {
			return usageError(fmt.Errorf("%s takes %s, got %d arguments (see %s --help)",
				cmd.CommandPath(), strings.Join(names, " "), len(args), cmd.CommandPath()))
		}
		return nil
	}
}

// usageFlagErrors makes a group's flag errors usage errors (exit status 2).
func usageFlagErrors(cmd *cobra.Command) {
	cmd.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError(fmt.Errorf("%w (see %s --help)", err, cmd.CommandPath()))
	})
}
