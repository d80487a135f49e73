package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

func newDeployCmd(c *cli) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "deploy APP FILE",
		Short: "Upload a script as its next version and make it active",
		Long: `Upload the Rhai script in FILE (- for standard input) to the app as the
next version of the script named by --name (default: the file's name without
its extension), and make it the active version. The first upload creates the
script. A script without a trigger answers any method at /APP/SCRIPT on the
public listener; deploy prints that endpoint, or the URLs of the script's
HTTP triggers.

A script that does not parse is refused with its line and column, and
nothing changes.`,
		Args: exactArgs("APP", "FILE"),
	}
	usageFlagErrors(cmd)
	r := newRemote(c, cmd)
	cmd.Flags().StringVar(&name, "name", "", "the script's name; default: FILE's base name without its extension")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		app, file := args[0], args[1]
		var src []byte
		var err error
		if file == "-" {
			if name == "" {
				return usageError(fmt.Errorf("deploying from standard input needs --name"))
			}
			src, err = io.ReadAll(cmd.InOrStdin())
		} else {
			src, err = os.ReadFile(file)
		}
		if err != nil {
			return usageError(fmt.Errorf("read the script: %w", err))
		}
		if name == "" {
			name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
		}
		cl, err := r.client()
		if err != nil {
			return err
		}
		up, err := cl.Deploy(cmd.Context(), app, name, string(src))
		if err != nil {
			return r.fail(err)
		}
		var urls []string
		if up.Endpoint != nil {
			urls = []string{"ANY " + *up.Endpoint}
		} else {
			// The script has triggers: show where its HTTP ones answer.
			ts, err := cl.Triggers(cmd.Context(), app, "http")
			if err != nil {
				return r.fail(err)
			}
			for _, t := range ts {
				if t.Script == name && t.HTTP != nil && t.Enabled {
					urls = append(urls, t.HTTP.Method+" "+t.HTTP.URL)
				}
			}
		}
		if r.json {
			return r.printJSON(up)
		}
		was := ""
		if up.PreviousVersion != nil {
			was = fmt.Sprintf(" (was version %d)", *up.PreviousVersion)
		}
		if err := r.printf("deployed %s/%s version %d%s\n", up.App, up.Script, up.Version, was); err != nil {
			return err
		}
		for _, u := range urls {
			if err := r.printf("endpoint: %s\n", u); err != nil {
				return err
			}
		}
		return nil
	}
	return cmd
}
