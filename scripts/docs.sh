#!/usr/bin/env bash
# The collection's documentation in the Ansible ecosystem's format (`make docs`):
#   1. docs/docsite/rst/*.rst regenerated from the hand-written docs/*.md (scripts/md2rst.py);
#   2. antsibull-docs lint-collection-docs --plugin-docs: plugin, role and extra docs, links, RST;
#   3. a docsite made by antsibull-docs sphinx-init and built with Sphinx: HTML in build/docs/html.
# The tools live in .venvs/docs (requirements-docs.txt), created here. Everything generated is under build/.
#   scripts/docs.sh          # all three
#   scripts/docs.sh lint     # 1 and 2 only
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-python3}
VENV=$ROOT/.venvs/docs
COLLECTIONS=$ROOT/build/collections
LINK=$COLLECTIONS/ansible_collections/cdnops/cdn
DEST=$ROOT/build/docs
MODE=${1:-all}

# shellcheck source=scripts/venv.sh
. scripts/venv.sh
ensure_venv "$VENV" requirements-docs.txt
# antsibull-docs runs ansible-doc and ansible from PATH: the docs venv's, and only this collections tree.
export PATH=$VENV/bin:$PATH
export ANSIBLE_COLLECTIONS_PATH=$COLLECTIONS
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
export ANSIBLE_NOCOLOR=1
unset ANSIBLE_CONFIG

"$VENV/bin/python" scripts/md2rst.py
mkdir -p "$(dirname "$LINK")"
ln -sfn "$ROOT" "$LINK"

echo "== antsibull-docs lint-collection-docs --plugin-docs"
(cd "$LINK" && antsibull-docs lint-collection-docs --plugin-docs .)
[ "$MODE" = lint ] && exit 0

echo "== docsite: antsibull-docs sphinx-init, antsibull-docs collection, sphinx-build"
rm -rf "$DEST"
mkdir -p "$DEST"  # antsibull-docs wants directories only their owner can write
chmod 700 "$DEST"
mkdir -m 700 "$DEST/src"
antsibull-docs sphinx-init --use-current --fail-on-error --dest-dir "$DEST/src" cdnops.cdn >/dev/null
if [ "${DOCS_OFFLINE:-1}" = 1 ]; then
  # No network here: Sphinx cannot fetch the intersphinx inventories (docs.python.org, docs.ansible.com).
  cat >>"$DEST/src/conf.py" <<'PY'

# Added by scripts/docs.sh (DOCS_OFFLINE=1): no intersphinx inventories can be fetched offline.
intersphinx_mapping = {}
PY
fi
# What the generated build.sh does, minus its `pip install` (requirements-docs.txt has the tools).
(
  cd "$DEST/src"
  mkdir -p -m 700 rst
  antsibull-docs --config-file antsibull-docs.cfg collection --cleanup everything --use-current --fail-on-error \
    --dest-dir rst cdnops.cdn
  # Warnings go to warnings.txt and are judged below.
  sphinx-build -q -b html -c . -d "$DEST/doctrees" --keep-going -w "$DEST/warnings.txt" rst "$DEST/html" 2>"$DEST/sphinx.log" \
    || { cat "$DEST/sphinx.log" >&2; exit 1; }
)
# Every warning fails the build, except (offline) links to other docs: ansible.builtin and Ansible's guides,
# which resolve through intersphinx on a machine with network. Links within cdnops.cdn must resolve.
allowed="undefined label: '(ansible_collections\.ansible\.builtin\.[a-z_]+|[a-z_]+)' \[ref\.ref\]"
[ "${DOCS_OFFLINE:-1}" = 1 ] || allowed='^$'
if grep -Ev "$allowed" "$DEST/warnings.txt" | grep -v '^$' | grep -q .; then
  grep -Ev "$allowed" "$DEST/warnings.txt" >&2
  echo "docs: Sphinx warnings (above)" >&2
  exit 1
fi
echo "docs: $DEST/html/index.html"
