package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/picloud/picloud/db/dbtest"
	"github.com/picloud/picloud/db/migrations"
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
	latest := latestMigration(t)
	if got := migrate("status"); strings.Count(got, "pending") != latest || !strings.Contains(got, "00001_apps.sql") {
		t.Fatalf("status before up:\n%s", got)
	}
	if got, want := migrate("up"), fmt.Sprintf("applied %d migrations; the schema is at version %d", latest, latest); !strings.Contains(got, want) {
		t.Fatalf("up: %q, want %q", got, want)
	}
	if got := migrate("up"); !strings.Contains(got, "applied 0 migrations") {
		t.Fatalf("second up: %s", got)
	}
	if got, want := migrate("down"), fmt.Sprintf("rolled back migration %d", latest); !strings.Contains(got, want) {
		t.Fatalf("down: %q, want %q", got, want)
	}
	got := strings.Split(strings.TrimSpace(migrate("status")), "\n")
	if last := strings.Fields(got[len(got)-1]); strings.Count(strings.Join(got, "\n"), "pending") != 1 || last[0] != fmt.Sprint(latest) || last[2] != "pending" {
		t.Fatalf("status after down:\n%s", strings.Join(got, "\n"))
	}
}

// latestMigration is the number of embedded migrations, numbered 1..n.
func latestMigration(t *testing.T) int {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), dbtest.EmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	m, err := migrations.New(pool, migrations.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	return int(m.Latest())
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
