#!/usr/bin/env bash
# Runs end-to-end tests under Node 24 LTS, the Node of the images, after the main run, which uses
# the oldest Node the project still supports (package.json engines). Node 24 comes from the npm
# registry (the `node` package; its platform package also ships the C headers), so nothing else is
# downloaded. better-sqlite3 is a native module built for one Node ABI: it is built a second time,
# in a scratch directory, for Node 24, swapped in for this run only and swapped back on exit,
# so the Node 20 build (and pnpm's store, which hard-links it) stays untouched. The Node 24 build
# is cached in ~/.cache/bookshop-ci (BOOKSHOP_CI_CACHE), keyed by package and exact Node version.
#
# Usage: .ci/node24-tests.sh <json report to write> [test file...]
# NODE24_SPEC picks the version (default: node@ the version in .node-version, as in CI and images).
set -uo pipefail
cd "$(dirname "$0")/.."

report=${1:?usage: .ci/node24-tests.sh <report.json> [test file...]}
shift
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(prisma/src/sqlite-statement-gc.test.ts e2e/start-command.test.ts e2e/order-lifecycle.test.ts)
node_spec=${NODE24_SPEC:-node@$(tr -d '[:space:]' < .node-version)}
started=$SECONDS

work=$(mktemp -d)
swapped=()
restore() {
  # Renames only: the Node 20 binary goes back as the very file (inode) it was.
  for binary in "${swapped[@]}"; do mv -f "$binary.node20" "$binary"; done
  rm -rf "$work"
}
trap restore EXIT
trap 'exit 130' INT TERM

if [[ "$(node --version)" == v24.* ]]; then
  # The main run was on Node 24 already (GitHub's CI, from .node-version): its build serves.
  echo "already on Node $(node --version): no second install or build"
  rm -f "$report"
  E2E_MODE=dist pnpm exec vitest run "${tests[@]}" --reporter=default --reporter=json --outputFile="$report"
  exit
fi

echo "installing $node_spec from the npm registry"
npm install --prefix "$work/node" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "$node_spec" >/dev/null \
  || { echo "could not install $node_spec"; exit 1; }
# `node` installs node-<platform>-<arch> beside itself (its preinstall script); that package has
# bin/node and include/node, which node-gyp takes as --nodedir.
node_dir=
for candidate in "$work"/node/node_modules/node/node_modules/node-*; do
  [ -x "$candidate/bin/node" ] && [ -d "$candidate/include/node" ] && node_dir=$candidate
done
[ -n "$node_dir" ] || { echo "$node_spec has no bin/node with include/node"; exit 1; }
export PATH="$node_dir/bin:$PATH"
case "$(node --version)" in
  v24.*) echo "using Node $(node --version) from $node_dir" ;;
  *) echo "expected Node 24 first on PATH, got $(node --version)"; exit 1 ;;
esac

cache=${BOOKSHOP_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bookshop-ci}
loads() { [ -f "$1" ] && node -e 'require(process.argv[1])' "$1" 2>/dev/null; }
for pkg in "$PWD"/node_modules/.pnpm/better-sqlite3@*/node_modules/better-sqlite3; do
  [ -f "$pkg/binding.gyp" ] || continue
  binary="$pkg/build/Release/better_sqlite3.node"
  # A run killed before its restore left the Node 20 build aside: put it back first.
  [ -f "$binary.node20" ] && { mv -f "$binary.node20" "$binary" || exit 1; }
  name=$(basename "$(dirname "$(dirname "$pkg")")")
  # Compiling takes minutes: the result is kept per package version and exact Node version.
  cached="$cache/$name-node-$(node --version)-$(node -p 'process.platform + "-" + process.arch').node"
  if ! loads "$cached"; then
    build="$work/$name"
    mkdir -p "$build" "$cache" && cp -r "$pkg"/{package.json,binding.gyp,src,deps} "$build"/ || exit 1
    echo "building $name for Node 24"
    # The package's own install script: a prebuilt binary when the download works (GitHub), else
    # compile from source against Node 24's headers (offline machines; a few minutes on two cores).
    prebuild=$(node -p "require.resolve('prebuild-install/bin.js', { paths: ['$pkg'] })" 2>/dev/null)
    if ! (cd "$build" && [ -n "$prebuild" ] && timeout 120 node "$prebuild" >/dev/null 2>&1); then
      (cd "$build" && npm_config_nodedir="$node_dir" JOBS=max npm run --silent build-release >"$build.log" 2>&1) \
        || { tail -n 30 "$build.log"; echo "could not build $name for Node 24"; exit 1; }
    fi
    loads "$build/build/Release/better_sqlite3.node" || { echo "the Node 24 build of $name does not load"; exit 1; }
    cp "$build/build/Release/better_sqlite3.node" "$cached.$$" && mv "$cached.$$" "$cached" || exit 1
  else
    echo "$name for Node 24 from $cached"
  fi
  mv "$binary" "$binary.node20" && swapped+=("$binary") || exit 1
  cp "$cached" "$binary.node24" && mv "$binary.node24" "$binary" || exit 1
done
(cd prisma && node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()") \
  || { echo "better-sqlite3 does not load under Node 24"; exit 1; }
echo "Node 24 ready after $((SECONDS - started))s"

rm -f "$report"
E2E_MODE=dist pnpm exec vitest run "${tests[@]}" --reporter=default --reporter=json --outputFile="$report"
status=$?
echo "the Node 24 step took $((SECONDS - started))s"
exit $status
