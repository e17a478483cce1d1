#!/usr/bin/env bash
# The Debian and npm packages the workbench's tests and its server need.
#   bash scripts/system-deps.sh           install what is missing (`make deps`; as root or with sudo)
#   bash scripts/system-deps.sh --check   install nothing; list what is missing and exit 1 (`make test`)
#
#   chromium        the browser the UI tests drive (never `playwright install`)
#   fonts-noto-cjk  Japanese glyphs in the browser
#   postgresql      the score store's second backend: the tests and a trial hub start a
#                   throw-away cluster with its server binaries (initdb, pg_ctl), never the system's own
#   libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
#                   what WeasyPrint (committee.pdf) needs on Debian ≥ 11
#   poppler-utils   pdfinfo, pdffonts, pdftotext: the tests read committee.pdf back
#   acl, nodejs, npm + configurable-http-proxy (npm, pinned)
#                   the multi-reviewer server (make hub, tests/deploy): JupyterHub's proxy;
#                   setfacl lets the test accounts reach a Python kept under /root
#   axe-core (npm, pinned)
#                   the accessibility checker the browser tests inject into each page
#                   (tests/axecheck.py; JIS X 8341-3 = WCAG 2.0 A/AA); read from disk, no CDN
# `--postgres` is accepted for older callers; PostgreSQL is always installed.
set -euo pipefail
CHECK=0
for arg in "$@"; do
  case "$arg" in
    --check) CHECK=1 ;;
    --postgres) ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done
CHP_VERSION=5.3.0
AXE_VERSION=4.14.1
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
for pkg in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
command -v pdftotext >/dev/null || need+=(poppler-utils)
command -v setfacl >/dev/null || need+=(acl)
command -v npm >/dev/null || need+=(nodejs npm)
chp_ok() { [ "$(configurable-http-proxy --version 2>/dev/null)" = "$CHP_VERSION" ]; }
axe_ok() {
  command -v npm >/dev/null &&
    grep -q "\"version\": \"$AXE_VERSION\"" "$(npm root --global 2>/dev/null)/axe-core/package.json" 2>/dev/null
}

if ((CHECK)); then
  missing=("${need[@]}")
  chp_ok || missing+=("configurable-http-proxy@$CHP_VERSION (npm)")
  axe_ok || missing+=("axe-core@$AXE_VERSION (npm)")
  if ((${#missing[@]})); then
    echo "必要なパッケージがありません: ${missing[*]}" >&2
    echo "  → root で \`make deps\` を実行してください（Debian のパッケージと npm の configurable-http-proxy と axe-core を入れます）。" >&2
    echo "Missing system packages: ${missing[*]}" >&2
    echo "  → run \`make deps\` as root (installs the Debian packages and npm's configurable-http-proxy and axe-core)." >&2
    exit 1
  fi
  exit 0
fi

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
if ((${#need[@]})); then
  if ! command -v apt-get >/dev/null; then
    echo "これらのパッケージを入れてください / please install: ${need[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
chp_ok || $SUDO npm install --global --no-audit --no-fund --loglevel=error "configurable-http-proxy@$CHP_VERSION"
axe_ok || $SUDO npm install --global --no-audit --no-fund --loglevel=error "axe-core@$AXE_VERSION"
