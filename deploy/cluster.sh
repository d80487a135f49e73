#!/usr/bin/env bash
# A local PiCloud cluster for trying things: one manager and N nodes (default
# 3) on loopback, sharing one PostgreSQL that the manager runs from its data
# directory. Ctrl-C stops everything: the nodes first, then the manager and
# its database.
#
#   deploy/cluster.sh [nodes]          (make cluster NODES=3)
#
# Manager: admin API and dashboard on http://127.0.0.1:8080.
# Node i:  HTTP triggers on http://127.0.0.i:8081, probes and metrics on
#          http://127.0.0.i:8090. With Caddy: caddy run --config deploy/Caddyfile
#          puts the nodes behind http://localhost:8000.
# Data and logs live in $PICLOUD_CLUSTER_DIR (default .picloud-cluster).
set -euo pipefail
cd "$(dirname "$0")/.."

nodes=${1:-3}
dir=${PICLOUD_CLUSTER_DIR:-.picloud-cluster}
bin=${PICLOUD_BIN:-bin/picloud}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
[ -x "$bin" ] || { echo "cluster.sh: $bin is missing: run make build" >&2; exit 1; }
# The embedded database runs as the postgres user when we are root: it must
# reach the directory.
[ "$(id -u)" -ne 0 ] || chmod 755 "$dir"

pids=()
stopping=
stop() {
  trap - INT TERM EXIT
  stopping=1
  echo
  echo "stopping the nodes, then the manager and its database"
  for pid in "${pids[@]:1}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]:1}"; do wait "$pid" 2>/dev/null || true; done
  kill -TERM "${pids[0]}" 2>/dev/null || true
  wait "${pids[0]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

wait_ready() { # url log
  for _ in $(seq 1 600); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "cluster.sh: $1 never became ready; see $2" >&2
  exit 1
}

# Each process runs in its own session (setsid): Ctrl-C reaches the script
# only, which stops them in order.
echo "starting the manager (log: $dir/manager.log)"
setsid "$bin" serve --role manager --data "$dir/manager" --addr 127.0.0.1:8080 \
  --cache-dir "$dir/cache" >"$dir/manager.log" 2>&1 &
pids+=($!)
wait_ready http://127.0.0.1:8080/readyz "$dir/manager.log"

db="postgres:///picloud?host=$dir/manager/pg&port=5432&user=postgres&sslmode=disable"
for i in $(seq 1 "$nodes"); do
  echo "starting node $i on 127.0.0.$i (log: $dir/node$i.log)"
  DATABASE_URL=$db setsid "$bin" serve --role node --data "$dir/node$i" --cache-dir "$dir/cache" \
    --addr "127.0.0.$i:8090" --public-addr "127.0.0.$i:8081" --drain-delay 2s >"$dir/node$i.log" 2>&1 &
  pids+=($!)
done
for i in $(seq 1 "$nodes"); do wait_ready "http://127.0.0.$i:8090/readyz" "$dir/node$i.log"; done

grep -h -A2 "shown this once" "$dir/manager.log" || true
cat <<MSG
The cluster runs:
  admin API and dashboard  http://127.0.0.1:8080  (token: see above, or in $dir/manager.log on the first start)
  HTTP triggers            $(for i in $(seq 1 "$nodes"); do printf 'http://127.0.0.%s:8081 ' "$i"; done)
  metrics                  http://127.0.0.1:8080/metrics and http://127.0.0.i:8090/metrics
  DATABASE_URL             $db
Ctrl-C stops it.
MSG
# Wait until a process exits or we are interrupted.
wait -n "${pids[@]}" || true
[ -n "$stopping" ] || echo "a process of the cluster exited; see the logs in $dir"
