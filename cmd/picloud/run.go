package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// run is the whole program: main adds only signals and the exit code, so
// tests call run in-process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	root := newRootCmd(&cli{stdout: stdout, stderr: stderr, lookupEnv: os.LookupEnv})
	root.SetArgs(args)
	return oneLine(root.ExecuteContext(ctx))
}

// cli holds what every command shares: the output streams, the
// environment and the root's flags.
type cli struct {
	stdout, stderr io.Writer
	lookupEnv      func(string) (string, bool)

	data        string
	databaseURL string
	logLevel    string
	logFormat   string

	logger *slog.Logger
}

// envAnnotation marks a flag with the environment variable that sets it
// when the flag is not given.
const envAnnotation = "env"

// newRootCmd builds the command tree. A new command is one file with a
// newXxxCmd(*cli) function added here.
func newRootCmd(c *cli) *cobra.Command {
	root := &cobra.Command{
		Use:   "picloud",
		Short: "PiCloud: upload Rhai scripts, get HTTP endpoints, cron, pub/sub, queues and KV",
		Long: `PiCloud is a self-hosted, event-driven function host: one binary, one
PostgreSQL database. Every flag can also be set through the environment
variable shown next to it; a flag given on the command line wins.`,
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := c.applyEnv(cmd.Flags()); err != nil {
				return err
			}
			return c.setupLogger()
		},
	}
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return fmt.Errorf("%w (see %s --help)", err, cmd.CommandPath())
	})

	pf := root.PersistentFlags()
	pf.StringVar(&c.data, "data", ".picloud", "PiCloud's data directory; the embedded database lives in its pg/ folder")
	pf.StringVar(&c.databaseURL, "database-url", "", "PostgreSQL connection URL; empty: run the embedded database")
	pf.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	pf.StringVar(&c.logFormat, "log-format", "text", "log format: text or json")
	withEnv(pf, "database-url", "DATABASE_URL")

	root.AddCommand(newServeCmd(c), newMigrateCmd(c), newDoctorCmd(c), newVersionCmd(c), newEvalCmd(c))
	// The client: commands that call a server's admin API.
	root.AddCommand(newAppsCmd(c), newDeployCmd(c), newInvokeCmd(c), newLogsCmd(c),
		newTokenCmd(c), newScriptsCmd(c), newTriggersCmd(c),
		newPublishCmd(c), newQueueCmd(c), newKVCmd(c), newDeliveriesCmd(c), // events.go
		newEnvCmd(c), newSecretCmd(c)) // secrets.go
	addEnvTwins(root)
	return root
}

// withEnv names a flag's environment variable when it is not the
// PICLOUD_<FLAG> that addEnvTwins gives every other flag.
func withEnv(fs *pflag.FlagSet, flag, env string) {
	if err := fs.SetAnnotation(flag, envAnnotation, []string{env}); err != nil {
		panic(err) // a typo in a flag name: caught by every test that builds the tree
	}
}

// addEnvTwins gives every flag of the tree its environment variable and
// shows it in the help.
func addEnvTwins(cmd *cobra.Command) {
	for _, fs := range []*pflag.FlagSet{cmd.PersistentFlags(), cmd.LocalNonPersistentFlags()} {
		fs.VisitAll(func(f *pflag.Flag) {
			if f.Name == "help" {
				return
			}
			if _, ok := f.Annotations[envAnnotation]; !ok {
				withEnv(fs, f.Name, "PICLOUD_"+strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_")))
			}
			f.Usage += " (env " + f.Annotations[envAnnotation][0] + ")"
		})
	}
	for _, sub := range cmd.Commands() {
		addEnvTwins(sub)
	}
}

// applyEnv sets every flag not given on the command line from its
// environment variable, when that is set and not empty.
func (c *cli) applyEnv(fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		env, ok := f.Annotations[envAnnotation]
		if !ok || f.Changed || err != nil {
			return
		}
		if v, ok := c.lookupEnv(env[0]); ok && v != "" {
			if serr := f.Value.Set(v); serr != nil {
				err = fmt.Errorf("%s=%q: %w", env[0], v, serr)
			}
		}
	})
	return err
}

func (c *cli) setupLogger() error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return fmt.Errorf("--log-level %q: want debug, info, warn or error", c.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.logFormat {
	case "text":
		c.logger = slog.New(slog.NewTextHandler(c.stderr, opts))
	case "json":
		c.logger = slog.New(slog.NewJSONHandler(c.stderr, opts))
	default:
		return fmt.Errorf("--log-format %q: want text or json", c.logFormat)
	}
	return nil
}
