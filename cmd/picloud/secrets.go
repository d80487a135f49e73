package main

import (
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"
)

func newEnvCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Set, list and unset an app's variables (ctx.env)",
	}
	usageFlagErrors(cmd)
	r := newRemote(c, cmd)
	set := &cobra.Command{
		Use:   "set APP NAME VALUE",
		Short: "Set a variable",
		Args:  exactArgs("APP", "NAME", "VALUE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client()
			if err != nil {
				return err
			}
			a, err := cl.SetEnv(cmd.Context(), args[0], args[1], args[2])
			if err != nil {
				return r.fail(err)
			}
			if r.json {
				return r.printJSON(a.Env)
			}
			return r.printf("set %s\n", args[1])
		},
	}
	list := &cobra.Command{
		Use:   "list APP",
		Short: "List the variables and their values",
		Args:  exactArgs("APP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client()
			if err != nil {
				return err
			}
			a, err := cl.App(cmd.Context(), args[0])
			if err != nil {
				return r.fail(err)
			}
			if r.json {
				return r.printJSON(a.Env)
			}
			names := make([]string, 0, len(a.Env))
			for k := range a.Env {
				names = append(names, k)
			}
			sort.Strings(names)
			rows := make([][]string, len(names))
			for i, k := range names {
				rows[i] = []string{k, shorten(a.Env[k], 60)}
			}
			return r.printTable([]string{"NAME", "VALUE"}, rows)
		},
	}
	unset := &cobra.Command{
		Use:     "unset APP NAME",
		Aliases: []string{"rm", "delete"},
		Short:   "Remove a variable",
		Args:    exactArgs("APP", "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client()
			if err != nil {
				return err
			}
			if err := cl.UnsetEnv(cmd.Context(), args[0], args[1]); err != nil {
				return r.fail(err)
			}
			if r.json {
				return r.printJSON(map[string]any{"unset": args[1]})
			}
			return r.printf("unset %s\n", args[1])
		},
	}
	cmd.AddCommand(set, list, unset)
	return cmd
}

func newSecretCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "secret",
		Aliases: []string{"secrets"},
		Short:   "Set, list and unset an app's secrets (write-only)",
		Long: `Set, list and unset an app's secrets. Scripts see a secret as ctx.env.NAME,
or name it in an outbound request's header as ${secret:NAME} (hosts on the
app's allowlist only) so that they never hold it. Values are stored
encrypted and never shown again; see docs/EGRESS.md.`,
	}
	usageFlagErrors(cmd)
	r := newRemote(c, cmd)
	set := &cobra.Command{
		Use:   "set APP NAME [VALUE]",
		Short: "Set or replace a secret; without VALUE it is read from standard input (kept out of the shell's history)",
		Args:  cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			var value string
			if len(args) == 3 {
				value = args[2]
			} else {
				b, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), 1<<20))
				if err != nil {
					return err
				}
				value = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
			}
			cl, err := r.client()
			if err != nil {
				return err
			}
			s, err := cl.SetSecret(cmd.Context(), args[0], args[1], value)
			if err != nil {
				return r.fail(err)
			}
			if r.json {
				return r.printJSON(s)
			}
			return r.printf("set secret %s\n", s.Name)
		},
	}
	list := &cobra.Command{
		Use:   "list APP",
		Short: "List the secrets' names (values are never shown)",
		Args:  exactArgs("APP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client()
			if err != nil {
				return err
			}
			ss, err := cl.Secrets(cmd.Context(), args[0])
			if err != nil {
				return r.fail(err)
			}
			if r.json {
				return r.printJSON(orEmpty(ss))
			}
			rows := make([][]string, len(ss))
			for i, s := range ss {
				rows[i] = []string{s.Name, s.UpdatedAt.Local().Format("2006-01-02 15:04:05")}
			}
			return r.printTable([]string{"NAME", "UPDATED"}, rows)
		},
	}
	unset := &cobra.Command{
		Use:     "unset APP NAME",
		Aliases: []string{"rm", "delete"},
		Short:   "Delete a secret",
		Args:    exactArgs("APP", "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client()
			if err != nil {
				return err
			}
			if err := cl.UnsetSecret(cmd.Context(), args[0], args[1]); err != nil {
				return r.fail(err)
			}
			if r.json {
				return r.printJSON(map[string]any{"unset": args[1]})
			}
			return r.printf("unset secret %s\n", args[1])
		},
	}
	cmd.AddCommand(set, list, unset)
	return cmd
}
