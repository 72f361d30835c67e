#!/usr/bin/env bash
# What Galaxy does with an uploaded collection, on the tarball `ansible-galaxy collection build` makes:
#   1. galaxy-importer (metadata, ansible-doc of every plugin, changelog, ansible-lint), offline, from
#      .venvs/importer, configured by scripts/galaxy-importer.cfg; any ERROR or WARNING fails;
#   2. ansible-test sanity on the unpacked tarball, --local in .venvs/sanity (the importer would run it in a
#      container, which we cannot: see scripts/galaxy-importer.cfg). Skip with SKIP_SANITY=1.
# Output: build/dist/<tarball>, build/dist/importer.log.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-python3}
IMPORTER=$ROOT/.venvs/importer
SANITY=$ROOT/.venvs/sanity
DIST=$ROOT/build/dist
IMPORTER_SPEC="galaxy-importer>=0.4.30,<0.5"

if [ ! -f "$IMPORTER/.installed" ]; then
  rm -rf "$IMPORTER"
  "$PYTHON" -m venv "$IMPORTER"
  "$IMPORTER/bin/python" -m pip install --quiet --upgrade pip
  "$IMPORTER/bin/python" -m pip install --quiet "$IMPORTER_SPEC"
  touch "$IMPORTER/.installed"
fi

rm -rf "$DIST"
mkdir -p "$DIST"
"$IMPORTER/bin/ansible-galaxy" collection build --output-path "$DIST" "$ROOT" >/dev/null
tarball=$(ls "$DIST"/cdnops-cdn-*.tar.gz)
echo "== galaxy-importer $(basename "$tarball")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
(cd "$work" && env -u ANSIBLE_COLLECTIONS_PATH -u ANSIBLE_CONFIG GALAXY_IMPORTER_CONFIG="$ROOT/scripts/galaxy-importer.cfg" \
  PATH="$IMPORTER/bin:$PATH" ANSIBLE_LOCAL_TEMP="$work/tmp" "$IMPORTER/bin/python" -m galaxy_importer.main "$tarball") \
  >"$DIST/importer.log" 2>&1 || status=$?
grep -Ev '^(Loading |WARNING: Location .* is ignored)' "$DIST/importer.log" || true
if [ "$status" != 0 ] || grep -Eq '^(ERROR|WARNING)' "$DIST/importer.log"; then
  echo "galaxy-importer: failed or warned (exit $status); full log: $DIST/importer.log" >&2
  exit 1
fi
[ "${SKIP_SANITY:-0}" = 1 ] && exit 0

echo "== ansible-test sanity --local on the unpacked tarball"
collection=$work/ansible_collections/cdnops/cdn
mkdir -p "$collection"
tar -xzf "$tarball" -C "$collection"
(cd "$collection" && git init -q && git add -A)
if [ ! -x "$SANITY/bin/ansible-test" ]; then
  "$PYTHON" -m venv "$SANITY"
  "$SANITY/bin/python" -m pip install --quiet "ansible-core>=2.19,<2.20"
fi
# ansible-test downloads a pip bootstrap script from a host we cannot reach; give it the offline one (as make sanity).
mkdir -p "$HOME/.ansible/test/cache"
for version in $("$SANITY/bin/python" -c "import re, ansible_test, pathlib; print(' '.join(re.findall(r\"pip='([0-9.]+)'\", (pathlib.Path(ansible_test.__file__).parent / '_internal/python_requirements.py').read_text())))"); do
  cp tests/sanity/offline_get_pip.py "$HOME/.ansible/test/cache/get_pip_${version//./_}.py"
done
python_version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
(cd "$collection" && env -u ANSIBLE_COLLECTIONS_PATH "$SANITY/bin/ansible-test" sanity --local --requirements --python "$python_version" --color no)
