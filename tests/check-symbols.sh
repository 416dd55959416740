#!/usr/bin/env bash
# libtrustlab exports only tl_-prefixed symbols (STYLE.md "Names", after
# libevdev's test-static-symbols-leak): a global without the prefix would
# collide in the programs and tests that link the static library.
# AddressSanitizer adds an __odr_asan.<name> twin for each exported global.
# Usage: check-symbols.sh path/to/libtrustlab.a
set -uo pipefail
lib=$1
echo "1..1"
leaks=$(nm --defined-only --extern-only "$lib" 2>/dev/null |
  awk 'NF == 3 && $2 ~ /[TDBRC]/ { print $3 }' | grep -v -e '^tl_' -e '^__odr_asan\.tl_' | sort -u)
if [ -n "$leaks" ]; then
  echo "not ok 1 - globals without the tl_ prefix in $(basename "$lib")"
  printf '%s\n' "$leaks" | sed 's/^/# /'
  exit 1
fi
echo "ok 1 - every global in $(basename "$lib") starts with tl_"
