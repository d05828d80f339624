# Sourced by host-libs.sh and host.sh: the host build, which is not the shipped one. Debian's clang 14 against
# glibc and libstdc++ (dynamic), every object compiled with AddressSanitizer, UndefinedBehaviorSanitizer, libFuzzer's
# coverage instrumentation (fuzzer-no-link: linked into an executable only by the fuzz targets) and libstdc++'s
# bounds assertions. Used for the sanitizer run of the unit tests (make check-sanitize) and the fuzz targets
# (make fuzz). Line tables only: enough for symbolized sanitizer reports.
HOST_CC=clang-14
HOST_CXX=clang++-14
HOST_CFLAGS="-O1 -gline-tables-only -fno-omit-frame-pointer -fsanitize=address,undefined -fsanitize=fuzzer-no-link -D_GLIBCXX_ASSERTIONS"
# Host packages whose versions are part of the cache keys of the host build.
HOST_PKGS=(clang-14 libclang-rt-14-dev libstdc++-12-dev libc6-dev cmake ninja-build)
