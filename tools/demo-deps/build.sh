#!/bin/sh
# make demo-deps: compile RxJS 7.8.1's published TypeScript sources (src/, Apache-2.0) to ES modules with the
# TypeScript the lockfile pins, then pack the output deterministically. Runs the same in the VM and natively.
set -e
node node_modules/typescript/bin/tsc -p src/tsconfig.esm.json
mkdir -p out
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf out/rxjs-esm.tar dist
echo "compiled with TypeScript $(node node_modules/typescript/bin/tsc --version), node $(node --version)"
