#!/usr/bin/env bash
# Debian packages the test suite needs (`make test` runs this), installed only when missing:
#   chromium        the browser the UI tests drive (never `playwright install`)
#   fonts-noto-cjk  Japanese glyphs in the browser
#   postgresql      the score store's second backend: the tests start a throw-away cluster
#                   with its server binaries (initdb, pg_ctl), never the system's own
#   libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
#                   what WeasyPrint (committee.pdf) needs on Debian ≥ 11
#   poppler-utils   pdfinfo, pdffonts, pdftotext: the tests read committee.pdf back
#   acl, nodejs, npm + configurable-http-proxy (npm, pinned)
#                   the multi-reviewer server (make hub, tests/deploy): JupyterHub's proxy;
#                   setfacl lets the test accounts reach a Python kept under /root
# `--postgres` is accepted for older callers; PostgreSQL is always installed.
set -euo pipefail
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
CHP_VERSION=5.3.0
install_chp() {
  if [ "$(configurable-http-proxy --version 2>/dev/null)" != "$CHP_VERSION" ]; then
    $SUDO npm install --global --no-audit --no-fund --loglevel=error "configurable-http-proxy@$CHP_VERSION"
  fi
}
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
if ((${#need[@]} == 0)); then
  install_chp
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "これらのパッケージを入れてください / please install: ${need[*]}" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
install_chp
