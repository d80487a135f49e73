package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/picloud/picloud/client"
)

// triggerFlags are triggers add's options: the script, and each kind's own.
type triggerFlags struct {
	script      string
	disabled    bool
	maxAttempts int32
	method      string
	path        string
	schedule    string
	tz          string
	pattern     string
	queue       string
	keyPattern  string
	ops         []string
	sourceKind  string
}

// kindFlags names the flags each kind takes.
var kindFlags = map[string][]string{
	client.KindHTTP:       {"method", "path"},
	client.KindCron:       {"schedule", "tz"},
	client.KindPubsub:     {"pattern"},
	client.KindQueue:      {"queue"},
	client.KindKV:         {"key-pattern", "ops"},
	client.KindDeadletter: {"source-kind"},
}

func newTriggersCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "triggers",
		Aliases: []string{"trigger"},
		Short:   "Add, list, enable, disable and remove triggers",
		Long:    `Manage the triggers that bind event sources to an app's scripts.`,
	}
	usageFlagErrors(cmd)
	r := newRemote(c, cmd)

	var f triggerFlags
	add := &cobra.Command{
		Use:   "add APP KIND --script SCRIPT [options]",
		Short: "Add a trigger of KIND (http, cron, pubsub, queue, kv, deadletter)",
		Long: `Add a trigger that runs SCRIPT. Each kind takes its own options:

  http        --method M (default ANY) --path P      e.g. --method GET --path /users/:id
  cron        --schedule EXPR [--tz ZONE]           e.g. --schedule "*/5 * * * *" --tz Europe/Berlin
  pubsub      --pattern P                           e.g. --pattern "orders.*"
  queue       --queue NAME
  kv          --key-pattern P [--ops set,delete]    e.g. --key-pattern "user:*"
  deadletter  [--source-kind cron|pubsub|queue|kv]`,
		Args: exactArgs("APP", "KIND"),
		RunE: func(cmd *cobra.Command, args []string) error {
			app, kind := args[0], strings.ToLower(args[1])
			t, err := f.trigger(cmd.Flags(), kind)
			if err != nil {
				return usageError(err)
			}
			cl, err := r.client()
			if err != nil {
				return err
			}
			created, err := cl.CreateTrigger(cmd.Context(), app, kind, t)
			if err != nil {
				return r.fail(err)
			}
			if r.json {
				return r.printJSON(created)
			}
			return r.printf("added %s trigger %d: %s → %s\n", created.Kind, created.ID, describeTrigger(created), created.Script)
		},
	}
	af := add.Flags()
	af.StringVar(&f.script, "script", "", "the script the trigger runs (required)")
	af.BoolVar(&f.disabled, "disabled", false, "create the trigger disabled")
	af.Int32Var(&f.maxAttempts, "max-attempts", 0, "deliveries before dead-lettering, 1 to 100; default 10 (not http)")
	af.StringVar(&f.method, "method", "", "http: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY (default)")
	af.StringVar(&f.path, "path", "", "http: a path pattern under the app's prefix: /users/:id, /files/*rest")
	af.StringVar(&f.schedule, "schedule", "", "cron: 5 fields, 6 with seconds, @hourly or @every 30s")
	af.StringVar(&f.tz, "tz", "", "cron: IANA time zone; default UTC")
	af.StringVar(&f.pattern, "pattern", "", "pubsub: a topic, <prefix>.* or *")
	af.StringVar(&f.queue, "queue", "", "queue: the queue's name")
	af.StringVar(&f.keyPattern, "key-pattern", "", "kv: a key, a prefix ending in *, or *")
	af.StringSliceVar(&f.ops, "ops", nil, "kv: set, delete or both (default)")
	af.StringVar(&f.sourceKind, "source-kind", "", "deadletter: only dead deliveries of this kind; default all")

	var kind string
	list := &cobra.Command{
		Use:   "list APP",
		Short: "List an app's triggers",
		Args:  exactArgs("APP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := r.client()
			if err != nil {
				return err
			}
			ts, err := cl.Triggers(cmd.Context(), args[0], kind)
			if err != nil {
				return r.fail(err)
			}
			if r.json {
				return r.printJSON(orEmpty(ts))
			}
			rows := make([][]string, len(ts))
			for i, t := range ts {
				rows[i] = []string{strconv.FormatInt(t.ID, 10), t.Kind, t.Script, strconv.FormatBool(t.Enabled), describeTrigger(t)}
			}
			return r.printTable([]string{"ID", "KIND", "SCRIPT", "ENABLED", "SOURCE"}, rows)
		},
	}
	list.Flags().StringVar(&kind, "kind", "", "only triggers of this kind")

	setEnabled := func(use, short string, enabled bool) *cobra.Command {
		return &cobra.Command{
			Use:   use + " APP ID",
			Short: short,
			Args:  exactArgs("APP", "ID"),
			RunE: func(cmd *cobra.Command, args []string) error {
				id, err := triggerID(args[1])
				if err != nil {
					return err
				}
				cl, err := r.client()
				if err != nil {
					return err
				}
				t, err := cl.SetTriggerEnabled(cmd.Context(), args[0], id, enabled)
				if err != nil {
					return r.fail(err)
				}
				if r.json {
					return r.printJSON(t)
				}
				return r.printf("%sd %s trigger %d\n", use, t.Kind, t.ID)
			},
		}
	}

	rm := &cobra.Command{
		Use:     "rm APP ID",
		Aliases: []string{"delete"},
		Short:   "Remove a trigger and its pending deliveries",
		Args:    exactArgs("APP", "ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := triggerID(args[1])
			if err != nil {
				return err
			}
			cl, err := r.client()
			if err != nil {
				return err
			}
			if err := cl.DeleteTrigger(cmd.Context(), args[0], id); err != nil {
				return r.fail(err)
			}
			if r.json {
				return r.printJSON(map[string]any{"deleted": id})
			}
			return r.printf("removed trigger %d\n", id)
		},
	}
	cmd.AddCommand(add, list, setEnabled("enable", "Enable a trigger", true), setEnabled("disable", "Disable a trigger", false), rm)
	return cmd
}

// trigger builds the request for kind, refusing the options of other kinds.
func (f *triggerFlags) trigger(fs *pflag.FlagSet, kind string) (client.NewTrigger, error) {
	own, ok := kindFlags[kind]
	if !ok {
		return client.NewTrigger{}, fmt.Errorf("unknown trigger kind %q: want http, cron, pubsub, queue, kv or deadletter", kind)
	}
	if f.script == "" {
		return client.NewTrigger{}, fmt.Errorf("--script is required")
	}
	for k, names := range kindFlags {
		if k == kind {
			continue
		}
		for _, n := range names {
			if fs.Changed(n) && !slices.Contains(own, n) {
				return client.NewTrigger{}, fmt.Errorf("--%s is for %s triggers, not %s", n, k, kind)
			}
		}
	}
	t := client.NewTrigger{Script: f.script}
	if f.disabled {
		off := false
		t.Enabled = &off
	}
	if fs.Changed("max-attempts") {
		t.MaxAttempts = &f.maxAttempts
	}
	need := func(flag, v string) error {
		if v == "" {
			return fmt.Errorf("a %s trigger needs --%s", kind, flag)
		}
		return nil
	}
	var err error
	switch kind {
	case client.KindHTTP:
		err = need("path", f.path)
		t.HTTP = &client.HTTPTrigger{Method: strings.ToUpper(f.method), Path: f.path}
	case client.KindCron:
		err = need("schedule", f.schedule)
		t.Cron = &client.CronTrigger{Schedule: f.schedule, TimeZone: f.tz}
	case client.KindPubsub:
		err = need("pattern", f.pattern)
		t.Pubsub = &client.PubsubTrigger{Pattern: f.pattern}
	case client.KindQueue:
		err = need("queue", f.queue)
		t.Queue = &client.QueueTrigger{Queue: f.queue}
	case client.KindKV:
		err = need("key-pattern", f.keyPattern)
		t.KV = &client.KVTrigger{KeyPattern: f.keyPattern, Ops: f.ops}
	case client.KindDeadletter:
		t.Deadletter = &client.DeadletterTrigger{}
		if f.sourceKind != "" {
			t.Deadletter.SourceKind = &f.sourceKind
		}
	}
	return t, err
}

func triggerID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, usageError(fmt.Errorf("trigger ID %q: want a number (see picloud triggers list)", s))
	}
	return id, nil
}

// describeTrigger says what fires a trigger, in one short line.
func describeTrigger(t client.Trigger) string {
	switch {
	case t.HTTP != nil:
		if t.HTTP.URL != "" {
			return t.HTTP.Method + " " + t.HTTP.URL
		}
		return t.HTTP.Method + " " + t.HTTP.Path
	case t.Cron != nil:
		tz := t.Cron.TimeZone
		if tz == "" {
			tz = "UTC"
		}
		return fmt.Sprintf("%q %s", t.Cron.Schedule, tz)
	case t.Pubsub != nil:
		return "topic " + t.Pubsub.Pattern
	case t.Queue != nil:
		return "queue " + t.Queue.Queue
	case t.KV != nil:
		ops := strings.Join(t.KV.Ops, ",")
		if ops == "" {
			ops = "set,delete"
		}
		return "key " + t.KV.KeyPattern + " on " + ops
	case t.Deadletter != nil:
		if t.Deadletter.SourceKind != nil {
			return "dead " + *t.Deadletter.SourceKind + " deliveries"
		}
		return "dead deliveries"
	}
	return ""
}
