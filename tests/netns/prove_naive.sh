#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Prove that the ordering tests can fail: build the naive redirect (no
# per-direction state machine: `make SA_NO_STICKY=1`) into build-naive/ and run
# the ordering, race and bound tests against it. Each of them must FAIL.
#
#   tests/netns/prove_naive.sh [TEST...]     (as root; `make prove-naive`)
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
TESTS=("$@")
[ ${#TESTS[@]} -gt 0 ] || TESTS=(setup_race tfo_rx_data slow_reader)
make -C "$ROOT" -s SA_NO_STICKY=1 OUTPUT=build-naive >/dev/null || { echo "naive build failed" >&2; exit 1; }
failed=0 passed=0
for t in "${TESTS[@]}"; do
	if SA_BUILD="$ROOT/build-naive" "$ROOT/tests/netns/run.sh" "$t" >/tmp/prove-naive-$$.log 2>&1; then
		echo "NOT CAUGHT: $t passed against the naive build"
		tail -5 /tmp/prove-naive-$$.log | sed 's/^/    /'
		passed=$((passed + 1))
	else
		echo "caught: $t fails against the naive build"
		grep -E '^    (FAIL|# )' /tmp/prove-naive-$$.log | head -4
		failed=$((failed + 1))
	fi
done
rm -f /tmp/prove-naive-$$.log
echo "$failed of ${#TESTS[@]} tests failed against the naive build (expected: all)"
[ "$passed" = 0 ]
