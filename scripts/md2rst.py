"""Generate the docsite's RST guides from the hand-written Markdown in docs/ (the source of truth).

antsibull-docs takes extra documentation only as RST under docs/docsite/rst/, while docs/*.md is what people
read in the repository and on Galaxy. This converts the small Markdown subset the guides use: headings,
paragraphs, "- " lists (nested by two spaces), pipe tables, fenced code blocks, `code`, **bold** and
[links](url). Anything else is an error, so the two never silently differ.

    python3 scripts/md2rst.py            # write docs/docsite/rst/<name>.rst for every guide
    python3 scripts/md2rst.py --check    # exit 1 if a committed .rst is not what the .md generates
"""

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUIDES = ("role", "providers", "troubleshooting", "security", "awx")
LABEL = "ansible_collections.cdnops.cdn.docsite.%s"
HEADINGS = {1: ("*", True), 2: ("=", False), 3: ("-", False), 4: ("^", False)}
INLINE = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)")


class ConversionError(Exception):
    pass


def escape_text(text):
    text = text.replace("\\", "\\\\")
    text = re.sub(r"([*|`])", r"\\\1", text)
    # word_ is a reference in RST; _word too at the start of a word.
    text = re.sub(r"(?<=\w)_(?=\W|$)", r"\\_", text)
    return re.sub(r"(?:(?<=\W)|^)_(?=\w)", r"\\_", text)


def inline(text):
    """Markdown inline markup to RST inline markup."""
    out, position = [], 0
    for match in INLINE.finditer(text):
        out.append(escape_text(text[position : match.start()]))
        code, bold, link_text, url = match.groups()
        if code is not None:
            if code != code.strip():
                raise ConversionError("inline code with surrounding spaces: %r" % code)
            piece = "``%s``" % code
        elif bold is not None:
            piece = "**%s**" % escape_text(bold)
        else:
            piece = "`%s <%s>`__" % (link_text.replace("`", ""), url)
        # RST inline markup must not touch letters or digits on either side.
        if match.start() > 0 and text[match.start() - 1].isalnum():
            piece = "\\ " + piece
        if match.end() < len(text) and text[match.end()].isalnum():
            piece += "\\ "
        out.append(piece)
        position = match.end()
    out.append(escape_text(text[position:]))
    return "".join(out)


def table_cells(line):
    line = line.strip()
    if not (line.startswith("|") and line.endswith("|")):
        raise ConversionError("table row must start and end with |: %r" % line)
    return [cell.strip() for cell in line[1:-1].split("|")]


def convert_table(rows):
    header = table_cells(rows[0])
    if not all(set(cell) <= set("-: ") for cell in table_cells(rows[1])):
        raise ConversionError("second table row must be the separator: %r" % rows[1])
    out = [".. list-table::", "   :header-rows: 1", ""]
    for row in [header] + [table_cells(row) for row in rows[2:]]:
        if len(row) != len(header):
            raise ConversionError("table row has %d cells, the header %d: %r" % (len(row), len(header), row))
        for index, cell in enumerate(row):
            out.append(("   * - " if index == 0 else "     - ") + (inline(cell) or "\\ "))
    return out + [""]


def convert_list(lines):
    """'- ' items with two-space continuation lines; nested items indented by two more spaces."""
    out = []
    items = []  # (depth, [text lines])
    for line in lines:
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if stripped.startswith("- "):
            if indent % 2:
                raise ConversionError("list item indented by an odd number of spaces: %r" % line)
            items.append((indent // 2, [stripped[2:]]))
        elif items and indent == 2 * items[-1][0] + 2:
            items[-1][1].append(stripped)
        else:
            raise ConversionError("list continuation must be indented under its item: %r" % line)
    previous_depth = 0
    for depth, text in items:
        if depth > previous_depth + 1:
            raise ConversionError("list nested by more than one level at once: %r" % text[0])
        if depth != previous_depth:
            out.append("")
        # Inline markup may span lines in Markdown: convert the item as one line.
        out.append("  " * depth + "- " + inline(" ".join(text)))
        previous_depth = depth
    return out + [""]


def convert(markdown, name):
    lines = markdown.splitlines()
    out = [".. _%s:" % (LABEL % name), ""]
    index = 0
    seen_title = False
    while index < len(lines):
        line = lines[index]
        # Blank lines, and HTML comments (the markers of generated blocks), produce nothing.
        if not line.strip() or (line.startswith("<!--") and line.rstrip().endswith("-->")):
            index += 1
            continue
        heading = re.match(r"^(#{1,4}) (.+)$", line)
        if heading:
            level, text = len(heading.group(1)), inline(heading.group(2).strip())
            if (level == 1) == seen_title:
                raise ConversionError("exactly one level-1 heading, first: %r" % line)
            seen_title = True
            char, overline = HEADINGS[level]
            rule = char * len(text)
            out.extend(([rule] if overline else []) + [text, rule, ""])
            index += 1
        elif line.startswith("```"):
            language = line[3:].strip() or "text"
            end = index + 1
            while end < len(lines) and not lines[end].startswith("```"):
                end += 1
            if end == len(lines):
                raise ConversionError("unclosed code block at line %d" % (index + 1))
            out.extend([".. code-block:: %s" % language, ""])
            out.extend(("   " + code) if code.strip() else "" for code in lines[index + 1 : end])
            out.append("")
            index = end + 1
        else:
            end = index
            while end < len(lines) and lines[end].strip() and not re.match(r"^(#{1,4} |```)", lines[end]):
                end += 1
            block = lines[index:end]
            if block[0].startswith("|"):
                out.extend(convert_table(block))
            elif block[0].startswith("- "):
                out.extend(convert_list(block))
            elif any(re.match(r"^\s*(- |\|)", text) for text in block):
                raise ConversionError("a list or table must follow a blank line: %r" % block[0])
            else:
                out.extend([inline(" ".join(text.strip() for text in block)), ""])
            index = end
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


def targets():
    for name in GUIDES:
        yield name, ROOT / "docs" / ("%s.md" % name), ROOT / "docs" / "docsite" / "rst" / ("%s.rst" % name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--check", action="store_true", help="only check that the committed RST is up to date")
    args = parser.parse_args()
    stale = []
    for name, source, target in targets():
        try:
            rst = convert(source.read_text(encoding="utf-8"), name)
        except ConversionError as exc:
            print("%s: %s" % (source.relative_to(ROOT), exc), file=sys.stderr)
            return 2
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == rst:
            continue
        if args.check:
            stale.append(str(target.relative_to(ROOT)))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(rst, encoding="utf-8")
            print("wrote %s" % target.relative_to(ROOT))
    if stale:
        print("out of date (run python3 scripts/md2rst.py): %s" % ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
