#!/usr/bin/env bash
# (Re)builds the seed part of the fuzz corpora from the test corpora, so
# every target starts from inputs that reach deep: run it from the source
# tree after adding test cases, review, commit the new files.
#
#   tests/fuzz/make-seeds.sh [BUILD_DIR]     (default: build)
#
#   token/NNN-name      each tests/data/tokens case, built by
#                       test-jose-corpus (TL_JOSE_DUMP_DIR); only missing
#                       files are written (ES/PS signatures are randomised,
#                       so a rebuild would rewrite every one)
#   token/signed-NNN-name  HEADER "\n" PAYLOAD decoded from that token: the
#                       target signs it, so its claims reach every check
#   jwks/*              tests/fuzz/token-jwks.json, each of its keys alone,
#                       every "jwks" of a token case (kid lists resolved
#                       against token-jwks.json, jwks_set applied), the
#                       private JWK of tests/data/keys
#   query/*             every body: and query: of tests/data/sts/*/\*.case
#   sigv4/*             every tests/data/sts/sigv4 vector, as is and with
#                       "autosign: 1"; protocol bodies as signed POSTs;
#                       a presigned GET
#   rolesrc/*           every .json/.yaml of tests/data/rolesrc, the
#                       directory path flattened with _
# Files the fuzzers found (40-hex names) and regression inputs
# (crash-*, regress-*) are never touched. Needs jq and base64.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
corpus=tests/fuzz/corpus
mkdir -p "$corpus"/{token,jwks,query,sigv4}

# --- token ----------------------------------------------------------------
dump=$(mktemp -d)
trap 'rm -rf "$dump"' EXIT
TL_JOSE_DUMP_DIR=$dump "$build/tests/unit/test-jose-corpus" tests/data/tokens tests/data/keys \
  >/dev/null 2>&1 || { echo "make-seeds: $build/tests/unit/test-jose-corpus failed" >&2; exit 1; }
b64url_decode() { # stdin: one base64url part
  local s
  s=$(tr -- '-_' '+/')
  while [ $(( ${#s} % 4 )) -ne 0 ]; do s+='='; done
  printf '%s' "$s" | base64 -d 2>/dev/null || true
}
for f in "$dump"/*; do
  name=$(basename "$f")
  [ -e "$corpus/token/$name" ] || cp "$f" "$corpus/token/$name"
  tok=$(cat "$corpus/token/$name")
  IFS=. read -r h p _ <<<"$tok" || true
  [ -n "${h:-}" ] && [ -n "${p:-}" ] || continue
  { printf '%s' "$h" | b64url_decode; printf '\n'; printf '%s' "$p" | b64url_decode; } \
    >"$corpus/token/signed-$name"
done

# --- jwks -----------------------------------------------------------------
cp tests/fuzz/token-jwks.json "$corpus/jwks/token-jwks"
for kid in $(jq -r '.keys[].kid' tests/fuzz/token-jwks.json); do
  jq -c --arg k "$kid" '{keys: [.keys[] | select(.kid == $k)]}' tests/fuzz/token-jwks.json \
    >"$corpus/jwks/key-$kid"
done
for f in tests/data/tokens/*.json; do
  jq -e 'has("jwks")' "$f" >/dev/null || continue
  jq -c --slurpfile std tests/fuzz/token-jwks.json '
    if (.jwks | type) == "object" then .jwks
    else . as $c | {keys: [.jwks[] as $k | $std[0].keys[] | select(.kid == $k)
                          | . + ($c.jwks_set[$k] // {})]} end' "$f" \
    >"$corpus/jwks/case-$(basename "$f" .json)"
done
jq -c '{keys: [.]}' tests/data/keys/p256-private.jwk.json >"$corpus/jwks/private-p256"

# --- query and sigv4 --------------------------------------------------------
for f in tests/data/sts/protocol/*.case tests/data/sts/sigv4/*.case; do
  stem=$(basename "$f" .case)
  for key in body query; do
    v=$(sed -n "s/^$key: //p" "$f" | head -n 1)
    [ -n "$v" ] && printf '%s' "$v" >"$corpus/query/$key-$stem"
  done
done
for f in tests/data/sts/sigv4/*.case; do
  stem=$(basename "$f" .case)
  grep -v '^#' "$f" >"$corpus/sigv4/$stem"
  { grep -v '^#' "$f"; echo 'autosign: 1'; } >"$corpus/sigv4/autosign-$stem"
done
# protocol bodies as SDK-style signed POSTs (autosign makes the signature right)
for f in tests/data/sts/protocol/arwwi-minimal.case tests/data/sts/protocol/gci-ok.case \
         tests/data/sts/protocol/iam-create-oidc.case; do
  stem=$(basename "$f" .case)
  service=sts; case "$stem" in iam-*) service=iam ;; esac
  cat >"$corpus/sigv4/post-$stem" <<EOT
method: POST
path: /
header: Host: 127.0.0.1:4566
header: Content-Type: application/x-www-form-urlencoded; charset=utf-8
header: X-Amz-Date: 20261123T131040Z
header: Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/us-east-1/$service/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000
$(grep '^body: ' "$f")
service: $service
autosign: 1
EOT
done
cat >"$corpus/sigv4/presigned-get" <<'EOT'
method: GET
path: /
query: Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261129%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20261129T120000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=0000000000000000000000000000000000000000000000000000000000000000
header: Host: sts.amazonaws.com
skew: 30
autosign: 1
EOT
for d in token jwks query sigv4; do
  echo "make-seeds: $corpus/$d: $(find "$corpus/$d" -type f | wc -l) files"
done

# --- rolesrc ----------------------------------------------------------------
mkdir -p "$corpus/rolesrc"
find tests/data/rolesrc -type f \( -name '*.json' -o -name '*.yaml' \) | while read -r f; do
  rel=${f#tests/data/rolesrc/}
  cp "$f" "$corpus/rolesrc/${rel//\//_}"
done
