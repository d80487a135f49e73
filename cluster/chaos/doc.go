// Package chaos holds the cluster's resilience tests: a manager and three
// nodes as separate `picloud serve` processes (cluster/clustertest) under
// steady traffic while a node is killed and restarted and PostgreSQL
// crashes and recovers; a node stopped with SIGTERM under load; and, not
// in CI, a soak run and the scaling bench (see the Makefile's soak and
// bench-cluster targets). It has tests only.
package chaos
