#!/usr/bin/env bash
# The real demarche binary against a real demarched (ephemeral port, fresh
# data dir with the bundled record): output and exit codes.
#   cli_test.sh GROUP DEMARCHE DEMARCHED REPO_ROOT
# GROUP: offline (no server) | read | replay | branch | write | follow | audit | proofs | bundle |
#        readme
set -uo pipefail
group=$1 cli=$(realpath "$2") server_bin=${3:+$(realpath "$3")} repo=$(realpath "$4")
tmp=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
# Pinned keys and seen checkpoints of this run only.
export DEMARCHE_TRUST_DIR=$tmp/trust
fails=0 checks=0
addr=127.0.0.1:1  # nothing listens here until start_server

fail() {
  fails=$((fails + 1))
  echo "FAIL: $*"
  echo "  command: demarche ${last[*]}"
  echo "  --- stdout"; sed 's/^/  /' "$tmp/out" | head -40
  echo "  --- stderr"; sed 's/^/  /' "$tmp/err" | head -20
}
# run ARGS...: runs demarche against the server; sets rc, out in $tmp/out, err in $tmp/err.
run() {
  last=("$@")
  "$cli" --server "$addr" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  rc=$?
}
# expect CODE ARGS...: runs and checks the exit code.
expect() {
  local want=$1; shift
  checks=$((checks + 1))
  run "$@"
  [ "$rc" -eq "$want" ] || fail "exit $rc, want $want"
}
out_has() { checks=$((checks + 1)); grep -qF -- "$1" "$tmp/out" || fail "stdout lacks: $1"; }
out_lacks() { checks=$((checks + 1)); ! grep -qF -- "$1" "$tmp/out" || fail "stdout has: $1"; }
err_has() { checks=$((checks + 1)); grep -qF -- "$1" "$tmp/err" || fail "stderr lacks: $1"; }
lines_are() {
  checks=$((checks + 1))
  local n; n=$(wc -l <"$tmp/out")
  [ "$n" -eq "$1" ] || fail "stdout has $n lines, want $1"
}
json_ok() {  # every stdout line parses as JSON
  checks=$((checks + 1))
  /usr/bin/python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' <"$tmp/out" ||
    fail "stdout is not JSON lines"
}

start_server() {  # [data=DIR] start_server [DEMARCHED FLAGS...]: data dir $tmp/${data:-data}
  [ -x "$server_bin" ] || { echo "no demarched binary: $server_bin"; exit 1; }
  rm -f "$tmp/port"
  "$server_bin" --listen 127.0.0.1:0 --data-dir "$tmp/${data:-data}" --load-bundled --no-sync \
    --port-file "$tmp/port" --log-level warn "$@" 2>"$tmp/server.log" &
  server_pid=$!
  for _ in $(seq 1 200); do
    [ -s "$tmp/port" ] && break
    kill -0 "$server_pid" 2>/dev/null || { echo "demarched died:"; cat "$tmp/server.log"; exit 1; }
    sleep 0.05
  done
  [ -s "$tmp/port" ] || { echo "demarched did not start"; cat "$tmp/server.log"; exit 1; }
  addr=127.0.0.1:$(cat "$tmp/port")
}

event() {  # event ID DATE SUMMARY: a hypothetical JSON event (one line)
  printf '{"id":"%s","occurred":{"year":%d,"month":%d,"day":%d},"actor":["USA"],"recipients":["PRK"],"move":{"aid":{"action":"AID_ACTION_PLEDGE","commodity":"heavy fuel oil","quantity":500000,"unit":"t"}},"context":"CONTEXT_HYPOTHETICAL","summary":"%s"}\n' \
    "$1" "${2:0:4}" "$((10#${2:5:2}))" "$((10#${2:8:2}))" "$3"
}

case "$group" in
offline)
  expect 0 --help
  out_has "Exit codes"
  expect 0 log --help
  out_has "--known-at"
  expect 2
  expect 2 --bogus scenarios
  expect 2 frobnicate
  expect 2 log --limit many
  expect 2 branch
  expect 2 show
  expect 4 log --from 2004-13
  err_has "--from"
  err_has "month must be 01-12"
  expect 4 log --to 22/05/2004
  err_has "use YYYY, YYYY-MM or YYYY-MM-DD"
  expect 4 state --as-of 2003-02-29
  err_has "no day 29"
  expect 2 diff --as-of 2004
  err_has "--branch-b"
  expect 5 scenarios
  err_has "cannot reach demarched at 127.0.0.1:1"
  err_has "scripts/run"
  expect 5 log
  expect 4 --ca-file "$tmp/no-such-ca.pem" scenarios
  err_has "--ca-file"
  expect 4 append --branch x "$tmp/missing.json"
  err_has "cannot read"
  echo '{"id": "x", "nope": 1}' >"$tmp/bad.json"
  expect 4 append --branch x "$tmp/bad.json"
  err_has "not a JSON event"
  printf '%s\n%s\n' "$(event a 2004-01-01 ok)" '{"id":' >"$tmp/bad.jsonl"
  expect 4 import --branch x "$tmp/bad.jsonl"
  err_has "bad.jsonl:2"
  DEMARCHE_SERVER=127.0.0.1:2 "$cli" scenarios >"$tmp/out" 2>"$tmp/err"
  checks=$((checks + 1))
  grep -qF "127.0.0.1:2" "$tmp/err" || fail "DEMARCHE_SERVER ignored"
  ;;

read)
  start_server
  expect 0 scenarios
  out_has "six-party-talks"
  out_has "PRK"
  expect 0 --json scenarios
  json_ok
  expect 0 --token some-token scenarios  # sent as metadata; ignored without auth
  expect 5 --tls scenarios               # TLS handshake against a plaintext server
  expect 0 log
  out_has "SEQ"
  out_has "2003-12     PRK→USA"  # dates print at their precision
  out_has "PRK→USA"
  out_has "proposal"
  expect 0 log --party JPN --type aid
  out_has "aid:pledge"
  out_has "JPN→PRK"
  lines_are 2
  expect 0 log --from 2004-05-22 --to 2004-05-22 --json
  json_ok
  out_has '"id":"2004-05-jpn-pledges-food-grain"'
  expect 0 log --reverse --limit 1
  lines_are 2
  expect 0 log --known-at 3
  lines_are 4
  expect 0 show 2003-12-prk-package-deal
  out_has "package deal"
  out_has "source:"
  out_has "hash"
  expect 0 show 1
  out_has "1950-06-korean-war-begins"
  expect 0 --json show 1
  json_ok
  expect 3 show no-such-event
  err_has "demarche log"
  expect 3 show 9999
  expect 3 log --branch no-such-branch
  err_has "branch list"
  expect 3 --scenario no-such-scenario log
  expect 4 log --from 2004-5
  expect 0 export
  json_ok
  lines_are "$(wc -l <"$repo/data/six-party-talks/events.jsonl")"
  ;;

replay)
  start_server
  expect 0 state PRK --as-of 2004-05-21
  out_has "PRK — "
  out_has "positions"
  out_lacks "food grain"
  expect 0 state PRK --as-of 2004-05-23
  out_has "aid received"
  out_has "JPN: food grain — pledged 250,000 t"
  out_has "relations"
  expect 0 state --as-of 2004-05-23 --json
  json_ok
  out_has '"party":"USA"'
  expect 0 state USA JPN --as-of 2003
  out_has "USA — United States"
  out_has "JPN — "
  out_lacks "PRK — Democratic"
  expect 0 state PRK --as-of 2004-05-23 --known-at 5
  out_lacks "food grain"
  expect 0 state PRK --as-of 2004-05-23 --fields aid_received,relations
  out_has "JPN: food grain — pledged 250,000 t"
  out_has "relations"
  out_lacks "positions"
  expect 4 state --fields aid_received,position
  err_has 'fields[1]: "position" is not a list'
  expect 4 state --as-of 2004-02-30
  expect 3 state --branch nowhere
  expect 0 timeline --from 2004-05-22 --to 2004-05-22
  out_has "2004-05-jpn-pledges-food-grain"
  out_has "+ PRK aid_received"
  expect 0 --json timeline --from 2004-05 --to 2004-05
  json_ok
  expect 0 diff --as-of 2004-05-21 --as-of-b 2004-05-23
  out_has "a: main as of 2004-05-21"
  out_has "b: main as of 2004-05-23"
  out_has "aid_received"
  out_has "← 2004-05-jpn-pledges-food-grain"
  expect 0 diff --as-of 2004-05-21 --as-of-b 2004-05-23 --fields relations,forums
  out_has "relations"
  out_lacks "aid_received"
  expect 0 diff --as-of 2004-05-21 --as-of-b 2004-05-23 --json
  json_ok
  expect 0 diff --branch-b usa-accepts-package-deal --as-of 2004-06
  out_has "b: usa-accepts-package-deal"
  expect 3 diff --branch-b nowhere --as-of 2004
  ;;

branch)
  start_server
  expect 0 branch list
  out_has "main"
  out_has "└─ "
  out_has "usa-accepts-package-deal"
  expect 0 --json branch list
  json_ok
  expect 0 branch create what-if --after-event 2003-12-prk-package-deal -m "Washington accepts"
  out_has "created branch what-if from main after seq"
  expect 0 branch create what-if-2 --from what-if --after-seq 20 --cutoff 2003-08
  out_has "inheriting events up to 2003-08"
  expect 0 branch create at-head
  expect 0 branch list
  out_has "what-if-2"
  out_has "   └─ what-if-2"
  expect 4 branch create what-if
  err_has "what-if"
  expect 3 branch create orphan --from nowhere
  expect 3 branch create orphan --after-event no-such-event
  expect 4 branch create "Bad Name"
  expect 2 branch create x --after-seq 1 --after-event y
  expect 4 branch create x --cutoff 2003-13
  expect 0 branch compare main usa-accepts-package-deal
  out_has "common ancestor: main"
  out_has "only on usa-accepts-package-deal (8 events)"
  out_has "response:accept"
  expect 0 --json branch compare main usa-accepts-package-deal
  json_ok
  expect 3 branch compare main nowhere
  ;;

write)
  start_server
  expect 0 branch create hfo --after-event 2003-12-prk-package-deal
  event cf-hfo-1 2004-01-15 "USA pledges fuel oil" >"$tmp/one.json"
  expect 0 append --branch hfo "$tmp/one.json"
  out_has "appended 1 event to hfo"
  out_has "aid:pledge"
  head=$(sed -n 's/.*seq [0-9]*\.\.\([0-9]*\) .*/\1/p' "$tmp/out")
  expect 0 append --branch hfo "$tmp/one.json"  # idempotent retry
  out_has "already recorded"
  { echo "["; event cf-hfo-2 2004-02-01 two; echo ","; event cf-hfo-3 2004-02-02 three; echo "]"; } >"$tmp/arr.json"
  expect 0 append --branch hfo --expected-head "$head" "$tmp/arr.json"
  out_has "appended 2 events"
  event cf-hfo-late 2004-02-03 late >"$tmp/late.json"
  expect 4 append --branch hfo --expected-head "$head" "$tmp/late.json"
  err_has "expected-head"
  { event cf-hfo-4 2004-03-01 four; event cf-hfo-5 2004-03-02 five; } >"$tmp/lines.jsonl"
  checks=$((checks + 1))
  "$cli" --server "$addr" --json append --branch hfo - <"$tmp/lines.jsonl" >"$tmp/out" 2>"$tmp/err" ||
    fail "append from stdin"
  json_ok
  expect 0 state PRK --branch hfo --as-of 2004-12
  out_has "USA: heavy fuel oil — pledged 2,500,000 t"
  expect 0 diff --branch-b hfo --as-of 2004-12 --party PRK
  out_has "+ aid_received: USA: heavy fuel oil"
  echo '{"id":"cf-bad","occurred":{"year":2004},"actor":["XXX"],"move":{"statement":{"issue":"x","stance":"STANCE_SUPPORT"}}}' >"$tmp/invalid.json"
  expect 4 append --branch hfo "$tmp/invalid.json"
  err_has "nothing was written"
  expect 3 append --branch nowhere "$tmp/one.json"
  expect 4 append --branch main "$tmp/one.json"  # main is protected / needs sources
  # import: 1,200 events in batches of 100, then export round-trips them
  expect 0 branch create bulk --after-seq 0
  for i in $(seq 1 1200); do event "cf-bulk-$i" 2004-04-01 "bulk $i"; done >"$tmp/bulk.jsonl"
  expect 0 import --branch bulk --batch 100 "$tmp/bulk.jsonl"
  out_has "imported 1200 events into bulk in 12 batches"
  expect 0 import --branch bulk --batch 100 "$tmp/bulk.jsonl"
  out_has "1200 already recorded"
  expect 0 export --branch bulk
  lines_are 1200
  json_ok
  expect 0 log --branch bulk --limit 3
  lines_are 4
  echo '{"id":"cf-x","occurred":{"year":2004},"actor":["NOPE"],"move":{"statement":{"issue":"x","stance":"STANCE_SUPPORT"}}}' >>"$tmp/bulk2.jsonl"
  expect 4 import --branch bulk "$tmp/bulk2.jsonl"
  err_has "import stopped at batch 1"
  ;;

follow)
  start_server
  expect 0 branch create live --after-seq 3
  "$cli" --server "$addr" --json follow --branch live >"$tmp/follow.out" 2>"$tmp/follow.err" &
  follower=$!
  sleep 0.5
  event cf-live-1 2004-01-01 "live one" >"$tmp/l1.json"
  expect 0 append --branch live "$tmp/l1.json"
  for _ in $(seq 1 100); do grep -q cf-live-1 "$tmp/follow.out" && break; sleep 0.05; done
  kill -INT "$follower"
  wait "$follower"
  frc=$?
  checks=$((checks + 2))
  [ "$frc" -eq 0 ] || { fails=$((fails + 1)); echo "FAIL: follow exited $frc after Ctrl-C"; cat "$tmp/follow.err"; }
  n=$(wc -l <"$tmp/follow.out")
  [ "$n" -eq 4 ] || { fails=$((fails + 1)); echo "FAIL: follow printed $n lines, want 3 inherited + 1 live"; cat "$tmp/follow.out"; }
  # resuming after seq 3 gives only the live one; a table this time
  "$cli" --server "$addr" subscribe --branch live --after-seq 3 >"$tmp/out" 2>"$tmp/err" &
  follower=$!
  for _ in $(seq 1 100); do grep -q "live one" "$tmp/out" && break; sleep 0.05; done
  kill -INT "$follower"; wait "$follower"
  last=(subscribe --branch live --after-seq 3)
  out_has "SEQ"
  out_has "live one"
  lines_are 2
  expect 3 follow --branch nowhere
  ;;

audit)
  start_server
  expect 0 verify
  out_has "every hash and link checks out"
  out_has "usa-accepts-package-deal"
  expect 0 verify --branch main
  out_has "main"
  expect 0 --json verify
  json_ok
  out_has '"ok":true'
  expect 3 verify --branch nowhere
  expect 0 status
  out_has "writes: accepted"
  out_has "MB kept in reserve"
  expect 0 --json status
  json_ok
  out_has '"writable":true'
  expect 0 audit
  out_has "RECORDED AT"
  out_has "1950-06-korean-war-begins"
  expect 0 audit --by local --from-seq 40
  out_has "local"
  out_lacks "1950-06-korean-war-begins"
  expect 0 audit --by nobody
  lines_are 1
  expect 0 --json audit --branch usa-accepts-package-deal
  json_ok
  expect 3 audit --branch nowhere
  ;;

proofs)
  # A client pins the server's key, then holds it to every checkpoint it saw.
  start_server --key-name demarche.test
  expect 0 verify
  err_has "checkpoints not checked: no trusted key"
  expect 4 trust add "demarche.test+00000000+AAAA"
  expect 0 trust add --from-server
  out_has "trusted demarche.test+"
  err_has "compare it with the key its operator publishes"
  expect 0 trust add --from-server
  out_has "already trusted"
  expect 0 verify
  out_has "first seen"
  out_has "extends main at"
  out_has "checkpoints signed by a trusted key"
  expect 0 verify
  out_has "same as seen before"
  event extra-1 2004-06-01 "one more" >"$tmp/one.json"
  expect 0 append --branch usa-accepts-package-deal "$tmp/one.json"
  expect 0 verify --branch usa-accepts-package-deal
  out_has "extends the 35 seen before"
  out_has "same as seen before"
  kill "$server_pid"; wait "$server_pid" 2>/dev/null; server_pid=""

  # The same key over a rewritten history: one summary altered, the events
  # re-recorded and every hash recomputed. The server's own chain check
  # passes; the client, which saw the true checkpoint, refuses it.
  cp -r "$repo/data/six-party-talks" "$tmp/forged"
  sed -i '0,/"summary":"/s//"summary":"(forged) /' "$tmp/forged/events.jsonl"
  data=data2 start_server --bundle-dir "$tmp/forged" --signing-key "$tmp/data/signing.key"
  expect 0 append --branch usa-accepts-package-deal "$tmp/one.json"
  expect 1 verify
  out_has "every hash and link checks out"
  err_has "history was rewritten"
  expect 1 verify --branch main
  err_has "history was rewritten"
  # A key it has not pinned signs nothing it accepts.
  kill "$server_pid"; wait "$server_pid" 2>/dev/null; server_pid=""
  data=data3 start_server
  expect 1 verify
  err_has "no signature by a trusted key"
  ;;

bundle)
  # --prove and the offline bundle: what an auditor checks with no server.
  start_server --key-name demarche.test
  expect 4 show 3 --prove
  err_has "--prove needs a pinned key"
  expect 0 trust add --from-server
  expect 0 show 3 --prove
  out_has "proved: seq 3 is in the tree of size"
  out_has "signed by demarche.test"
  expect 0 log --prove -n 5
  out_has "proved: all 5 events shown are in the tree of size"
  out_has "same as seen before"
  expect 0 export --bundle "$tmp/all.bundle"
  err_has "wrote $tmp/all.bundle"
  expect 0 export --bundle "$tmp/one.bundle" --branch usa-accepts-package-deal
  err_has "2 branches with their signed checkpoints"
  kill "$server_pid"; wait "$server_pid" 2>/dev/null; server_pid=""

  # No server from here on.
  expect 0 verify-bundle "$tmp/all.bundle"
  out_has "every root recomputed, every hash and link checks out, signed by demarche.test+"
  out_has "main at"
  out_has "same as seen before"
  expect 0 verify-bundle "$tmp/one.bundle"
  out_has "bundle of six-party-talks: 2 branches"
  # Without a pinned key the bundle's own is used, and said to be unpinned.
  expect 0 verify-bundle --trust-dir "$tmp/empty" "$tmp/all.bundle"
  err_has "is not pinned"
  out_has "not seen before"
  # One changed byte in the middle, a cut tail, another file: refused.
  size=$(stat -c %s "$tmp/all.bundle")
  cp "$tmp/all.bundle" "$tmp/bad.bundle"
  printf '\xff' | dd of="$tmp/bad.bundle" bs=1 seek=$((size / 2)) conv=notrunc status=none
  expect 1 verify-bundle "$tmp/bad.bundle"
  err_has "bundle verification FAILED: record"
  head -c $((size - 7)) "$tmp/all.bundle" >"$tmp/cut.bundle"
  expect 1 verify-bundle "$tmp/cut.bundle"
  err_has "bundle verification FAILED"
  expect 1 verify-bundle "$repo/README.md"
  expect 4 verify-bundle "$tmp/missing.bundle"

  # The same key over a rewritten history: the bundle verifies in itself,
  # but not against the checkpoint this client saw before.
  cp -r "$repo/data/six-party-talks" "$tmp/forged"
  sed -i '0,/"summary":"/s//"summary":"(forged) /' "$tmp/forged/events.jsonl"
  data=data2 start_server --bundle-dir "$tmp/forged" --signing-key "$tmp/data/signing.key"
  expect 0 export --bundle "$tmp/forged.bundle" --branch main
  expect 1 verify-bundle "$tmp/forged.bundle"
  err_has "history was rewritten"
  expect 1 show 3 --prove
  err_has "proof FAILED"
  err_has "history was rewritten"
  # Another server's key, required: the true bundle is not signed by it.
  kill "$server_pid"; wait "$server_pid" 2>/dev/null; server_pid=""
  data=data3 start_server
  expect 0 trust add --from-server --trust-dir "$tmp/other"
  expect 1 verify-bundle --key "$(cat "$tmp/other/trusted-keys")" "$tmp/all.bundle"
  err_has "which is not a pinned key"
  ;;

readme)
  # The README's "Try it" commands, verbatim, against the bundled record.
  start_server
  awk '/^## Try it/{on=1} on&&/^```/{n++; if(n==2) exit; next} on&&n==1' "$repo/README.md" |
    grep -v '^export PATH=' >"$tmp/tryit.sh"
  checks=$((checks + 1))
  [ "$(grep -c '^demarche ' "$tmp/tryit.sh")" -ge 6 ] || fail "README has no Try it commands"
  { printf 'set -e\ndemarche() { "%s" --server "%s" "$@"; }\n' "$cli" "$addr"; cat "$tmp/tryit.sh"; } >"$tmp/run.sh"
  last=("README Try it")
  checks=$((checks + 1))
  (cd "$tmp" && bash "$tmp/run.sh") >"$tmp/out" 2>"$tmp/err" || fail "a README command failed"
  out_has "aid:pledge"
  out_has "JPN: food grain — pledged 250,000 t, delivered 0 t"
  out_has "created branch deal-accepted from main after seq"
  out_has "appended 2 events to deal-accepted"
  out_has "[accepted by USA] package deal"
  out_has "+ aid_received: USA: heavy fuel oil — pledged 500,000 t"
  out_has "every hash and link checks out"
  ;;

*)
  echo "unknown group $group"; exit 2 ;;
esac

echo "cli.$group: $checks checks, $fails failed"
[ "$fails" -eq 0 ]
