package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/picloud/picloud/client"
)

func newAppsCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "apps",
		Short: "Create, list, show and delete apps",
		Long: `Manage apps, the tenants that own scripts, triggers and data, through the
admin API of the server at --url with the token --token.`,
	}
	usageFlagErrors(cmd)
	r := newRemote(c, cmd)

	var desc string
	var debug bool
	var env []string
	create := &cobra.Command{
		Use:   "create SLUG",
		Short: "Create an app",
		Args:  exactArgs("SLUG"),
		RunE: func(cmd *cobra.Command, args []string) error {
			vars := map[string]string{}
			for _, kv := range env {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return usageError(fmt.Errorf("--env %q: want NAME=VALUE", kv))
				}
				vars[k] = v
			}
			cl, err := r.client()
			if err != nil {
				return err
			}
			a, err := cl.CreateApp(cmd.Context(), client.NewApp{Slug: args[0], Description: desc, DebugOutput: debug, Env: vars})
			if err != nil {
				return r.fail(err)
			}
			if r.json {
				return r.printJSON(a)
			}
			return r.printf("created app %s\n", a.Slug)
		},
	}
	create.Flags().StringVar(&desc, "description", "", "what the app is for")
	create.Flags().BoolVar(&debug, "debug-output", false, "keep debug() lines in logs and show script errors in HTTP responses")
	create.Flags().StringArrayVar(&env, "env", nil, "a variable for ctx.env, NAME=VALUE (repeatable)")

	list := &cobra.Command{
		Use:   "list",
		Short: "List apps",
		Args:  exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := r.client()
			if err != nil {
				return err
			}
			apps, err := cl.Apps(cmd.Context())
			if err != nil {
				return r.fail(err)
			}
			if r.json {
				return r.printJSON(orEmpty(apps))
			}
			rows := make([][]string, len(apps))
			for i, a := range apps {
				rows[i] = []string{a.Slug, strconv.FormatBool(a.DebugOutput), stamp(a.CreatedAt), a.Description}
			}
			return r.printTable([]string{"SLUG", "DEBUG", "CREATED", "DESCRIPTION"}, rows)
		},
	}

	get := &cobra.Command{
		Use:   "get SLUG",
		Short: "Show an app with its limits and variables",
		Args:  exactArgs("SLUG"),
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
				return r.printJSON(a)
			}
			l := a.Limits
			rows := [][]string{
				{"slug", a.Slug},
				{"description", a.Description},
				{"debug_output", strconv.FormatBool(a.DebugOutput)},
				{"created", stamp(a.CreatedAt)},
				{"updated", stamp(a.UpdatedAt)},
				{"fuel_per_invocation", limit(l.FuelPerInvocation)},
				{"memory_pages", limit(l.MemoryPages)},
				{"timeout_ms", limit(l.TimeoutMS)},
				{"max_call_depth", limit(l.MaxCallDepth)},
				{"max_string_bytes", limit(l.MaxStringBytes)},
				{"max_array_len", limit(l.MaxArrayLen)},
				{"max_map_len", limit(l.MaxMapLen)},
				{"max_concurrency", limit(l.MaxConcurrency)},
				{"max_outbound_requests", limit(l.MaxOutboundRequests)},
				{"max_body_bytes", limit(l.MaxBodyBytes)},
				{"kv_quota_bytes", limit(l.KVQuotaBytes)},
			}
			names := make([]string, 0, len(a.Env))
			for k := range a.Env {
				names = append(names, k)
			}
			slices.Sort(names)
			for _, k := range names {
				rows = append(rows, []string{"env." + k, a.Env[k]})
			}
			return r.printTable([]string{"FIELD", "VALUE"}, rows)
		},
	}

	del := &cobra.Command{
		Use:   "delete SLUG",
		Short: "Delete an app and everything it owns",
		Args:  exactArgs("SLUG"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client()
			if err != nil {
				return err
			}
			if err := cl.DeleteApp(cmd.Context(), args[0]); err != nil {
				return r.fail(err)
			}
			if r.json {
				return r.printJSON(map[string]any{"deleted": args[0]})
			}
			return r.printf("deleted app %s\n", args[0])
		},
	}
	cmd.AddCommand(create, list, get, del)
	return cmd
}

// limit shows an app limit: 0 is the server's default.
func limit[T int32 | int64](v T) string {
	if v == 0 {
		return "default"
	}
	return strconv.FormatInt(int64(v), 10)
}

// orEmpty makes a nil list print as [] in JSON.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
