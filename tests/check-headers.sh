#!/usr/bin/env bash
# Every public header of libtrustlab compiles on its own (STYLE.md): for
# each lib/<module>/*.h that is not *-private.h, a translation unit that
# includes only that header must build with the project's warnings.
# Usage: check-headers.sh SOURCE_ROOT BUILD_ROOT COMPILER...
set -uo pipefail
src=$1 build=$2
shift 2
failed=0 count=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$src" || exit 1
read -r -a jansson_cflags <<< "$(pkg-config --cflags jansson)"
n=0
for h in lib/*/*.h; do
  case "$h" in *-private.h) continue ;; esac
  n=$((n + 1))
done
echo "1..$n"
for h in lib/*/*.h; do
  case "$h" in *-private.h) continue ;; esac
  count=$((count + 1))
  printf '#include "%s"\n' "${h#lib/}" > "$tmp/t.c"
  if "$@" -std=c17 -D_GNU_SOURCE -Wall -Wextra -Wpedantic -Werror -Wstrict-prototypes \
       -I"$src/lib" -I"$build" "${jansson_cflags[@]}" -fsyntax-only "$tmp/t.c" 2> "$tmp/err"; then
    echo "ok $count - $h"
  else
    echo "not ok $count - $h"
    sed 's/^/# /' "$tmp/err"
    failed=1
  fi
done
exit "$failed"
