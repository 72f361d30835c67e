# Copyright: (c) 2026, cdnops engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cdnops.cdn.changed_paths filter: registered deploy results -> the URL paths whose content changed."""

import posixpath
import re
import shlex
from collections.abc import Mapping, Sequence
from urllib.parse import quote

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: changed_paths
author:
  - cdnops engineers (@cdnops)
version_added: 0.1.0
short_description: The URL paths that a file deployment changed, for a CDN purge
description:
  - Reads the registered result of tasks that put files on a web server and returns the URL paths of the files whose
    content changed, ready for the O(cdnops.cdn.cdn_purge#module:paths) option or the C(cdn_purge_paths) variable of
    the role C(cdnops.cdn.purge).
  - Understands the results of M(ansible.builtin.copy), M(ansible.builtin.template), M(ansible.builtin.get_url),
    M(ansible.builtin.unarchive), M(ansible.builtin.file) and C(ansible.posix.synchronize), each on its own or
    registered from a C(loop) (a result with C(results)). A list of such results is accepted too, so several deploy
    tasks can be combined, for example C([site_files, site_templates]).
  - Results that did not change (C(changed=false)), and skipped loop items, give nothing.
  - "Per module: M(ansible.builtin.copy), M(ansible.builtin.template) and M(ansible.builtin.get_url) give their C(dest)
    file. C(ansible.posix.synchronize) gives every file its itemised rsync output lists as transferred (C(>f), C(<f),
    C(cf)), created as a link (C(cL), C(hf)) or deleted (C(*deleting)); files whose attributes alone changed
    (C(.f..t......)) and directories give nothing. M(ansible.builtin.unarchive) with C(list_files: true) gives every
    file of the archive (the module does not say which of them changed). M(ansible.builtin.file) gives its C(path)
    for a changed file or link, nothing for a created directory."
  - Some results do not say which files changed - a recursive M(ansible.builtin.copy) of a directory with more than
    one file returns only the destination directory, and M(ansible.builtin.unarchive) without C(list_files) only
    C(dest). The filter fails for these unless O(directories=prefix). Copy file by file with a C(loop), use
    C(ansible.posix.synchronize), or set C(list_files) instead.
  - Only paths under O(docroot) are URLs; anything else (a configuration file, a log) is ignored, so the results of
    unrelated tasks can be passed too. A relative destination is an error, because it cannot be placed.
  - The part of each path below O(docroot) is percent-encoded the way a browser requests it (UTF-8, white space as
    C(%20)); letters, digits, C(/), parentheses and C(-._~!$&'+,;=:@) are kept. C(*) is encoded as C(%2A) so that a file name
    never turns into a wildcard purge; C(?), C(#) and C(%) are encoded too.
  - The result is sorted and has no duplicates.
positional: docroot, url_prefix
options:
  _input:
    description:
      - A registered task result, or a list of them. Loop results (with C(results)) are read item by item.
    type: raw
    required: true
  docroot:
    description:
      - The absolute path on the server from which the site is served, for example V(/var/www/site).
    type: str
    required: true
  url_prefix:
    description:
      - The URL path at which O(docroot) is served, for example V(/) or V(/blog/). It must start with C(/) and is
        used as given (not encoded).
    type: str
    default: /
  directories:
    description:
      - What to do with a changed result that names a directory without saying which of its files changed (a
        recursive M(ansible.builtin.copy), M(ansible.builtin.unarchive) without C(list_files), M(ansible.builtin.file)
        removing a directory).
      - V(error) fails, naming the result and how to get file-level results.
      - V(prefix) purges the whole directory with a trailing C(*), for example V(/assets/*). Not every provider has
        prefix purges (5centsCDN has none), and the providers' wildcard rules apply.
    type: str
    default: error
    choices: [error, prefix]
  index_files:
    description:
      - File names that the web server serves for a directory URL, like V(index.html). When one of them changed,
        the directory URL (V(/blog/) for V(/blog/index.html)) is returned as well, because CDNs cache it separately.
    type: list
    elements: str
    default: []
notes:
  - In check mode M(ansible.builtin.copy) and M(ansible.builtin.template) return no destination for a task without a
    C(loop); the filter cannot place such a result and returns nothing for it. Loop items keep their destination (in
    C(invocation)) and are read normally.
  - Deleted files matter as much as changed ones, a CDN would go on serving them. C(ansible.posix.synchronize) with
    C(delete=true) lists them; M(ansible.builtin.file) with C(state=absent) gives its path.
seealso:
  - module: cdnops.cdn.cdn_purge
"""

EXAMPLES = r"""
- name: Deploy the site, file by file
  ansible.builtin.copy:
    src: "site/{{ item }}"
    dest: "/var/www/site/{{ item }}"
    mode: "0644"
  loop: [index.html, css/site.css, img/logo.svg]
  register: site_deploy

- name: Purge what changed
  cdnops.cdn.cdn_purge:
    provider: imagemash
    paths: "{{ site_deploy | cdnops.cdn.changed_paths(docroot='/var/www/site') }}"
  delegate_to: localhost
  run_once: true
  # [/css/site.css] when only that file changed

- name: Synchronize a build and purge it, deleted files included, with /blog/ served from the docroot
  ansible.posix.synchronize:
    src: build/
    dest: /var/www/blog
    delete: true
  register: blog_sync

- name: Give the paths to the cdnops.cdn.purge role
  ansible.builtin.include_role:
    name: cdnops.cdn.purge
  vars:
    cdn_purge_paths: "{{ blog_sync | cdnops.cdn.changed_paths('/var/www/blog', '/blog/', index_files=['index.html']) }}"
  # [/blog/, /blog/index.html, /blog/posts/old%20post.html] when index.html changed and 'old post.html' was deleted

- name: Several deploy results at once; an unarchive without list_files purges its whole directory
  ansible.builtin.debug:
    msg: "{{ [site_deploy, assets_unarchive] | cdnops.cdn.changed_paths(docroot='/var/www/site', directories='prefix') }}"
  # [/assets/*, /index.html]
"""

RETURN = r"""
_value:
  description:
    - The URL paths, each starting with O(url_prefix), sorted and without duplicates. Empty when nothing changed.
    - With O(directories=prefix), a directory whose changed files are unknown is one path ending in C(*).
  type: list
  elements: str
  sample: [/css/site.css, /img/new%20logo.svg, /index.html]
"""

NAME = "changed_paths"
# Kept as they are in request paths; everything else is percent-encoded ("*" too: never a wildcard by accident).
SAFE = "/!$&'()+,;=:@~"
DIRECTORY_CHOICES = ("error", "prefix")
# synchronize prints rsync's --out-format=%i %n%L: an 11-character change summary (9 before rsync 3), a space, the name.
ITEMIZED = re.compile(r"^(?P<change>[<>ch.])(?P<kind>[fdLDS])(?:[^ ]{9}|[^ ]{7}| {9}| {7}) (?P<name>.+)$")
DELETING = "*deleting"
RSYNC_ESCAPE = re.compile(r"\\#([0-7]{3})")
# [user@]host: in front of a synchronize destination on another host (also [IPv6]:).
REMOTE_PREFIX = re.compile(r"^(?:[^/@:\s]+@)?(?:\[[^\]/]*\]|[^/:\s]+):(?!//)")
# What a check-mode copy or template result without a loop holds: no destination at all.
CHECK_MODE_ONLY_KEYS = frozenset(("changed", "diff", "failed", "skipped", "msg", "item", "ansible_loop_var", "ansible_index_var", "_ansible_no_log"))


def _fail(message):
    raise AnsibleFilterError("%s: %s" % (NAME, message))


class _Collector:
    """Turns result dicts into URL paths for one docroot and URL prefix."""

    def __init__(self, docroot, url_prefix, directories, index_files):
        self.docroot = docroot
        self.url_prefix = url_prefix
        self.directories = directories
        self.index_files = index_files
        self.paths = set()

    # Mapping server locations to URLs.

    def _relative(self, location, where):
        """The location below the docroot ('' for the docroot itself), or None when it is outside."""
        if not location.startswith("/"):
            _fail(
                "%s: the destination %r is a relative path, which cannot be placed under docroot %r; use absolute destinations"
                % (where, location, self.docroot)
            )
        location = posixpath.normpath(location)
        if location.startswith("//"):
            location = "/" + location.lstrip("/")
        if location == self.docroot:
            return ""
        base = self.docroot if self.docroot == "/" else self.docroot + "/"
        if location.startswith(base):
            return location[len(base) :]
        return None

    def _url(self, relative):
        return self.url_prefix.rstrip("/") + "/" + quote(relative, safe=SAFE, errors="surrogateescape")

    def add_file(self, location, where):
        relative = self._relative(location, where)
        if not relative:  # outside the docroot, or the docroot itself (not a file)
            return
        self.paths.add(self._url(relative))
        directory, name = posixpath.split(relative)
        if name in self.index_files:
            self.paths.add(self._url(directory + "/" if directory else ""))

    def add_directory(self, location, where, why, instead):
        relative = self._relative(location, where)
        if relative is None:
            covers_docroot = self.docroot.startswith(posixpath.normpath(location).rstrip("/") + "/")
            if not covers_docroot:
                return
            relative = ""
        if self.directories == "error":
            _fail(
                "%s %s, so which files changed is unknown. %s, or pass directories='prefix' to purge all of %s"
                % (where, why, instead, self._url(relative + "/" if relative else "") + "*")
            )
        self.paths.add(self._url(relative + "/" if relative else "") + "*")

    # Reading results.

    def read(self, value, where):
        if isinstance(value, Mapping):
            if "results" in value and isinstance(value["results"], Sequence) and not isinstance(value["results"], (str, bytes)):
                for index, item in enumerate(value["results"]):
                    if not isinstance(item, Mapping):
                        _fail("%s.results[%d] must be a task result (a dict), got %s" % (where, index, type(item).__name__))
                    self.read_result(item, "%s.results[%d]" % (where, index))
            else:
                self.read_result(value, where)
        elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
            for index, item in enumerate(value):
                if not isinstance(item, (Mapping, Sequence)) or isinstance(item, (str, bytes)):
                    _fail("%s[%d] must be a registered task result (a dict) or a list of them, got %s" % (where, index, type(item).__name__))
                self.read(item, "%s[%d]" % (where, index))
        else:
            _fail("the input must be a registered task result (a dict) or a list of them, got %s" % type(value).__name__)

    def read_result(self, result, where):
        if not result.get("changed") or result.get("skipped"):
            return
        if _is_synchronize(result):
            self.read_synchronize(result, where)
            return
        arguments = result.get("invocation", {}).get("module_args", {}) if isinstance(result.get("invocation"), Mapping) else {}
        if "files" in result and "dest" in result:
            self.read_unarchive_files(result, where)
        elif "extract_results" in result or "handler" in result:
            self.add_directory(
                _text(result.get("dest", ""), where, "dest"),
                "%s (unarchive into %r)" % (where, result.get("dest")),
                "lists no files",
                "Set list_files: true on the unarchive task",
            )
        elif "dest" in result:
            self.read_destination(_text(result["dest"], where, "dest"), where)
        elif "path" in result:
            self.read_file_module(result, _text(result["path"], where, "path"), where)
        elif "dest" in arguments or "path" in arguments:
            # Loop items keep the task's arguments: a check-mode copy or template of one file has nothing else.
            location = _text(arguments.get("dest", arguments.get("path")), where, "invocation.module_args.dest")
            if location.endswith("/") and arguments.get("src"):
                location += posixpath.basename(_text(arguments["src"], where, "invocation.module_args.src").rstrip("/"))
            self.read_destination(location, where)
        elif set(result) <= CHECK_MODE_ONLY_KEYS:
            return  # a check-mode copy or template without a loop: Ansible does not say where (documented)
        else:
            _fail(
                "%s changed but names no file (no dest, path or rsync output; keys: %s); pass only the results of copy, template, "
                "synchronize, unarchive, get_url or file tasks" % (where, ", ".join(sorted(result)))
            )

    def read_destination(self, dest, where):
        # A recursive copy of several files returns only the destination directory, always with a trailing slash.
        if dest.endswith("/"):
            self.add_directory(
                dest,
                "%s (a recursive copy into %r)" % (where, dest),
                "returns only the destination directory",
                "Copy file by file with a loop, or use ansible.posix.synchronize",
            )
        else:
            self.add_file(dest, where)

    def read_file_module(self, result, path, where):
        state = result.get("state")
        if state == "directory":
            return  # a created directory or changed directory attributes: no URL content changed
        if state == "absent":
            before = result.get("diff", {}).get("before", {}) if isinstance(result.get("diff"), Mapping) else {}
            if isinstance(before, Mapping) and before.get("state") == "directory":
                self.add_directory(path, "%s (removal of the directory %r)" % (where, path), "removed a whole directory", "Remove files one by one")
                return
        self.add_file(path, where)

    def read_unarchive_files(self, result, where):
        dest = _text(result["dest"], where, "dest")
        files = result["files"]
        if not isinstance(files, Sequence) or isinstance(files, (str, bytes)):
            _fail("%s.files must be a list of file names, got %s" % (where, type(files).__name__))
        for index, name in enumerate(files):
            name = _text(name, where, "files[%d]" % index)
            if name.endswith("/"):
                continue  # a directory entry; its files are listed on their own
            self.add_file(posixpath.join(dest, name), where)

    def read_synchronize(self, result, where):
        dest = _synchronize_dest(result, where)
        lines = result.get("stdout_lines")
        if lines is None:
            message = result.get("msg")
            lines = message.splitlines() if isinstance(message, str) else []
        for line in lines:
            if not isinstance(line, str):
                continue
            name = _changed_rsync_name(line)
            if name is not None:
                self.add_file(posixpath.join(dest, name), where)


def _text(value, where, key):
    if not isinstance(value, str):
        _fail("%s.%s must be a string, got %s" % (where, key, type(value).__name__))
    return value


def _is_synchronize(result):
    command = result.get("cmd")
    return isinstance(command, str) and "--out-format=" in command and "rsync" in command and ("stdout_lines" in result or "msg" in result)


def _synchronize_dest(result, where):
    try:
        words = shlex.split(result["cmd"])
    except ValueError as exc:
        _fail("%s: cannot read the rsync command line %r: %s" % (where, result["cmd"], exc))
    if not words:
        _fail("%s: the rsync command line is empty" % where)
    dest = words[-1]
    if dest.startswith("rsync://"):
        _fail("%s: the rsync destination %r is an rsync daemon module, whose path on the server is unknown" % (where, dest))
    return REMOTE_PREFIX.sub("", dest, count=1)


def _rsync_unescape(name):
    """rsync prints unprintable bytes of a name as \\#ooo (octal)."""
    if "\\#" not in name:
        return name
    data = bytearray()
    position = 0
    for match in RSYNC_ESCAPE.finditer(name):
        data += name[position : match.start()].encode("utf-8", "surrogateescape")
        data.append(int(match.group(1), 8))
        position = match.end()
    data += name[position:].encode("utf-8", "surrogateescape")
    return data.decode("utf-8", "surrogateescape")


def _changed_rsync_name(line):
    """The file name an itemised rsync line names, when that file's content changed or it was deleted; else None."""
    if line.startswith(DELETING + " "):
        name = line[len(DELETING) :].lstrip(" ")
        return None if not name or name.endswith("/") else _rsync_unescape(name)
    match = ITEMIZED.match(line)
    if not match or match.group("change") == ".":
        return None  # not an itemised line, or only attributes (times, permissions) changed
    kind, name = match.group("kind"), match.group("name")
    if kind == "L":
        name = name.split(" -> ", 1)[0]
    elif kind == "f":
        name = name.split(" => ", 1)[0] if match.group("change") == "h" else name
    else:
        return None  # directories, devices and special files are not URLs
    return _rsync_unescape(name)


def changed_paths(results, docroot=None, url_prefix="/", directories="error", index_files=None):
    """The URL paths of the files the given deploy results changed (see DOCUMENTATION)."""
    if docroot is None:
        _fail("docroot is required: the absolute path on the server from which the site is served, like docroot='/var/www/site'")
    if not isinstance(docroot, str) or not docroot.startswith("/"):
        _fail("docroot must be an absolute path on the server, like '/var/www/site'; got %r" % (docroot,))
    if not isinstance(url_prefix, str) or not url_prefix.startswith("/"):
        _fail("url_prefix must be a URL path starting with '/', like '/' or '/blog/'; got %r" % (url_prefix,))
    if directories not in DIRECTORY_CHOICES:
        _fail("directories must be one of %s; got %r" % (", ".join(DIRECTORY_CHOICES), directories))
    if index_files is None:
        index_files = []
    if not isinstance(index_files, Sequence) or isinstance(index_files, (str, bytes)):
        _fail("index_files must be a list of file names, like ['index.html']; got %r" % (index_files,))
    for name in index_files:
        if not isinstance(name, str) or not name or "/" in name:
            _fail("index_files must hold plain file names without '/', like 'index.html'; got %r" % (name,))
    docroot = posixpath.normpath(docroot)
    if docroot.startswith("//"):
        docroot = "/" + docroot.lstrip("/")
    collector = _Collector(docroot, url_prefix, directories, frozenset(index_files))
    collector.read(results, "input")
    return sorted(collector.paths)


class FilterModule:
    """cdnops.cdn filters."""

    def filters(self):
        return {NAME: changed_paths}
