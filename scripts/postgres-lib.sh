# shellcheck shell=bash
# Throwaway PostgreSQL clusters for tests and benchmarks. Source this file, then:
#
#   pg_start            # starts a cluster, exports LEASH_TEST_POSTGRES_URL (and PG_URL)
#   trap pg_stop EXIT   # stops it and removes its directory
#
# pg_start returns 2 (after printing one line) when PostgreSQL is not installed.
# The server runs as an unprivileged user (`nobody` when started as root: initdb refuses
# root), in a fresh temporary directory, on a free loopback port, with trust authentication.
# Settings: PG_EXTRA_OPTS adds server options (e.g. "-c fsync=off" for speed in tests;
# keep the default for benchmarks), PG_RUN_AS overrides the user used when root.

pg__bindir() {
    local d
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return 0
    fi
    for d in /usr/lib/postgresql/*/bin /usr/local/pgsql/bin; do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"
            return 0
        fi
    done
    return 1
}

pg__free_port() {
    local p
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' && return 0
    fi
    for p in $(seq $((20000 + RANDOM % 20000)) 60000); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# Runs a command as the cluster's user.
pg__as() {
    if [ -n "${PG__USER:-}" ]; then
        runuser -u "$PG__USER" -- "$@"
    else
        "$@"
    fi
}

pg_start() {
    local bindir port
    if ! bindir=$(pg__bindir); then
        echo "postgres: initdb not found — PostgreSQL tests SKIPPED" >&2
        return 2
    fi
    PG__USER=""
    if [ "$(id -u)" = 0 ]; then
        PG__USER=${PG_RUN_AS:-nobody}
        if ! id -u "$PG__USER" >/dev/null 2>&1; then
            useradd --system --no-create-home --shell /usr/sbin/nologin "$PG__USER" || return 1
        fi
    fi
    PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/leash-pg.XXXXXX") || return 1
    chmod 755 "$PG_DIR"
    [ -n "$PG__USER" ] && chown "$PG__USER" "$PG_DIR"
    port=$(pg__free_port) || { echo "postgres: no free port found" >&2; return 1; }
    if ! pg__as "$bindir/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --no-sync \
        >"$PG_DIR/initdb.log" 2>&1; then
        echo "postgres: initdb failed:" >&2
        cat "$PG_DIR/initdb.log" >&2
        return 1
    fi
    # shellcheck disable=SC2086
    if ! pg__as "$bindir/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
        -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=200 ${PG_EXTRA_OPTS:-}" \
        start >/dev/null; then
        echo "postgres: the server did not start:" >&2
        cat "$PG_DIR/server.log" >&2
        return 1
    fi
    PG_BINDIR=$bindir
    PG_PORT=$port
    PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
    LEASH_TEST_POSTGRES_URL=$PG_URL
    export PG_DIR PG_BINDIR PG_PORT PG_URL LEASH_TEST_POSTGRES_URL
    echo "postgres: PostgreSQL $("$bindir/pg_ctl" --version | awk '{print $3}') running at $PG_URL (dir $PG_DIR)" >&2
}

pg_stop() {
    if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ]; then
        if [ -f "$PG_DIR/data/postmaster.pid" ]; then
            pg__as "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
        fi
        # A server process may still be exiting: retry once.
        rm -rf "$PG_DIR" 2>/dev/null || { sleep 1; rm -rf "$PG_DIR"; }
    fi
    unset PG_DIR PG_PORT PG_URL LEASH_TEST_POSTGRES_URL
}
