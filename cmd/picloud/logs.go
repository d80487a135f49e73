package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/picloud/picloud/client"
)

func newLogsCmd(c *cli) *cobra.Command {
	var follow bool
	var limit int
	var outcome string
	cmd := &cobra.Command{
		Use:   "logs APP [SCRIPT]",
		Short: "Show an app's recent invocations and their logs, or follow them live",
		Long: `Show the app's latest invocations (of SCRIPT only, when given), oldest
first, each with its log lines and error. With -f, follow the live tail:
invocations are shown as they finish, until interrupted.

With --json each invocation is one line of JSON.`,
		Args: rangeArgs(1, "APP", "[SCRIPT]"),
	}
	usageFlagErrors(cmd)
	r := newRemote(c, cmd)
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "follow the live tail")
	cmd.Flags().IntVarP(&limit, "limit", "n", 20, "how many recent invocations to show (1 to 200)")
	cmd.Flags().StringVar(&outcome, "outcome", "", "only invocations with this outcome: ok, error, fuel_exhausted, memory_exceeded, timeout")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		app, script := args[0], ""
		if len(args) == 2 {
			script = args[1]
		}
		if limit < 1 || limit > 200 {
			return usageError(fmt.Errorf("--limit %d: want 1 to 200", limit))
		}
		cl, err := r.client()
		if err != nil {
			return err
		}
		ctx := cmd.Context()
		if follow {
			connected := func() {
				if !r.json {
					fmt.Fprintf(c.stderr, "following the invocations of %s (interrupt to stop)\n", app)
				}
			}
			err := cl.Tail(ctx, app, script, connected, func(inv client.Invocation) error {
				if outcome != "" && inv.Outcome != outcome {
					return nil
				}
				return r.showInvocation(inv)
			})
			if err != nil {
				return r.fail(err)
			}
			return nil
		}
		return r.recentLogs(ctx, cl, app, client.InvocationFilter{Script: script, Outcome: outcome, Limit: limit})
	}
	return cmd
}

// recentLogs shows the invocations f selects, oldest first, with their logs.
func (r *remote) recentLogs(ctx context.Context, cl *client.Client, app string, f client.InvocationFilter) error {
	p, err := cl.Invocations(ctx, app, f)
	if err != nil {
		return r.fail(err)
	}
	slices.Reverse(p.Items)
	for _, sum := range p.Items {
		inv, err := cl.Invocation(ctx, app, sum.ID)
		if client.IsCode(err, "invocation_not_found") {
			continue // deleted since the list
		}
		if err != nil {
			return r.fail(err)
		}
		if err := r.showInvocation(inv); err != nil {
			return err
		}
	}
	return nil
}

// showInvocation prints one invocation: a line about the run, its log
// lines indented, then its error.
func (r *remote) showInvocation(inv client.Invocation) error {
	if r.json {
		inv.Event, inv.Result = nil, nil // the log view: summary, logs, error
		return r.printJSONLine(inv)
	}
	if err := r.printf("%s %s@%d %s %s %s fuel=%d id=%s\n",
		inv.StartedAt.UTC().Format("2006-01-02T15:04:05.000Z"), inv.Script, inv.Version, inv.TriggerKind,
		inv.Outcome, time.Duration(inv.DurationUS)*time.Microsecond, inv.FuelUsed, inv.ID); err != nil {
		return err
	}
	for _, l := range inv.Logs {
		if err := r.printf("  %s %-5s %s\n", l.At.UTC().Format("15:04:05.000"), l.Level, l.Message); err != nil {
			return err
		}
	}
	if inv.Error != nil {
		pos := ""
		if inv.Error.Line > 0 {
			pos = fmt.Sprintf(" at %d:%d", inv.Error.Line, inv.Error.Column)
		}
		if err := r.printf("  error%s: %s\n", pos, firstLine(inv.Error.Message)); err != nil {
			return err
		}
	}
	return nil
}
