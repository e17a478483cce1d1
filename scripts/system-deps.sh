#!/usr/bin/env bash
# Debian packages the test suite needs (`make test` runs this), installed only when missing:
#   chromium        the browser the UI tests drive (never `playwright install`)
#   fonts-noto-cjk  Japanese glyphs in the browser
#   postgresql      the score store's second backend: the tests start a throw-away cluster
#                   with its server binaries (initdb, pg_ctl), never the system's own
#   libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
#                   what WeasyPrint (committee.pdf) needs on Debian ≥ 11
#   poppler-utils   pdfinfo, pdffonts, pdftotext: the tests read committee.pdf back
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
((${#need[@]})) || exit 0
if ! command -v apt-get >/dev/null; then
  echo "これらのパッケージを入れてください / please install: ${need[*]}" >&2
  exit 0
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
