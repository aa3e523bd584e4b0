# conns (t_conns) where the kernel refuses map-element iterators (as on
# 6.18-fc-v782): the iter/tcp fallback must find the connection although it
# lives in the test's network namespace, not sockaccelctl's (iter/tcp walks
# the namespace of its reader only; lib/conns.c enters each in turn).
. "$SA_LIB"
export SOCKACCEL_TEST_MISSING_FEATURE=iter/bpf_sk_storage_map
. "$SA_ROOT/tests/netns/t_conns.sh"
assert_eq "$($SA_CTL -j status | jq -r '.features[] | select(.name == "conns_listing") | .in_use')" \
	"iter/tcp" "conns listing in use"
