package pgcluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
)

// defaultBinGlob is where Debian and Ubuntu install the server binaries of
// each major version; they are not on PATH there.
const defaultBinGlob = "/usr/lib/postgresql/*/bin"

// ErrNoServer means no PostgreSQL server binaries were found.
var ErrNoServer = errors.New("no PostgreSQL server binaries (initdb, pg_ctl)")

// findBinDir picks the directory of initdb and pg_ctl: binDir when set, else
// initdb's directory on PATH, else under glob the major version that made the
// existing cluster (want, may be empty), else the newest major version.
func findBinDir(binDir, want, glob string) (string, error) {
	if binDir != "" {
		if !hasServer(binDir) {
			return "", fmt.Errorf("pgcluster: Config.BinDir %s: %w there", binDir, ErrNoServer)
		}
		return binDir, nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		// Follow links (/usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb)
		// to the directory that holds the whole installation.
		if real, err := filepath.EvalSymlinks(p); err == nil && hasServer(filepath.Dir(real)) {
			return filepath.Dir(real), nil
		}
		if hasServer(filepath.Dir(p)) {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob(glob)
	type candidate struct {
		dir   string
		major float64
	}
	var found []candidate
	for _, d := range dirs {
		if !hasServer(d) {
			continue
		}
		major, err := strconv.ParseFloat(filepath.Base(filepath.Dir(d)), 64)
		if err != nil {
			continue
		}
		if want != "" && filepath.Base(filepath.Dir(d)) == want {
			return d, nil
		}
		found = append(found, candidate{d, major})
	}
	if len(found) == 0 {
		return "", fmt.Errorf("pgcluster: %w on PATH or under %s: install the Debian package \"postgresql\" (apt-get install postgresql)", ErrNoServer, glob)
	}
	sort.Slice(found, func(i, j int) bool { return found[i].major > found[j].major })
	return found[0].dir, nil
}

func hasServer(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// FindBinDir returns the directory of the server binaries Start would use
// for a new cluster with Config.BinDir set to binDir, or an error wrapping
// ErrNoServer that says what to install.
func FindBinDir(binDir string) (string, error) {
	return findBinDir(binDir, "", defaultBinGlob)
}
