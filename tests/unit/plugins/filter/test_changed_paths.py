"""The cdnops.cdn.changed_paths filter, on results shaped exactly as ansible-core 2.19 and ansible.posix return them."""

import posixpath
from urllib.parse import unquote

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.cdnops.cdn.plugins.filter.changed_paths import FilterModule, changed_paths

DOCROOT = "/var/www/site"


def copied(dest, changed=True):
    """An ansible.builtin.copy result for one file (template and the file module's path/dest look the same)."""
    return {
        "changed": changed,
        "checksum": "3f786850e387550fdab836ed7e6dc881de23001b",
        "dest": dest,
        "diff": [],
        "failed": False,
        "mode": "0644",
        "size": 2,
        "src": "/root/.ansible/tmp/ansible-tmp-1/.source.html",
        "state": "file",
    }


def loop(*items, **extra):
    """A registered loop: the items under results."""
    results = []
    for index, item in enumerate(items):
        results.append(dict(item, ansible_loop_var="item", item="file-%d" % index))
    return dict({"changed": any(item.get("changed") for item in items), "msg": "All items completed", "results": results, "skipped": False}, **extra)


def synchronized(lines, dest=DOCROOT, changed=True, remote="deploy@web1:"):
    """An ansible.posix.synchronize result: the module strips its <<CHANGED>> markers from msg and stdout_lines."""
    command = (
        "/usr/bin/rsync --delay-updates -F --compress --archive "
        "'--rsh=/usr/bin/ssh -S none -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null' "
        "'--out-format=<<CHANGED>>%i %n%L' /home/ci/build/site/ " + remote + dest
    )
    return {"changed": changed, "cmd": command, "msg": "".join(line + "\n" for line in lines), "rc": 0, "stdout_lines": list(lines)}


# Real rsync 3.2.7 output for a build pushed with delete=true (see test_synchronize_push).
RSYNC_LINES = [
    ">f+++++++++ café.txt",
    "cL+++++++++ home.html -> index.html",
    ">f.st...... index.html",
    ".f..t...... same.txt",
    ".d..t...... ./",
    "cd+++++++++ css/",
    ">f+++++++++ css/site.css",
    "cd+++++++++ img/",
    ">f+++++++++ img/new logo.svg",
    "*deleting   olddir/x.html",
    "*deleting   olddir/",
    "*deleting   old.html",
]


def unarchived(dest, files=None, changed=True):
    result = {
        "changed": changed,
        "dest": dest,
        "extract_results": {"cmd": ["/usr/bin/tar", "--extract", "-C", dest, "-z", "-f", "/tmp/source"], "err": "", "out": "", "rc": 0},
        "handler": "TgzArchive",
        "src": "/root/.ansible/tmp/ansible-tmp-1/source",
        "state": "directory",
    }
    if files is not None:
        result["files"] = files
    return result


# copy, template, get_url


def test_one_copied_file_gives_its_url_path():
    assert changed_paths(copied(DOCROOT + "/css/site.css"), docroot=DOCROOT) == ["/css/site.css"]


def test_an_unchanged_result_gives_nothing():
    assert changed_paths(copied(DOCROOT + "/css/site.css", changed=False), docroot=DOCROOT) == []


def test_loop_results_give_only_the_changed_items_sorted_and_once():
    results = loop(
        copied(DOCROOT + "/index.html"),
        copied(DOCROOT + "/about.html", changed=False),
        {"changed": False, "skipped": True, "skip_reason": "Conditional result was False", "false_condition": "x"},
        copied(DOCROOT + "/css/site.css"),
        copied(DOCROOT + "/css/site.css"),
    )
    assert changed_paths(results, docroot=DOCROOT) == ["/css/site.css", "/index.html"]


def test_a_list_of_registered_results_is_read_whole():
    files = loop(copied(DOCROOT + "/b.html"), copied(DOCROOT + "/a.html", changed=False))
    template = copied(DOCROOT + "/config.js")
    assert changed_paths([files, template, [copied(DOCROOT + "/c.html")]], docroot=DOCROOT) == ["/b.html", "/c.html", "/config.js"]


def test_get_url_gives_its_dest_file():
    result = {
        "changed": True,
        "checksum_dest": None,
        "checksum_src": "3f786850e387550fdab836ed7e6dc881de23001b",
        "dest": DOCROOT + "/vendor/lib.js",
        "elapsed": 0,
        "msg": "OK (2 bytes)",
        "status_code": 200,
        "url": "https://example.com/lib.js",
    }
    assert changed_paths(result, docroot=DOCROOT) == ["/vendor/lib.js"]


def test_copy_that_changed_only_the_mode_still_purges_the_file():
    # The copy action runs the file module then: it returns path and dest.
    result = dict(copied(DOCROOT + "/a.html"), path=DOCROOT + "/a.html")
    assert changed_paths(result, docroot=DOCROOT) == ["/a.html"]


# Paths, docroot and url_prefix


@pytest.mark.parametrize(
    "dest",
    ["/etc/nginx/sites-enabled/site.conf", "/var/www/site-old/index.html", "/var/www/index.html", DOCROOT],
)
def test_files_outside_the_docroot_are_ignored(dest):
    assert changed_paths(loop(copied(dest), copied(DOCROOT + "/in.html")), docroot=DOCROOT) == ["/in.html"]


@pytest.mark.parametrize("docroot", [DOCROOT, DOCROOT + "/", "/var/www//site/", "/var/www/other/../site"])
def test_docroot_is_normalised(docroot):
    assert changed_paths(copied("/var/www/site/./a/b.html"), docroot=docroot) == ["/a/b.html"]


def test_docroot_can_be_the_root():
    assert changed_paths(copied("/index.html"), docroot="/") == ["/index.html"]


@pytest.mark.parametrize("prefix, expected", [("/", "/a.html"), ("/blog/", "/blog/a.html"), ("/blog", "/blog/a.html"), ("/a%20b/", "/a%20b/a.html")])
def test_url_prefix_is_put_in_front_as_given(prefix, expected):
    assert changed_paths(copied(DOCROOT + "/a.html"), DOCROOT, prefix) == [expected]


@pytest.mark.parametrize(
    "name, expected",
    [
        ("new logo.svg", "/new%20logo.svg"),
        ("café.txt", "/caf%C3%A9.txt"),
        ("wild*.png", "/wild%2A.png"),
        ("q?.html", "/q%3F.html"),
        ("hash#.html", "/hash%23.html"),
        ("100%.html", "/100%25.html"),
        ("a+b (1)@2x,~x.png", "/a+b%20(1)@2x,~x.png"),
        ("tab\tname", "/tab%09name"),
    ],
)
def test_names_are_percent_encoded_like_a_browser_requests_them(name, expected):
    assert changed_paths(copied(DOCROOT + "/" + name), docroot=DOCROOT) == [expected]


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"), min_size=1, max_size=12), max_size=8))
def test_every_changed_name_comes_back_once_sorted_and_decodable(names):
    names = [name for name in names if name not in (".", "..")]
    results = loop(*[copied(DOCROOT + "/d/" + name) for name in names + names])
    paths = changed_paths(results, docroot=DOCROOT)
    assert paths == sorted(set(paths))
    assert sorted(unquote(path) for path in paths) == sorted({"/d/" + name for name in names})
    assert all(" " not in path and "*" not in path and "?" not in path for path in paths)


def test_index_files_add_the_directory_url():
    results = loop(copied(DOCROOT + "/index.html"), copied(DOCROOT + "/blog/index.html"), copied(DOCROOT + "/blog/post.html"))
    assert changed_paths(results, DOCROOT, "/site/", index_files=["index.html"]) == [
        "/site/",
        "/site/blog/",
        "/site/blog/index.html",
        "/site/blog/post.html",
        "/site/index.html",
    ]
    assert changed_paths(results, DOCROOT) == ["/blog/index.html", "/blog/post.html", "/index.html"]


# Directories: recursive copy, unarchive without list_files


def test_a_recursive_copy_is_an_error_naming_the_way_out():
    # What ansible.builtin.copy returns for src=dir/ with more than one file: no file names.
    result = {"changed": True, "dest": DOCROOT + "/assets/", "src": "/home/ci/site/assets/"}
    with pytest.raises(AnsibleFilterError) as error:
        changed_paths(result, docroot=DOCROOT)
    message = str(error.value)
    assert "changed_paths: input (a recursive copy into '/var/www/site/assets/')" in message
    assert "loop" in message and "directories='prefix'" in message and "/assets/*" in message


def test_a_recursive_copy_with_directories_prefix_purges_the_directory():
    results = loop({"changed": True, "dest": DOCROOT + "/", "src": "/site/"}, {"changed": True, "dest": DOCROOT + "/assets/", "src": "/a/"})
    assert changed_paths(results, docroot=DOCROOT, directories="prefix") == ["/*", "/assets/*"]


def test_an_unchanged_recursive_copy_is_no_error():
    assert changed_paths({"changed": False, "dest": DOCROOT + "/", "src": "/site/"}, docroot=DOCROOT) == []


def test_a_directory_above_the_docroot_covers_the_whole_site_and_one_elsewhere_nothing():
    above = {"changed": True, "dest": "/var/www/", "src": "/build/"}
    elsewhere = {"changed": True, "dest": "/etc/nginx/", "src": "/conf/"}
    assert changed_paths([above, elsewhere], docroot=DOCROOT, url_prefix="/blog/", directories="prefix") == ["/blog/*"]
    assert changed_paths(elsewhere, docroot=DOCROOT) == []


def test_unarchive_with_list_files_gives_every_file_of_the_archive():
    result = unarchived(DOCROOT, files=["./", "./sub/", "./sub/b.txt", "./sub/c d.txt", "./a.txt", "site/../x.html"])
    assert changed_paths(result, docroot=DOCROOT) == ["/a.txt", "/sub/b.txt", "/sub/c%20d.txt", "/x.html"]


def test_unarchive_without_list_files_is_an_error_or_a_prefix():
    with pytest.raises(AnsibleFilterError, match=r"unarchive into '/var/www/site/js'.*list_files: true"):
        changed_paths(unarchived(DOCROOT + "/js"), docroot=DOCROOT)
    assert changed_paths(unarchived(DOCROOT + "/js"), docroot=DOCROOT, directories="prefix") == ["/js/*"]
    assert changed_paths(unarchived(DOCROOT + "/js", changed=False), docroot=DOCROOT) == []


# ansible.builtin.file


def test_file_module_results():
    removed = {"changed": True, "path": DOCROOT + "/old.html", "state": "absent", "diff": {"before": {"path": DOCROOT + "/old.html", "state": "file"}}}
    created_directory = {"changed": True, "path": DOCROOT + "/new", "state": "directory", "mode": "0755"}
    touched = {"changed": True, "dest": DOCROOT + "/robots.txt", "state": "file"}
    assert changed_paths([removed, created_directory, touched], docroot=DOCROOT) == ["/old.html", "/robots.txt"]


def test_removing_a_directory_is_a_directory_change():
    removed = {"changed": True, "path": DOCROOT + "/old", "state": "absent", "diff": {"before": {"path": DOCROOT + "/old", "state": "directory"}}}
    with pytest.raises(AnsibleFilterError, match="removed a whole directory"):
        changed_paths(removed, docroot=DOCROOT)
    assert changed_paths(removed, docroot=DOCROOT, directories="prefix") == ["/old/*"]


# ansible.posix.synchronize


def test_synchronize_push_gives_transferred_linked_and_deleted_files():
    assert changed_paths(synchronized(RSYNC_LINES), docroot=DOCROOT) == [
        "/caf%C3%A9.txt",
        "/css/site.css",
        "/home.html",
        "/img/new%20logo.svg",
        "/index.html",
        "/old.html",
        "/olddir/x.html",
    ]


def test_synchronize_attribute_only_changes_and_directories_give_nothing():
    lines = [".f..t...... same.txt", ".d..t...... ./", "cd+++++++++ css/", ".f...p..... perms.html", "*deleting   gone/"]
    assert changed_paths(synchronized(lines), docroot=DOCROOT) == []


def test_synchronize_unchanged_gives_nothing():
    assert changed_paths(synchronized([], changed=False), docroot=DOCROOT) == []


@pytest.mark.parametrize("remote", ["", "web1:", "deploy@web1:", "deploy@[2001:db8::1]:", "[::1]:"])
def test_synchronize_destination_host_is_stripped(remote):
    assert changed_paths(synchronized([">f+++++++++ a.html"], remote=remote), docroot=DOCROOT) == ["/a.html"]


def test_synchronize_of_a_directory_without_trailing_slash_names_it_under_dest():
    # src=build/site (no slash) to dest=/var/www: rsync names are site/..., relative to dest.
    lines = ["cd+++++++++ site/", ">f+++++++++ site/index.html", ">f+++++++++ other/x.html"]
    assert changed_paths(synchronized(lines, dest="/var/www"), docroot=DOCROOT) == ["/index.html"]


def test_synchronize_reads_msg_when_stdout_lines_is_missing_and_older_rsync_format():
    result = synchronized([])
    del result["stdout_lines"]
    # rsync 2.6 prints a 9-character change summary.
    result["msg"] = ">f+++++++ a.html\n>f.st.... b.html\n.f..t.... c.html\n"
    assert changed_paths(result, docroot=DOCROOT) == ["/a.html", "/b.html"]


def test_synchronize_unescapes_rsync_octal_escapes_and_strips_links():
    lines = [">f+++++++++ caf\\#303\\#251.txt", "hf+++++++++ hard.html => index.html", "cL+++++++++ dir/link -> ../target"]
    assert changed_paths(synchronized(lines), docroot=DOCROOT) == ["/caf%C3%A9.txt", "/dir/link", "/hard.html"]


def test_synchronize_lines_that_are_not_itemised_are_ignored():
    lines = ["created directory /var/www/site", "sending incremental file list", "total size is 12  speedup is 1.00", ">f+++++++++ a.html"]
    assert changed_paths(synchronized(lines), docroot=DOCROOT) == ["/a.html"]


def test_synchronize_to_an_rsync_daemon_is_an_error():
    result = synchronized([">f+++++++++ a.html"], dest="rsync://web1/site", remote="")
    with pytest.raises(AnsibleFilterError, match="rsync daemon module"):
        changed_paths(result, docroot=DOCROOT)


# Check mode


def test_check_mode_loop_items_are_read_from_their_arguments():
    # A check-mode copy or template returns no dest; loop items keep the task's arguments in invocation.
    def planned(dest, src):
        return {"changed": True, "diff": [], "failed": False, "invocation": {"module_args": {"dest": dest, "src": src, "mode": "0644"}}}

    results = loop(planned(DOCROOT + "/a.html", "site/a.html"), planned(DOCROOT + "/css/", "/build/site.css"))
    assert changed_paths(results, docroot=DOCROOT) == ["/a.html", "/css/site.css"]


def test_check_mode_result_without_a_loop_gives_nothing():
    assert changed_paths({"changed": True, "diff": [], "failed": False}, docroot=DOCROOT) == []


# Bad input


@pytest.mark.parametrize(
    "value, words",
    [
        ("a.html", "the input must be a registered task result (a dict) or a list of them, got str"),
        (None, "the input must be a registered task result (a dict) or a list of them, got NoneType"),
        (42, "got int"),
        ([copied(DOCROOT + "/a.html"), "b.html"], "input[1] must be a registered task result (a dict) or a list of them, got str"),
        ({"changed": True, "results": [copied(DOCROOT + "/a"), 3]}, "input.results[1] must be a task result (a dict), got int"),
        (
            {"changed": True, "cmd": "echo hi", "rc": 0, "stdout": "hi"},
            "input changed but names no file (no dest, path or rsync output; keys: changed, cmd, rc, stdout)",
        ),
        (copied("site/a.html"), "input: the destination 'site/a.html' is a relative path, which cannot be placed under docroot '/var/www/site'"),
        ({"changed": True, "dest": 5}, "input.dest must be a string, got int"),
        (unarchived(DOCROOT, files="a.txt"), "input.files must be a list of file names, got str"),
    ],
)
def test_bad_input_is_a_clear_error(value, words):
    with pytest.raises(AnsibleFilterError) as error:
        changed_paths(value, docroot=DOCROOT)
    assert str(error.value).startswith("changed_paths: ")
    assert words in str(error.value)


@pytest.mark.parametrize(
    "arguments, words",
    [
        ({}, "docroot is required"),
        ({"docroot": "var/www"}, "docroot must be an absolute path on the server, like '/var/www/site'; got 'var/www'"),
        ({"docroot": ["/var/www"]}, "docroot must be an absolute path"),
        ({"docroot": DOCROOT, "url_prefix": "blog/"}, "url_prefix must be a URL path starting with '/', like '/' or '/blog/'; got 'blog/'"),
        ({"docroot": DOCROOT, "url_prefix": "https://cdn.example.com/"}, "url_prefix must be a URL path starting with '/'"),
        ({"docroot": DOCROOT, "directories": "ignore"}, "directories must be one of error, prefix; got 'ignore'"),
        ({"docroot": DOCROOT, "index_files": "index.html"}, "index_files must be a list of file names"),
        ({"docroot": DOCROOT, "index_files": ["a/index.html"]}, "index_files must hold plain file names without '/'"),
    ],
)
def test_bad_arguments_are_a_clear_error_naming_the_argument(arguments, words):
    with pytest.raises(AnsibleFilterError) as error:
        changed_paths(copied(DOCROOT + "/a.html"), **arguments)
    assert words in str(error.value)


def test_the_filter_is_registered_under_its_name():
    assert FilterModule().filters() == {"changed_paths": changed_paths}
    assert posixpath.basename(changed_paths.__module__.replace(".", "/")) == "changed_paths"
