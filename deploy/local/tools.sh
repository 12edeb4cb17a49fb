#!/usr/bin/env bash
# Command-line tools Ward's tests and deployment need, pinned and installed
# once under $WARD_HOME/tools/<tool>-<version>/.
#
#   deploy/local/tools.sh opa          install OPA when absent and print the binary's path
#   deploy/local/tools.sh helm         the same for Helm (built from the Go module proxy)
#   deploy/local/tools.sh promtool     Prometheus's promtool (Debian's prometheus package)
#   deploy/local/tools.sh prometheus   the Prometheus server (the same package)
#   deploy/local/tools.sh schemathesis Schemathesis (PyPI) in its own Python venv
#   deploy/local/tools.sh list         print each tool with its pinned version
#
# WARD_<TOOL> (e.g. WARD_OPA) names an existing binary to use instead; it is
# only checked, nothing is installed. Everything but the path goes to stderr,
# so `OPA="$(deploy/local/tools.sh opa)"` works.
set -euo pipefail

WARD_HOME="${WARD_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/ward}"
TOOLS="$WARD_HOME/tools"
LOGS="$WARD_HOME/logs"

# Pinned versions: bump here, the next run installs beside the old one.
OPA_VERSION="v1.22.2"
HELM_VERSION="v3.22.0"
SCHEMATHESIS_VERSION="4.32.5"

say() { echo "[tools] $*" >&2; }
die() { echo "[tools] error: $*" >&2; exit 1; }

usage() { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

# Builds a Go main package from the module proxy into $2. CGO off gives a
# static binary that does not depend on the machine's libc.
go_install() { # package@version, directory, log name
  local package="$1" dir="$2" log="$LOGS/$3.log"
  command -v go >/dev/null 2>&1 || die "go is not installed: it is needed to build ${package} (install Go 1.21 or newer from https://go.dev/dl/, which fetches the Go release the tool needs, or set WARD_${3^^} to an existing binary)"
  mkdir -p "$LOGS" "$dir.partial"
  say "building $package with $(go version | awk '{print $3}') (takes a few minutes the first time; log $log)"
  if ! GOBIN="$dir.partial" CGO_ENABLED=0 go install "$package" >"$log" 2>&1; then
    tail -20 "$log" >&2
    rm -rf "$dir.partial"
    die "go install $package failed"
  fi
  # Renamed into place only once complete, so an interrupted build is never mistaken for an install.
  rm -rf "$dir"
  mv "$dir.partial" "$dir"
}

# Prints the path of a tool: $WARD_<TOOL> if set, else the pinned install (made when absent).
ensure() { # tool, version, installer
  local tool="$1" version="$2" installer="$3"
  local override_var="WARD_${tool^^}"
  local override="${!override_var:-}"
  if [[ -n "$override" ]]; then
    [[ -x "$override" ]] || die "$override_var=$override is not an executable file"
    echo "$override"
    return
  fi
  local dir="$TOOLS/$tool-$version"
  if [[ ! -x "$dir/$tool" ]]; then
    "$installer" "$version" "$dir"
    [[ -x "$dir/$tool" ]] || die "installing $tool $version did not produce $dir/$tool"
    say "$tool $version installed in $dir"
  fi
  echo "$dir/$tool"
}

install_opa() { go_install "github.com/open-policy-agent/opa@$1" "$2" opa; }
install_helm() { go_install "helm.sh/helm/v3/cmd/helm@$1" "$2" helm; }

# Schemathesis from PyPI into a venv of its own (python3 with the venv module,
# 3.9 or newer), so nothing is installed into the system's Python.
install_schemathesis() { # version, directory
  local version="$1" dir="$2" log="$LOGS/schemathesis.log"
  command -v python3 >/dev/null 2>&1 || die "python3 is not installed: it is needed for Schemathesis (or set WARD_SCHEMATHESIS to an existing binary)"
  mkdir -p "$LOGS"
  say "installing schemathesis $version from PyPI into a venv (log $log)"
  # A venv records its own path in its scripts, so it is built where it lives;
  # the link that ensure() looks for is made last, so a broken install is redone.
  rm -rf "$dir"
  if ! { python3 -m venv "$dir" && "$dir/bin/pip" install --quiet "schemathesis==$version"; } >"$log" 2>&1; then
    tail -20 "$log" >&2
    rm -rf "$dir"
    die "installing schemathesis $version failed (python3 -m venv needs Debian's python3-venv)"
  fi
  ln -s bin/st "$dir/schemathesis"
}

# Debian's prometheus package holds both the server and promtool. Installed
# with apt when missing (root or passwordless sudo); its service is not started.
debian_prometheus() { # binary
  local binary="$1" override_var="WARD_${1^^}"
  local override="${!override_var:-}"
  if [[ -n "$override" ]]; then
    [[ -x "$override" ]] || die "$override_var=$override is not an executable file"
    echo "$override"
    return
  fi
  if ! command -v "$binary" >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 || die "$binary is missing and apt-get is not available: install Prometheus (it ships $binary) or set $override_var"
    local sudo=""
    if [[ "$(id -u)" != 0 ]]; then
      sudo -n true 2>/dev/null || die "$binary is missing: install Debian's prometheus package (needs root), or set $override_var"
      sudo="sudo -n"
    fi
    mkdir -p "$LOGS"
    say "installing Debian's prometheus package (for $binary; log $LOGS/apt-prometheus.log)"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$LOGS/apt-prometheus.log" 2>&1 || true
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >>"$LOGS/apt-prometheus.log" 2>&1 \
      || { tail -20 "$LOGS/apt-prometheus.log" >&2; die "apt-get install prometheus failed"; }
  fi
  command -v "$binary"
}

main() {
  local command="${1:-}"
  case "$command" in
    -h|--help|help|"") usage; [[ -n "$command" ]] ;;
    opa) ensure opa "$OPA_VERSION" install_opa ;;
    helm) ensure helm "$HELM_VERSION" install_helm ;;
    promtool|prometheus) debian_prometheus "$command" ;;
    schemathesis) ensure schemathesis "$SCHEMATHESIS_VERSION" install_schemathesis ;;
    list) printf 'opa %s\nhelm %s\npromtool (Debian prometheus)\nprometheus (Debian prometheus)\nschemathesis %s\n' "$OPA_VERSION" "$HELM_VERSION" "$SCHEMATHESIS_VERSION" ;;
    *) usage >&2; die "unknown tool '$command'" ;;
  esac
}

main "$@"
