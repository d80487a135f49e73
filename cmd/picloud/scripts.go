package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
)

func newScriptsCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scripts",
		Short: "List scripts and their versions, roll back",
		Long:  `Inspect an app's scripts and versions, and activate an older version.`,
	}
	usageFlagErrors(cmd)
	r := newRemote(c, cmd)

	list := &cobra.Command{
		Use:   "list APP",
		Short: "List an app's scripts",
		Args:  exactArgs("APP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client()
			if err != nil {
				return err
			}
			ss, err := cl.Scripts(cmd.Context(), args[0])
			if err != nil {
				return r.fail(err)
			}
			if r.json {
				return r.printJSON(orEmpty(ss))
			}
			rows := make([][]string, len(ss))
			for i, s := range ss {
				active := ""
				if s.ActiveVersion != nil {
					active = strconv.Itoa(int(*s.ActiveVersion))
				}
				rows[i] = []string{s.Name, active, strconv.Itoa(int(s.LatestVersion)), stamp(s.UpdatedAt), strPtr(s.Endpoint)}
			}
			return r.printTable([]string{"NAME", "ACTIVE", "LATEST", "UPDATED", "ENDPOINT"}, rows)
		},
	}

	versions := &cobra.Command{
		Use:   "versions APP SCRIPT",
		Short: "List a script's versions, newest first",
		Args:  exactArgs("APP", "SCRIPT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client()
			if err != nil {
				return err
			}
			vs, err := cl.Versions(cmd.Context(), args[0], args[1])
			if err != nil {
				return r.fail(err)
			}
			if r.json {
				return r.printJSON(orEmpty(vs))
			}
			rows := make([][]string, len(vs))
			for i, v := range vs {
				active := ""
				if v.Active {
					active = "*"
				}
				rows[i] = []string{strconv.Itoa(int(v.Number)), active, stamp(v.CreatedAt), v.SHA256[:min(12, len(v.SHA256))]}
			}
			return r.printTable([]string{"VERSION", "ACTIVE", "CREATED", "SHA256"}, rows)
		},
	}

	rollback := &cobra.Command{
		Use:   "rollback APP SCRIPT [VERSION]",
		Short: "Activate an older version (default: the one before the active one)",
		Args:  rangeArgs(2, "APP", "SCRIPT", "[VERSION]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			app, name := args[0], args[1]
			var target int32
			if len(args) == 3 {
				n, err := strconv.ParseInt(args[2], 10, 32)
				if err != nil || n < 1 {
					return usageError(fmt.Errorf("VERSION %q: want a version number from 1", args[2]))
				}
				target = int32(n)
			} else {
				s, err := cl.Script(ctx, app, name)
				if err != nil {
					return r.fail(err)
				}
				if s.ActiveVersion == nil {
					return fmt.Errorf("script_not_deployed: script %q of app %q has no active version to roll back from", name, app)
				}
				for _, v := range s.Versions { // newest first
					if v.Number < *s.ActiveVersion {
						target = v.Number
						break
					}
				}
				if target == 0 {
					return fmt.Errorf("no_older_version: version %d of script %q is its oldest", *s.ActiveVersion, name)
				}
			}
			s, err := cl.Activate(ctx, app, name, target)
			if err != nil {
				return r.fail(err)
			}
			if r.json {
				return r.printJSON(s)
			}
			return r.printf("%s/%s: version %d is active\n", app, name, target)
		},
	}
	cmd.AddCommand(list, versions, rollback)
	return cmd
}
