package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/picloud/picloud/client"
)

// The durable-events commands: publish, queue push, kv and deliveries.

// jsonArg reads a command-line argument that must be one JSON value.
func jsonArg(name, s string) (json.RawMessage, error) {
	if !json.Valid([]byte(s)) {
		return nil, usageError(fmt.Errorf(`%s %q is not JSON: quote strings ('"hello"'), or pass an object ('{"id": 1}')`, name, s))
	}
	return json.RawMessage(s), nil
}

func newPublishCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "publish APP TOPIC JSON",
		Short: "Publish a message to a topic of an app",
		Long: `Publish JSON to TOPIC: every enabled pubsub trigger of APP whose pattern
matches the topic gets one durable delivery. No matching trigger is not an
error (0 deliveries).

  picloud publish shop orders.created '{"id": 42}'`,
		Args: exactArgs("APP", "TOPIC", "JSON"),
	}
	usageFlagErrors(cmd)
	r := newRemote(c, cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		msg, err := jsonArg("JSON", args[2])
		if err != nil {
			return err
		}
		cl, err := r.client()
		if err != nil {
			return err
		}
		p, err := cl.Publish(cmd.Context(), args[0], args[1], msg)
		if err != nil {
			return r.fail(err)
		}
		if r.json {
			return r.printJSON(p)
		}
		return r.printf("published %s to %s: %d deliveries\n", p.MessageID, p.Topic, p.Deliveries)
	}
	return cmd
}

func newQueueCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "Push messages to an app's queues",
	}
	usageFlagErrors(cmd)
	r := newRemote(c, cmd)
	var delay time.Duration
	push := &cobra.Command{
		Use:   "push APP QUEUE JSON [--delay 10m]",
		Short: "Push a message to a queue, optionally delayed",
		Long: `Push JSON to QUEUE of APP. The queue's consumer trigger gets it once the
delay has passed; a queue without a consumer keeps its messages until one is
created.

  picloud queue push shop emails '{"to": "a@example.com"}' --delay 10m`,
		Args: exactArgs("APP", "QUEUE", "JSON"),
		RunE: func(cmd *cobra.Command, args []string) error {
			payload, err := jsonArg("JSON", args[2])
			if err != nil {
				return err
			}
			if delay < 0 {
				return usageError(fmt.Errorf("--delay %v: must not be negative", delay))
			}
			cl, err := r.client()
			if err != nil {
				return err
			}
			p, err := cl.Push(cmd.Context(), args[0], args[1], payload, delay)
			if err != nil {
				return r.fail(err)
			}
			if r.json {
				return r.printJSON(p)
			}
			state := "due " + p.RunAt.Local().Format(time.RFC3339)
			if p.Waiting {
				state = "waiting for a consumer trigger of queue " + p.Queue
			}
			return r.printf("pushed %s as delivery %d, %s\n", p.MessageID, p.DeliveryID, state)
		},
	}
	push.Flags().DurationVar(&delay, "delay", 0, "deliver no sooner than this from now (90s, 10m, 1h30m)")
	cmd.AddCommand(push)
	return cmd
}

func newKVCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kv",
		Short: "Read and edit an app's key-value store",
		Long: `Read and edit an app's KV store. Values are JSON. Writes are checked and
committed like a script's: size limits and the app's quota apply, and the
app's kv triggers fire.`,
	}
	usageFlagErrors(cmd)
	r := newRemote(c, cmd)
	get := &cobra.Command{
		Use:   "get APP KEY",
		Short: "Print a key's value",
		Args:  exactArgs("APP", "KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client()
			if err != nil {
				return err
			}
			e, err := cl.KVGet(cmd.Context(), args[0], args[1])
			if err != nil {
				return r.fail(err)
			}
			if r.json {
				return r.printJSON(e)
			}
			return r.printf("%s\n", e.Value)
		},
	}
	set := &cobra.Command{
		Use:   "set APP KEY JSON",
		Short: "Set a key to a JSON value",
		Args:  exactArgs("APP", "KEY", "JSON"),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := jsonArg("JSON", args[2])
			if err != nil {
				return err
			}
			cl, err := r.client()
			if err != nil {
				return err
			}
			e, err := cl.KVSet(cmd.Context(), args[0], args[1], v)
			if err != nil {
				return r.fail(err)
			}
			if r.json {
				return r.printJSON(e)
			}
			return r.printf("set %s\n", e.Key)
		},
	}
	del := &cobra.Command{
		Use:     "del APP KEY",
		Aliases: []string{"delete", "rm"},
		Short:   "Delete a key",
		Args:    exactArgs("APP", "KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client()
			if err != nil {
				return err
			}
			if err := cl.KVDelete(cmd.Context(), args[0], args[1]); err != nil {
				return r.fail(err)
			}
			if r.json {
				return r.printJSON(map[string]any{"deleted": args[1]})
			}
			return r.printf("deleted %s\n", args[1])
		},
	}
	var limit int
	list := &cobra.Command{
		Use:   "list APP [PREFIX]",
		Short: "List keys (starting with PREFIX) and their values, in byte order",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			prefix := ""
			if len(args) == 2 {
				prefix = args[1]
			}
			cl, err := r.client()
			if err != nil {
				return err
			}
			es, err := cl.KVList(cmd.Context(), args[0], prefix, limit)
			if err != nil {
				return r.fail(err)
			}
			if r.json {
				return r.printJSON(orEmpty(es))
			}
			rows := make([][]string, len(es))
			for i, e := range es {
				rows[i] = []string{e.Key, shorten(string(e.Value), 60)}
			}
			return r.printTable([]string{"KEY", "VALUE"}, rows)
		},
	}
	list.Flags().IntVar(&limit, "limit", 100, "at most this many keys; 0 for all")
	cmd.AddCommand(get, set, del, list)
	return cmd
}

func newDeliveriesCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "deliveries",
		Aliases: []string{"delivery", "dlq"},
		Short:   "List, retry and discard an app's deliveries and dead letters",
	}
	usageFlagErrors(cmd)
	r := newRemote(c, cmd)
	var state string
	var limit int
	list := &cobra.Command{
		Use:   "list APP [--state pending|retrying|running|waiting|dead]",
		Short: "List deliveries in the outbox, or dead letters (--state dead)",
		Args:  exactArgs("APP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client()
			if err != nil {
				return err
			}
			ds, err := cl.Deliveries(cmd.Context(), args[0], state, limit)
			if err != nil {
				return r.fail(err)
			}
			if r.json {
				return r.printJSON(orEmpty(ds))
			}
			rows := make([][]string, len(ds))
			for i, d := range ds {
				script, lastErr, when := "", "", ""
				if d.Script != nil {
					script = *d.Script
				}
				if d.LastError != nil {
					lastErr = shorten(*d.LastError, 50)
				}
				switch {
				case d.FailedAt != nil:
					when = d.FailedAt.Local().Format(time.DateTime)
				case d.RunAt != nil:
					when = d.RunAt.Local().Format(time.DateTime)
				}
				rows[i] = []string{strconv.FormatInt(d.ID, 10), d.State, d.Kind, script,
					fmt.Sprintf("%d/%d", d.Attempt, d.MaxAttempts), when, lastErr}
			}
			return r.printTable([]string{"ID", "STATE", "KIND", "SCRIPT", "ATTEMPTS", "AT", "LAST ERROR"}, rows)
		},
	}
	list.Flags().StringVar(&state, "state", "", "pending, retrying, running, waiting or dead; default: everything in the outbox")
	list.Flags().IntVar(&limit, "limit", 100, "at most this many; 0 for all")

	var retryState string
	retry := &cobra.Command{
		Use:   "retry APP [ID...] [--state dead|retrying]",
		Short: "Retry deliveries: replay dead letters, run pending ones now",
		Long: `Retry the listed deliveries, or with --state every dead letter (dead) or
every delivery waiting to be retried (retrying). A replayed dead letter gets
a new delivery id, its attempts reset and its event id kept.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := deliveryIDs(args[1:])
			if err != nil {
				return err
			}
			if (len(ids) == 0) == (retryState == "") {
				return usageError(fmt.Errorf("give delivery IDs or --state dead|retrying, not both or neither"))
			}
			cl, err := r.client()
			if err != nil {
				return err
			}
			var all []client.Retried
			for {
				got, more, err := cl.RetryDeliveries(cmd.Context(), args[0], ids, retryState)
				if err != nil {
					return r.fail(err)
				}
				all = append(all, got...)
				if !more || len(got) == 0 {
					break
				}
			}
			if r.json {
				return r.printJSON(orEmpty(all))
			}
			for _, rt := range all {
				if rt.ID != rt.PreviousID {
					if err := r.printf("replayed %d as delivery %d (%s)\n", rt.PreviousID, rt.ID, rt.State); err != nil {
						return err
					}
					continue
				}
				if err := r.printf("delivery %d runs now\n", rt.ID); err != nil {
					return err
				}
			}
			return r.printf("%d retried\n", len(all))
		},
	}
	retry.Flags().StringVar(&retryState, "state", "", "retry every delivery in this state: dead or retrying")

	discard := &cobra.Command{
		Use:   "discard APP ID...",
		Short: "Discard dead letters or deliveries that are not running",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := deliveryIDs(args[1:])
			if err != nil {
				return err
			}
			cl, err := r.client()
			if err != nil {
				return err
			}
			for _, id := range ids {
				if err := cl.DiscardDelivery(cmd.Context(), args[0], id); err != nil {
					return r.fail(err)
				}
				if !r.json {
					if err := r.printf("discarded %d\n", id); err != nil {
						return err
					}
				}
			}
			if r.json {
				return r.printJSON(map[string]any{"discarded": ids})
			}
			return nil
		},
	}
	cmd.AddCommand(list, retry, discard)
	return cmd
}

func deliveryIDs(args []string) ([]int64, error) {
	ids := make([]int64, 0, len(args))
	for _, a := range args {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil || id < 1 {
			return nil, usageError(fmt.Errorf("delivery ID %q: want a number (see picloud deliveries list)", a))
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// shorten cuts s to n characters, on one line.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
