#!/usr/bin/env bash
# The HTML report opens in a real (headless) browser and shows the access
# grid: Debian's Chromium parses the page trustlab run wrote, and the DOM
# it builds must hold the grid with one allowed cell and one failed denied
# cell, and a screenshot of it must come out. Skips (77) without chromium.
# Usage: test-report-html.sh TRUSTLAB SOURCE_ROOT
set -uo pipefail
trustlab=$1 src=$2
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "1..0 # SKIP chromium is not installed (apt-get install chromium)"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "1..4"
failed=0

"$trustlab" run --format html --output "$work/report.html" "$src/tests/data/run/failing.yaml"
rc=$?
if [ "$rc" -eq 1 ] && [ -s "$work/report.html" ]; then
  echo "ok 1 - trustlab run wrote the HTML report (exit 1: one case fails)"
else
  echo "not ok 1 - trustlab run exit $rc"; failed=1
fi

flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync
  "--user-data-dir=$work/profile")
timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$work/report.html" > "$work/dom.html" 2> "$work/browser.log"
if grep -q '<table class="grid">' "$work/dom.html"; then
  echo "ok 2 - the browser's DOM has the access grid"
else
  echo "not ok 2 - no grid in the browser's DOM"; failed=1; sed 's/^/# /' "$work/browser.log" | tail -n 5
fi
if grep -q 'class="cell allow"' "$work/dom.html" && grep -q 'class="cell deny failed"' "$work/dom.html"; then
  echo "ok 3 - the grid shows an allowed cell and a failed denied cell"
else
  echo "not ok 3 - grid cells missing"; failed=1
fi
timeout 120 "$browser" "${flags[@]}" --window-size=1200,800 "--screenshot=$work/shot.png" \
  "file://$work/report.html" > /dev/null 2>> "$work/browser.log"
if [ "$(head -c 8 "$work/shot.png" 2> /dev/null | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] &&
  [ "$(stat -c %s "$work/shot.png")" -gt 10000 ]; then
  echo "ok 4 - the page renders (a $(stat -c %s "$work/shot.png")-byte screenshot)"
  if [ -n "${TRUSTLAB_KEEP_SCREENSHOT:-}" ]; then
    cp "$work/shot.png" "$TRUSTLAB_KEEP_SCREENSHOT"
  fi
else
  echo "not ok 4 - no screenshot"; failed=1
fi
exit "$failed"
