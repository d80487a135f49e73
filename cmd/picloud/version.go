package main

import (
	"fmt"
	goruntime "runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at link time: go build -ldflags "-X main.version=v1.2.3".
var version = "dev"

func newVersionCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			commit := ""
			if info, ok := debug.ReadBuildInfo(); ok {
				for _, s := range info.Settings {
					if s.Key == "vcs.revision" {
						commit = " commit " + s.Value
					}
				}
			}
			_, err := fmt.Fprintf(c.stdout, "picloud %s (%s %s/%s%s)\n", version, goruntime.Version(), goruntime.GOOS, goruntime.GOARCH, commit)
			return err
		},
	}
}
