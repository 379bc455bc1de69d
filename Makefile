# layoutbreak: range-aware breaking of external layout references in XFS and
# nfsd, the layoutctl utility, and a VM rig that shows it against stock 6.12.
#
#   make check        layoutctl unit tests, then our kernel (built or cached), all VM tests, quick fstests
#                     (those only while CHECK_MINUTES=90 leave FSTESTS_QUICK_MINUTES=20 for them)
#   make utils        build layoutctl into build/utils/
#   make install      install layoutctl, layoutctl(8), /sbin/nfsd-recall-failed (DESTDIR, PREFIX)
#   make demo         boot a server and a client, show pNFS block I/O and a recall
#   make kernel       build a kernel: KERNEL=ours|stock CONFIG_VARIANT=test|bench|kasan
#   make mutants      show each mutant in tests/mutants/ caught by its named assertion
#   make fstests      fstests on DAX XFS, ours against stock: FSTESTS="generic/009 ..."
#   make fstests-quick the quick fstests on KERNEL alone
#   make matrix       every block-freeing operation against every local reference, ours and stock -> build/results/matrix.md
#   make stress       the DMA and LAYOUTGET race scenarios at length
#   make soak         every kind of reference against layout changes: DURATION=10m
#   make bench        ours against stock, bench kernels, one run: ROUNDS=3 -> BENCHMARKS.md
#   make check-series checkpatch --strict, each patch builds, sparse
#   make kernel-deb   installable .deb of our kernel from Debian's config (slow)
#   make deps         install the Debian packages all of this needs (apt-get)
#
# Every target that needs packages installs them first through `make deps`.

KERNEL ?= ours
CONFIG_VARIANT ?= test
TESTS ?=

SHELL := /bin/bash

# Debian packages, by what they are for. The guest VMs use the host's root
# filesystem read-only, so the tools the VMs run are installed here too.
DEPS_BUILD := build-essential bc bison flex libelf-dev libssl-dev ccache cpio \
	xz-utils kmod linux-source-6.12 python3 sparse
DEPS_VM := qemu-system-x86 xfsprogs nfs-kernel-server nfs-common ndctl jq \
	rdma-core ibverbs-utils rdmacm-utils ibverbs-providers nvme-cli dmsetup \
	iproute2 procps psmisc util-linux e2fsprogs
# fstests, built on the host from ../shared/third_party/ and run in a VM.
DEPS_FSTESTS := autoconf automake libtool make xfslibs-dev uuid-dev libattr1-dev \
	libacl1-dev libaio-dev liburing-dev libgdbm-dev libcap-dev attr acl bc perl gawk
# layoutctl: its libraries, what its unit tests use (man, jq), and clang with
# libFuzzer for its fuzz targets.
DEPS_UTILS := pkg-config libsmartcols-dev libtracefs-dev libtraceevent-dev \
	libjson-c-dev libndctl-dev libnl-genl-3-dev libnfsidmap-dev groff-base man-db \
	clang libclang-rt-14-dev
# tests/helpers: the RDMA and io_uring pinning program.
DEPS_HELPERS := libibverbs-dev librdmacm-dev liburing-dev
# bench/: the measuring tools the VMs run, and the plots.
DEPS_BENCH := fio perftest gnuplot-nox
DEPS := $(DEPS_BUILD) $(DEPS_VM) $(DEPS_FSTESTS) $(DEPS_UTILS) $(DEPS_HELPERS) $(DEPS_BENCH)

.PHONY: all deps utils install kernel check demo kernel-deb mutants matrix fstests fstests-quick stress soak check-series bench clean distclean help

all: help

help:
	@sed -n '3,17p' Makefile | sed 's/^# \{0,1\}//'

deps:
	@missing=$$(for p in $(DEPS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "[deps] apt-get install:" $$missing; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing > /dev/null || \
			{ echo "[deps] apt-get install failed" >&2; exit 1; }; \
	else echo "[deps] all Debian packages present"; fi

utils: deps
	@$(MAKE) -s -C utils OUT=$(CURDIR)/build/utils

install: utils
	@$(MAKE) -s -C utils OUT=$(CURDIR)/build/utils install

kernel: deps
	@scripts/kernel.sh $(KERNEL) $(CONFIG_VARIANT) > /dev/null

kernel-deb: deps
	@scripts/kernel-deb.sh

# make check keeps to CHECK_MINUTES in all: the quick fstests come last and
# run only if FSTESTS_QUICK_MINUTES are left for them (else a SKIP line says
# so; `make fstests-quick` runs them alone).
CHECK_MINUTES ?= 90
FSTESTS_QUICK_MINUTES ?= 20
check: utils
	@mkdir -p build && date +%s > build/check.start
	@$(MAKE) -s -C utils OUT=$(CURDIR)/build/utils check | sed 's/^/# layoutctl unit: /'; test $${PIPESTATUS[0]} = 0
	@tests/unit/harness.sh | sed 's/^/# harness self-test: /'; test $${PIPESTATUS[0]} = 0
	@tests/run --kernel $(KERNEL) --variant $(CONFIG_VARIANT) $(TESTS)
	@if [ -z '$(TESTS)' ] && [ '$(CONFIG_VARIANT)' = test ]; then \
		used=$$(( $$(date +%s) - $$(cat build/check.start) )); \
		left=$$(( $(CHECK_MINUTES) * 60 - used )); \
		if [ $$left -lt $$(( $(FSTESTS_QUICK_MINUTES) * 60 )) ]; then \
			echo "1..0 # SKIP quick fstests: $$used s used of CHECK_MINUTES=$(CHECK_MINUTES), they need FSTESTS_QUICK_MINUTES=$(FSTESTS_QUICK_MINUTES) (make fstests-quick)"; \
		else LB_FSTESTS_TIMEOUT=$$(( left - 120 )) \
			scripts/fstests.sh --kernels $(KERNEL) --quick --if-available; fi; fi

# The quick fstests alone, on the kernel make check tests.
fstests-quick: deps
	@scripts/fstests.sh --kernels $(KERNEL) --quick --if-available

mutants: deps
	@scripts/mutants.sh $(MUTANTS)

# make matrix: tests/matrix/ on our kernel and on stock (each cell's outcome
# in its metrics), then the table of both: build/results/matrix.md. The
# io_uring column alone is scenario 36 of make check. The exit status is
# ours: stock's run fails (at pins-allowed, and at the console, with the
# WARNING of a swapext under DMA).
MATRIX_KERNELS ?= ours stock
matrix: deps utils
	@st=0; for k in $(MATRIX_KERNELS); do \
		LB_SCENARIO_DIR=$(CURDIR)/tests/matrix LB_RESULTS_NAME=matrix-$$k \
			tests/run --kernel $$k --variant $(CONFIG_VARIANT) || [ $$k = stock ] || st=1; done; \
	scripts/matrix-table.py $(addprefix build/results/matrix-,$(MATRIX_KERNELS)) > build/results/matrix.md; \
	cat build/results/matrix.md; exit $$st

# make stress: the DMA and LAYOUTGET races at length (over 1000 breaks that
# wait on in-flight DMA).
stress: deps
	@LB_DMA_ROUNDS=320 LB_DMA_MODEL_ROUNDS=40 LB_DMA_MIN_WAITS=1000 \
		LB_RACE_PIECES=400 LB_RACE_TRUNCATES=250 \
		tests/run --kernel $(KERNEL) --variant $(CONFIG_VARIANT) 12 13

# make soak: tests/scenarios/19-soak.sh for DURATION (seconds, or with an m
# suffix minutes); make check runs it for 2 minutes.
DURATION ?= 10m
soak: deps
	@d='$(DURATION)'; case $$d in *m) d=$$(( $${d%m} * 60 ));; *s) d=$${d%s};; esac; \
		case $$d in ''|*[!0-9]*) echo "make soak: DURATION=N, Ns or Nm" >&2; exit 2;; esac; \
		LB_SOAK_SECONDS=$$d tests/run --kernel $(KERNEL) --variant $(CONFIG_VARIANT) 19-soak

# make bench: both bench kernels, ROUNDS boots of each, alternating;
# MEASURES picks some of bench/measures/ by name.
ROUNDS ?= 3
MEASURES ?=
bench: deps utils
	@bench/run --rounds $(ROUNDS) $(MEASURES)

fstests: deps
	@scripts/fstests.sh $(FSTESTS)

check-series: deps
	@scripts/check-series.sh

demo: deps
	@tests/demo --kernel $(KERNEL)

clean:
	rm -rf build/results build/tests

# Also drops the unpacked source and objects; the kernel cache
# (~/.cache/layoutbreak) stays.
distclean:
	rm -rf build
