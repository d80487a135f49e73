package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/picloud/picloud/client"
)

func newInvokeCmd(c *cli) *cobra.Command {
	var data string
	var version int32
	cmd := &cobra.Command{
		Use:   "invoke APP SCRIPT",
		Short: "Run a script once on the server and print its result",
		Long: `Run the script's active version (or --version) once in the server's
sandbox, under the app's limits, with the event --data as ctx.event
(default {"kind": "manual"}). The run is recorded like any other.

It prints the script's log lines, then its result as JSON; a summary
(outcome, duration, fuel, invocation id) goes to standard error. A run that
does not end ok exits with status 1 and its error. With --json it prints the
whole result as one JSON document.`,
		Args: exactArgs("APP", "SCRIPT"),
	}
	usageFlagErrors(cmd)
	r := newRemote(c, cmd)
	cmd.Flags().StringVar(&data, "data", "", "the event as JSON, or @FILE to read it from FILE (@- for standard input)")
	cmd.Flags().Int32Var(&version, "version", 0, "run this version instead of the active one")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		var req client.InvokeRequest
		if data != "" {
			event, err := readData(cmd.InOrStdin(), data)
			if err != nil {
				return usageError(err)
			}
			req.Event = event
		}
		if version < 0 {
			return usageError(fmt.Errorf("--version %d: want a version number from 1", version))
		}
		if version > 0 {
			req.Version = &version
		}
		cl, err := r.client()
		if err != nil {
			return err
		}
		res, err := cl.Invoke(cmd.Context(), args[0], args[1], req)
		if err != nil {
			return r.fail(err)
		}
		failed := res.Outcome != "ok"
		var runErr error
		if failed {
			msg := res.Outcome
			if res.Error != nil {
				msg = firstLine(res.Error.Message)
				if res.Error.Line > 0 {
					msg = fmt.Sprintf("%d:%d: %s", res.Error.Line, res.Error.Column, msg)
				}
			}
			runErr = fmt.Errorf("%s: %s (invocation %s)", res.Outcome, msg, res.InvocationID)
		}
		if r.json {
			if err := r.printJSON(res); err != nil {
				return err
			}
			if failed {
				return &exitError{code: 1, err: runErr, quiet: true}
			}
			return nil
		}
		for _, l := range res.Logs {
			if err := r.printf("[%s] %s\n", l.Level, l.Message); err != nil {
				return err
			}
		}
		if res.LogsDropped > 0 {
			if err := r.printf("[warn] %d more log lines dropped\n", res.LogsDropped); err != nil {
				return err
			}
		}
		if !failed {
			var out bytes.Buffer
			if err := json.Indent(&out, res.Result, "", "  "); err != nil {
				out.Reset()
				out.Write(res.Result)
			}
			if err := r.printf("%s\n", out.Bytes()); err != nil {
				return err
			}
		}
		fmt.Fprintf(c.stderr, "%s version %d: %s in %s, fuel %d, peak memory %d bytes, invocation %s\n",
			res.Script, res.Version, res.Outcome, time.Duration(res.DurationUS)*time.Microsecond, res.FuelUsed, res.PeakMemoryBytes, res.InvocationID)
		return runErr
	}
	return cmd
}

// readData reads --data: JSON given inline, or @FILE.
func readData(stdin io.Reader, data string) (json.RawMessage, error) {
	b := []byte(data)
	if strings.HasPrefix(data, "@") {
		var err error
		if data == "@-" {
			b, err = io.ReadAll(stdin)
		} else {
			b, err = os.ReadFile(data[1:])
		}
		if err != nil {
			return nil, fmt.Errorf("--data: %w", err)
		}
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("--data: not valid JSON")
	}
	return json.RawMessage(b), nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
