# SPDX-License-Identifier: GPL-2.0-only
#
# make            build build/warden (BPF objects, skeleton, userspace)
# make test       install missing packages, unit tests, real-kernel VM suite
# make demo       the main job, natively or in the test VM
# make vmlinux    regenerate vmlinux/x86/vmlinux.h from the VM kernel's BTF
# V=1             show full commands

.DELETE_ON_ERROR:
.SUFFIXES:

BUILD   := build
CC      ?= cc
CLANG   ?= clang
BPFTOOL ?= bpftool

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_LINKED := $(BUILD)/warden.bpf.o
SKEL      := $(BUILD)/warden.skel.h

USER_SRCS := $(wildcard user/*.c)
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
# everything but main, for the unit tests
LIB_OBJS  := $(filter-out $(BUILD)/user/main.o,$(USER_OBJS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
HELPER_SRCS := $(wildcard tests/vm/helpers/*.c)
HELPER_BINS := $(patsubst tests/vm/helpers/%.c,$(BUILD)/tests/helpers/%,$(HELPER_SRCS))

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror \
	-Ivmlinux/x86 -Ibpf -MMD -MP
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter \
	-I$(BUILD) -Ibpf -Iuser -MMD -MP
LDLIBS  := -lbpf -lelf -lz -ljson-c -lldns -lcrypto -pthread

.PHONY: all
all: $(BUILD)/warden

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c
	@mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BPF_LINKED): $(BPF_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(SKEL): $(BPF_LINKED)
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name warden >$@

# Every userspace object may include the skeleton: generate it first.
$(USER_OBJS): | $(SKEL)

$(BUILD)/user/%.o: user/%.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/warden: $(USER_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIB_OBJS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) '-DWARDEN_SOURCE_DIR="$(CURDIR)"' $^ $(LDLIBS) -lcmocka -o $@

$(BUILD)/tests/helpers/%: tests/vm/helpers/%.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

.PHONY: deps
deps:
	$(Q)scripts/install-deps.sh
	$(Q)scripts/install-agents.sh

.PHONY: test-build
test-build: $(BUILD)/warden $(UNIT_BINS) $(HELPER_BINS)

.PHONY: test
test: deps
	$(Q)$(MAKE) --no-print-directory test-build
	$(Q)scripts/run-tests.sh

.PHONY: unit
unit: $(UNIT_BINS)
	$(Q)scripts/run-tests.sh --unit-only

.PHONY: demo
demo: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/warden
	$(Q)scripts/demo.sh

.PHONY: vmlinux
vmlinux:
	$(Q)scripts/gen-vmlinux-h.sh

PREFIX  ?= /usr/local
BINDIR  := $(PREFIX)/bin
DOCDIR  := $(PREFIX)/share/doc/warden
UNITDIR ?= /etc/systemd/system

# make install [PREFIX=/usr/local] [DESTDIR=]: binary, service, audit timer,
# and a default policy that is never overwritten.
.PHONY: install
install: $(BUILD)/warden
	$(Q)install -D -m 0755 $(BUILD)/warden $(DESTDIR)$(BINDIR)/warden
	$(Q)install -d -m 0755 $(DESTDIR)$(UNITDIR) $(DESTDIR)/etc/warden $(DESTDIR)$(DOCDIR)
	$(Q)sed 's|@BINDIR@|$(BINDIR)|g' scripts/warden.service >$(DESTDIR)$(UNITDIR)/warden.service
	$(Q)sed 's|/usr/local/bin/warden|$(BINDIR)/warden|g' scripts/warden-audit.service \
		>$(DESTDIR)$(UNITDIR)/warden-audit.service
	$(Q)install -m 0644 scripts/warden-audit.timer $(DESTDIR)$(UNITDIR)/warden-audit.timer
	$(Q)install -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	$(Q)install -d -m 0755 $(DESTDIR)$(PREFIX)/share/warden/profiles
	$(Q)install -m 0644 policy/profiles/*.json $(DESTDIR)$(PREFIX)/share/warden/profiles/
	$(Q)if [ -e $(DESTDIR)/etc/warden/policy.json ]; then \
		echo "  keeping $(DESTDIR)/etc/warden/policy.json"; \
	else \
		install -m 0600 policy/default.json $(DESTDIR)/etc/warden/policy.json; \
	fi

.PHONY: uninstall
uninstall:
	$(Q)rm -f $(DESTDIR)$(BINDIR)/warden $(DESTDIR)$(UNITDIR)/warden.service \
		$(DESTDIR)$(UNITDIR)/warden-audit.service $(DESTDIR)$(UNITDIR)/warden-audit.timer
	$(Q)rm -rf $(DESTDIR)$(DOCDIR) $(DESTDIR)$(PREFIX)/share/warden
	@echo "  kept /etc/warden (your policy); remove it by hand if you mean to"

.PHONY: clean
clean:
	$(Q)rm -rf $(BUILD)

-include $(BPF_OBJS:.o=.d) $(USER_OBJS:.o=.d) $(UNIT_BINS:=.d) $(HELPER_BINS:=.d)

# make bench: what enforcement costs, against no enforcement and Landlock,
# in one VM run (scripts/bench.sh); helpers for it in tests/bench/.
BENCH_SRCS := $(wildcard tests/bench/*.c)
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/tests/bench/%,$(BENCH_SRCS))

$(BUILD)/tests/bench/%: tests/bench/%.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

.PHONY: bench
bench: deps
	$(Q)$(MAKE) --no-print-directory test-build $(BENCH_BINS)
	$(Q)scripts/bench.sh

-include $(BENCH_BINS:=.d)

# make bench-reload: policies of 1,000, 10,000 and 100,000 rules, time from
# `warden reload` to enforced, and the daemon's compile/load split.
.PHONY: bench-reload
bench-reload: deps
	$(Q)$(MAKE) --no-print-directory $(BUILD)/warden
	$(Q)VMTEST_TIMEOUT=900 scripts/vmtest.sh scripts/bench-reload.sh
