# SPDX-License-Identifier: GPL-2.0-only
#
# make            build build/warden (BPF objects, skeleton, userspace)
# make test       install missing packages, check-layout, unit tests, real-kernel VM suite
# make check-layout  includes between user/'s folders go one way (scripts/check-layout.py)
# make demo       the main job, natively or in the test VM
# make vmlinux    regenerate vmlinux/x86/vmlinux.h from the VM kernel's BTF
# V=1             show full commands

.DELETE_ON_ERROR:
.SUFFIXES:

BUILD   := build
CC      ?= cc
CLANG   ?= clang
BPFTOOL ?= bpftool
# the kernel's name for the target architecture (vmlinux/$(ARCH)/vmlinux.h)
ARCH    ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

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

# user/ by concern (README "Layout"); scripts/check-layout.sh keeps the
# includes between these folders one way.
USER_DIRS := base policy compile kernel ipc sandbox daemon audit cli
USER_SRCS := $(wildcard user/*.c $(USER_DIRS:%=user/%/*.c))
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
# the objects of some folders of user/, e.g. $(call user_objs,base policy)
user_objs = $(filter $(patsubst %,$(BUILD)/user/%/%.o,$(1)),$(USER_OBJS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
HELPER_SRCS := $(wildcard tests/vm/helpers/*.c)
HELPER_BINS := $(patsubst tests/vm/helpers/%.c,$(BUILD)/tests/helpers/%,$(HELPER_SRCS))

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-Ivmlinux/$(ARCH) -Ibpf -MMD -MP
# CFLAGS, CPPFLAGS and LDFLAGS are the builder's (make CFLAGS=-O0 LDFLAGS=...);
# what warden needs to build at all is in WARDEN_CFLAGS, always added.
CFLAGS  ?= -O2 -g
WARDEN_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter \
	-I$(BUILD) -Ibpf -Iuser $(USER_DIRS:%=-Iuser/%) -MMD -MP
ALL_CFLAGS = $(CPPFLAGS) $(CFLAGS) $(WARDEN_CFLAGS)
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
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/warden: $(USER_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# A unit test links the folders it tests and what they stand on, nothing
# above them (the lines after the rule). Its .d file adds the headers it
# includes as prerequisites: they are not inputs of the link.
$(BUILD)/tests/unit/%: tests/unit/%.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) '-DWARDEN_SOURCE_DIR="$(CURDIR)"' $(LDFLAGS) $(filter %.c %.o,$^) \
		$(LDLIBS) -lcmocka -o $@

UNIT_COMPILE := $(call user_objs,base policy sandbox compile)
$(BUILD)/tests/unit/test_policy: $(UNIT_COMPILE)
$(BUILD)/tests/unit/test_net: $(UNIT_COMPILE)
$(BUILD)/tests/unit/test_profile: $(UNIT_COMPILE) $(BUILD)/user/cli/init_cmd.o
$(BUILD)/tests/unit/test_sandbox: $(call user_objs,base policy sandbox) $(BUILD)/user/cli/run_hint.o
$(BUILD)/tests/unit/test_audit: $(call user_objs,base policy sandbox compile ipc audit) \
	$(BUILD)/user/kernel/lsm.o
$(BUILD)/tests/unit/test_gate: $(call user_objs,base ipc) $(BUILD)/user/daemon/approvals.o
$(BUILD)/tests/unit/test_approvals: $(call user_objs,base ipc) $(BUILD)/user/daemon/approvals.o \
	$(BUILD)/user/daemon/held_state.o
$(BUILD)/tests/unit/test_events: $(call user_objs,base ipc) $(BUILD)/user/daemon/repeats.o
$(BUILD)/tests/unit/test_control: $(call user_objs,base ipc)

$(BUILD)/tests/helpers/%: tests/vm/helpers/%.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $< -o $@

.PHONY: deps
deps:
	$(Q)scripts/install-deps.sh
	$(Q)scripts/install-agents.sh

.PHONY: test-build
test-build: $(BUILD)/warden $(UNIT_BINS) $(HELPER_BINS)

# The includes between user/'s folders go one way, with no circle.
.PHONY: check-layout
check-layout:
	$(call msg,CHECK,layout)
	$(Q)scripts/check-layout.py

.PHONY: test
test: deps
	$(Q)$(MAKE) --no-print-directory check-layout test-build
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
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $< -o $@

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
