# Kettle: the one entry point. See README.md.
SHELL := /bin/bash
KETTLE_CACHE ?= $(HOME)/.cache/kettle
export KETTLE_CACHE

.PHONY: all prereqs deps tools check check-sanitize host host-tests fuzz lint testdata image reproduce bench demo demo-deps \
        reproduce-tools clean distclean

all: tools

## Install the Debian packages the build needs (idempotent; needs root or sudo).
prereqs:
	@tools/deps/install-prereqs

## Download every pinned input into $(KETTLE_CACHE)/dl and verify it against deps/kettle.lock.
deps: prereqs
	@tools/deps/fetch

## Static musl toolchain + libraries (cached), then build/bin/kettle, build/bin/init and the tests.
tools: deps
	@tools/build/tools.sh

## Run every test: the musl build's unit tests and QEMU integration tests through ctest, then the unit tests again
## under ASan+UBSan (check-sanitize, below). Both always run; check fails if either fails. The tests read the
## public fixtures in tests/data and Debian's own OVMF.fd (pinned in the lock) as known-answer inputs.
## The prerequisites run one after another: a cold run is CPU-bound on 2 cores, and building them side by side
## (tried: musl chain, kernel, firmware and host build as four concurrent chains) took 4,082 s against 4,157 s.
DEBIAN_OVMF := $(CURDIR)/build/testdata/ovmf-debian/usr/share/ovmf/OVMF.fd
check: tools image testdata host-tests
	@rc=0; (cd build/cmake && KETTLE_DEBIAN_OVMF="$(DEBIAN_OVMF)" \
	  ctest --output-on-failure -j2 --timeout 900) || rc=1; \
	tests/sanitize.sh || rc=1; exit $$rc

## The host build in build/host (tools/build/host.sh): Debian's clang, ASan+UBSan and libFuzzer instrumentation,
## the pinned libraries rebuilt with it (cached in $(KETTLE_CACHE)/hostlibs-<key>); kettle, init, the unit tests
## and the fuzz targets. Not the shipped executables.
host: deps
	@tools/build/host.sh

## Only what check-sanitize runs from the host build: kettle, the unit tests, the fuzz targets (no init, no
## make-seeds; tools/build/host.sh --tests-only).
host-tests: deps
	@tools/build/host.sh --tests-only

## The unit tests (not the VM tests) of the host build under AddressSanitizer and UndefinedBehaviorSanitizer, and
## one replay of each fuzz target over its committed inputs (tests/sanitize.sh); part of make check.
check-sanitize: host-tests testdata
	@tests/sanitize.sh

## Run every libFuzzer target (tests/fuzz) for FUZZ_SECONDS each (default 60), one after the other; corpus,
## crashes, logs and results.json in build/fuzz (tests/fuzz/run.sh). FUZZ_TARGETS="a b" runs only those;
## FUZZ_JOBS=2 runs two at a time.
FUZZ_SECONDS ?= 60
fuzz: host
	@FUZZ_SECONDS="$(FUZZ_SECONDS)" tests/fuzz/run.sh

## clang-tidy (Debian's 14) with the checks of .clang-tidy over lib/ init/ runner/ tools/, on the host build's
## compile_commands.json (tools/lint.sh). Not part of make check.
lint: deps
	@tools/lint.sh

testdata: deps
	@[ -f "$(DEBIAN_OVMF)" ] || tools/deps/unpack ovmf build/testdata/ovmf-debian

## Build the tools twice in two directories and compare the SHA-256 of kettle and init.
reproduce-tools: deps
	@tools/build/reproduce-tools.sh

## Boot image into build/image: kettle.efi (UKI), ovmf-amdsev.fd, ovmf.fd, ovmf-tpm.fd, kettle-disk.raw (cloud boot
## disk), kettle-gcp.tar.gz (its GCP import form), manifest.json, provenance.json.
## Kernel and firmware are cached (cold: ~5 + ~5 minutes on 2 cores).
image: tools
	@image/build.sh

## Build the image twice (different dir, umask, -j, time) and compare the SHA-256 of every image file.
## REBUILD="kernel firmware" also rebuilds those in the second directory instead of using the cache.
reproduce: tools
	@image/reproduce.sh

## Benchmarks (results in bench/results.json, printed as one table; bench/all.sh): boot time under TCG (ours vs
## Debian's cloud kernel), UKI size; input ingest vs sha256sum + tar -x; `kettle measure snp` against
## sev-snp-measure (when a checkout is at $$SEV_SNP_MEASURE or /tmp/sev-snp-measure); `kettle verify` latency;
## the demo's phase times and its build in the VM vs natively in a chroot (runs make demo if build/demo is absent).
bench: image
	@bench/all.sh

## The main job, end to end: GNU hello from Debian's source archive, built inside the VM (QEMU TCG, simulated
## AMD-SP), verified offline; prints a summary. Output in build/demo/bundle.
demo: tools image
	@tools/demo.sh

## An attested build with 163 npm dependencies checked in the guest (docs/dependencies.md); needs the npm registry.
demo-deps: tools image
	@tools/demo-deps.sh

clean:
	rm -rf build

## Also drop the cache of toolchains, libraries and downloads.
distclean: clean
	rm -rf "$(KETTLE_CACHE)"
