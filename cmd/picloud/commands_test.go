package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/picloud/picloud/db/dbtest"
)

func TestMigrateCommands(t *testing.T) {
	url := dbtest.EmptyURL(t)
	migrate := func(sub string) string {
		t.Helper()
		out := newOutput()
		if err := run(t.Context(), []string{"migrate", sub, "--database-url", url}, out, out); err != nil {
			t.Fatalf("migrate %s: %v\n%s", sub, err, out.String())
		}
		return out.String()
	}
	if got := migrate("status"); strings.Count(got, "pending") != 7 || !strings.Contains(got, "00001_apps.sql") {
		t.Fatalf("status before up:\n%s", got)
	}
	if got := migrate("up"); !strings.Contains(got, "applied 7 migrations; the schema is at version 7") {
		t.Fatalf("up: %s", got)
	}
	if got := migrate("up"); !strings.Contains(got, "applied 0 migrations") {
		t.Fatalf("second up: %s", got)
	}
	if got := migrate("down"); !strings.Contains(got, "rolled back migration 7") {
		t.Fatalf("down: %s", got)
	}
	got := migrate("status")
	if strings.Count(got, "pending") != 1 || !strings.Contains(strings.Join(strings.Fields(got), " "), "00007_api_tokens.sql pending") {
		t.Fatalf("status after down:\n%s", got)
	}
}

func TestVersion(t *testing.T) {
	out := newOutput()
	if err := run(t.Context(), []string{"version"}, out, out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "picloud dev (go1.") {
		t.Fatalf("version printed %q", out.String())
	}
}

// Every flag of every command names its environment variable in the help.
func TestEveryFlagHasAnEnvTwin(t *testing.T) {
	root := newRootCmd(&cli{lookupEnv: func(string) (string, bool) { return "", false }})
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Name == "help" {
				return
			}
			if !strings.Contains(f.Usage, "(env PICLOUD_") && !strings.Contains(f.Usage, "(env DATABASE_URL)") {
				t.Errorf("%s --%s: usage %q names no environment variable", cmd.CommandPath(), f.Name, f.Usage)
			}
		})
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(root)

	out := newOutput()
	if err := run(t.Context(), []string{"serve", "--help"}, out, out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"PICLOUD_ADDR", "PICLOUD_PUBLIC_ADDR", "PICLOUD_DATA", "DATABASE_URL", "PICLOUD_SHUTDOWN_TIMEOUT", "PICLOUD_LOG_LEVEL"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("serve --help lacks %s", want)
		}
	}
}
