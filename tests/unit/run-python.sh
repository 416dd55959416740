#!/bin/sh
# Runs a Python test script (TAP on stdout) from this directory; skips when
# python3 or a module the script names in TL_PY_MODULES is not installed.
script="$1"
shift
if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is not installed"
	exit 0
fi
for m in $TL_PY_MODULES; do
	if ! python3 -c "import $m" >/dev/null 2>&1; then
		echo "1..0 # SKIP python3 module '$m' is not installed"
		exit 0
	fi
done
exec python3 "$(dirname "$0")/$script" "$@"
