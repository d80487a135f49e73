package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/picloud/picloud/client"
)

func newTokenCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "token",
		Aliases: []string{"tokens"},
		Short:   "Create, list and revoke API tokens",
		Long: `Manage the API tokens of the server at --url; this needs a token with the
admin scope. Scopes: app:read, app:write, script:read, script:write,
trigger:read, trigger:write, admin (implies all); a write scope implies its
read scope.`,
	}
	usageFlagErrors(cmd)
	r := newRemote(c, cmd)

	var scopes []string
	var app, expiresIn string
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a token and print its secret, shown this once",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(scopes) == 0 {
				return usageError(fmt.Errorf("token create needs at least one --scope"))
			}
			cl, err := r.client()
			if err != nil {
				return err
			}
			t, err := cl.CreateToken(cmd.Context(), client.NewToken{Name: args[0], Scopes: scopes, App: app, ExpiresIn: expiresIn})
			if err != nil {
				return r.fail(err)
			}
			if r.json {
				return r.printJSON(t)
			}
			return r.printf("created token %d (%s); its secret is shown this once, keep it:\n\n    %s\n\n", t.ID, t.Name, t.Secret)
		},
	}
	create.Flags().StringSliceVar(&scopes, "scope", nil, "a scope the token carries (repeatable, or comma-separated)")
	create.Flags().StringVar(&app, "app", "", "restrict the token to this app")
	create.Flags().StringVar(&expiresIn, "expires-in", "", "expire after this long: 720h, 90m, 30d; default never")

	list := &cobra.Command{
		Use:   "list",
		Short: "List tokens (never their secrets)",
		Args:  exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := r.client()
			if err != nil {
				return err
			}
			ts, err := cl.Tokens(cmd.Context())
			if err != nil {
				return r.fail(err)
			}
			if r.json {
				return r.printJSON(orEmpty(ts))
			}
			rows := make([][]string, len(ts))
			for i, t := range ts {
				rows[i] = []string{strconv.FormatInt(t.ID, 10), t.Name, t.Prefix, strings.Join(t.Scopes, ","),
					strPtr(t.App), t.Status, stampPtr(t.ExpiresAt), stampPtr(t.LastUsedAt)}
			}
			return r.printTable([]string{"ID", "NAME", "PREFIX", "SCOPES", "APP", "STATUS", "EXPIRES", "LAST USED"}, rows)
		},
	}

	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token",
		Args:  exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return usageError(fmt.Errorf("token ID %q: want a number (see picloud token list)", args[0]))
			}
			cl, err := r.client()
			if err != nil {
				return err
			}
			if err := cl.RevokeToken(cmd.Context(), id); err != nil {
				return r.fail(err)
			}
			if r.json {
				return r.printJSON(map[string]any{"revoked": id})
			}
			return r.printf("revoked token %d\n", id)
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}
