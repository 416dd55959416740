#!/bin/sh
# Parses the report goldens strictly (tests/unit/check-reports.py); skips
# when python3 is not installed.
if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is not installed"
	exit 0
fi
exec python3 "$(dirname "$0")/check-reports.py" "$@"
