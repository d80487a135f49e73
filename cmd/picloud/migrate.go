package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/picloud/picloud/db/migrations"
)

func newMigrateCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply, roll back or list the database migrations",
		Long: `Apply, roll back or list the database migrations. serve applies them at
every start; these commands are for operators. Without a database URL they
work on the embedded database (starting and stopping it).`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "up",
			Short: "Apply every pending migration",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return c.withMigrator(cmd.Context(), func(ctx context.Context, m *migrations.Migrator) error {
					applied, err := m.Up(ctx)
					if err != nil {
						return err
					}
					_, err = fmt.Fprintf(c.stdout, "applied %d migrations; the schema is at version %d\n", len(applied), m.Latest())
					return err
				})
			},
		},
		&cobra.Command{
			Use:   "down",
			Short: "Roll back the newest applied migration",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return c.withMigrator(cmd.Context(), func(ctx context.Context, m *migrations.Migrator) error {
					v, err := m.Down(ctx)
					if err != nil {
						return err
					}
					_, err = fmt.Fprintf(c.stdout, "rolled back migration %d\n", v)
					return err
				})
			},
		},
		&cobra.Command{
			Use:   "status",
			Short: "List the migrations and whether each is applied",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return c.withMigrator(cmd.Context(), func(ctx context.Context, m *migrations.Migrator) error {
					st, err := m.Status(ctx)
					if err != nil {
						return err
					}
					w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(w, "VERSION\tNAME\tAPPLIED")
					for _, s := range st {
						applied := "pending"
						if s.Applied {
							applied = s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
						}
						fmt.Fprintf(w, "%d\t%s\t%s\n", s.Version, s.Name, applied)
					}
					return w.Flush()
				})
			},
		},
	)
	return cmd
}

func (c *cli) withMigrator(ctx context.Context, fn func(context.Context, *migrations.Migrator) error) (err error) {
	db, err := c.openDatabase(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.close(ctx, c.logger)) }()
	m, err := migrations.New(db.pool, migrations.Config{Logger: c.logger.With("component", "migrations")})
	if err != nil {
		return err
	}
	defer m.Close()
	return fn(ctx, m)
}
