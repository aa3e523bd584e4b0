# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# libFuzzer targets for the user-space parsers (tests/fuzz/README.md).
# `make fuzz` builds every tests/fuzz/fuzz_*.c into $(FUZZ_OUTPUT) and runs each
# for FUZZ_SECONDS, one after the other, on a scratch copy of its seed corpus;
# exits non-zero on any crash. `make fuzz-merge` adds what the runs found that
# covers new code to the committed corpus (tests/fuzz/corpus/TARGET).

FUZZ_OUTPUT ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := -g -O1 -Wall -Wextra -Wno-unused-parameter \
	$(LIBBPF_CFLAGS) -Ibpf -Ilib -Itests/fuzz $(FUZZ_SAN)
FUZZ_LIB_OBJS := $(patsubst lib/%.c,$(FUZZ_OUTPUT)/lib/%.o,$(wildcard lib/*.c))
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(addprefix $(FUZZ_OUTPUT)/,$(FUZZ_TARGETS))

.PHONY: fuzz fuzz-build fuzz-merge fuzz-regress
fuzz-build: $(FUZZ_BINS)

$(FUZZ_OUTPUT)/lib:
	$(Q)mkdir -p $@

$(FUZZ_OUTPUT)/lib/%.o: lib/%.c $(wildcard lib/*.h) bpf/sockaccel.h | $(FUZZ_OUTPUT)/lib
	$(call msg,FUZZ-CC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_OUTPUT)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_LIB_OBJS)
	$(call msg,FUZZER,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_EXTRA_SRCS) $(FUZZ_LIB_OBJS) $(LIBBPF_LIBS) \
		$(FUZZ_EXTRA_LIBS) -lm -o $@

# The loader's config file parser lives in loader/ and uses libinih.
$(FUZZ_OUTPUT)/fuzz_config: FUZZ_EXTRA_SRCS := loader/config.c
$(FUZZ_OUTPUT)/fuzz_config: FUZZ_EXTRA_LIBS := -linih
$(FUZZ_OUTPUT)/fuzz_config: FUZZ_CFLAGS += -Iloader
$(FUZZ_OUTPUT)/fuzz_config: loader/config.c loader/config.h

fuzz: fuzz-build
	$(Q)./tests/fuzz/run.sh $(FUZZ_OUTPUT) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-merge: fuzz-build
	$(Q)for t in $(FUZZ_TARGETS); do \
		[ -d $(FUZZ_OUTPUT)/corpus/$$t ] || continue; \
		nice -n 10 $(FUZZ_OUTPUT)/$$t -merge=1 tests/fuzz/corpus/$$t $(FUZZ_OUTPUT)/corpus/$$t \
			2>$(FUZZ_OUTPUT)/$$t.merge.log || exit 1; \
		printf '  %-8s %s\n' MERGE "$$t: $$(ls tests/fuzz/corpus/$$t | wc -l) inputs"; \
	done

# Each target once over its committed corpus, no fuzzing (seconds): the
# regression inputs of bugs the fuzzers found must pass.
fuzz-regress: fuzz-build
	$(Q)for t in $(FUZZ_TARGETS); do \
		printf '  %-8s %s\n' REGRESS "$$t: $$(ls tests/fuzz/corpus/$$t | wc -l) inputs"; \
		$(FUZZ_OUTPUT)/$$t tests/fuzz/corpus/$$t/* >$(FUZZ_OUTPUT)/$$t.regress.log 2>&1 || \
			{ tail -n 30 $(FUZZ_OUTPUT)/$$t.regress.log; exit 1; }; \
	done
