# Shared by the test-server scripts (smollm2-server.sh, embeddings-server.sh): a free
# loopback port and stopping a server recorded in a PORTFILE ("PORT PID"). Sourced, not
# run; the sourcing script defines `log`, `die` and HOST_PYTHON.

free_port() {
    "$HOST_PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# SIGTERM, then SIGKILL after 5 s; the PORTFILE goes either way.
stop_server() {
    local portfile="$1" port pid i
    [ -f "$portfile" ] || die "portfile not found: $portfile"
    read -r port pid <"$portfile" || true
    [[ "${pid:-}" =~ ^[0-9]+$ ]] || die "no pid in $portfile"
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for i in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "server pid $pid did not exit on SIGTERM; sending SIGKILL"
            kill -9 "$pid" 2>/dev/null || true
        fi
        log "stopped server on port $port (pid $pid)"
    else
        log "server pid $pid (port $port) was not running"
    fi
    rm -f "$portfile"
}
