"""Vigil's translation catalogues: extract the marked strings into them, compile them, check them.

    python -m config.translations extract   # `make messages`: update every catalogue from the code (GNU gettext)
    python -m config.translations compile   # `make install`: .po -> .mo with Babel (pure Python, no gettext)
    python -m config.translations check     # what tests/i18n/test_catalogues.py checks, as a list of problems

Each app has its own catalogue (`<app>/locale/<dir>/LC_MESSAGES/django.po`), and `locale/` holds config/'s
and the project templates' strings, so that people adding strings to different apps edit different files.
Extraction is Django's makemessages with fixed options (no locations, sorted, no obsolete entries, a header
without dates), so running it twice changes nothing. docs/languages.md says how to add or change a string.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog, Message

ROOT = Path(__file__).resolve().parent.parent
# The languages with a catalogue (LANGUAGES less English, the language of the code), as catalogue directories.
LOCALES = ("ko", "ja", "zh_Hant", "fa")
# Never searched for strings: the tests and benchmarks are not shown to anyone; the rest is not ours.
IGNORED = (
    ".*",
    "var",
    "tests",
    "bench",
    "docs",
    "build",
    "dist",
    "node_modules",
    "*.egg-info",
    "__pycache__",
)
HEADER = {
    "Project-Id-Version": "Vigil",
    "Report-Msgid-Bugs-To": "",
    "Last-Translator": "Vigil",
    "Language-Team": "Vigil",
}
# Left out of every header: dates would change on every run, the generator is whichever tool last wrote it.
DATE_HEADERS = ("POT-Creation-Date", "PO-Revision-Date", "Generated-By")


def catalogue_dirs(root: Path = ROOT) -> list[Path]:
    """The project's locale/ and each app's <app>/locale/."""
    found = [root / "locale", *sorted(root.glob("*/locale"))]
    return [d for d in found if d.is_dir() and not d.parent.name.startswith(".")]


def catalogues(root: Path = ROOT) -> Iterator[Path]:
    """Every django.po of the project under `root`, in a stable order."""
    for directory in catalogue_dirs(root):
        yield from sorted(directory.glob("*/LC_MESSAGES/django.po"))


def vendor_catalogues(root: Path = ROOT) -> list[Path]:
    """Translations of other libraries' strings that their own catalogues lack (`locale_vendor/`): written by
    hand, never extracted, compiled and checked like ours."""
    return sorted((root / "locale_vendor").glob("*/LC_MESSAGES/django.po"))


# Compiling (Babel): what `make install`, `make run` and the test run do, on any machine.


def compile_all(root: Path = ROOT, *, force: bool = False) -> list[Path]:
    """Compile each .po whose .mo is missing or older; returns the .mo files written. Written to a temporary
    file and renamed, so that processes compiling at the same time (pytest-xdist workers) never read half."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in [*catalogues(root), *vendor_catalogues(root)]:
        mo = po.with_suffix(".mo")
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source)
        fd, tmp = tempfile.mkstemp(dir=mo.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as target:
            # Fuzzy entries are left out, as msgfmt does: a guess is not a translation.
            write_mo(target, catalog, use_fuzzy=False)
        os.replace(tmp, mo)
        written.append(mo)
    return written


# Extraction (GNU gettext through makemessages): what `make messages` and the freshness check do.


def _makemessages_command() -> Any:
    from django.core.management.commands import makemessages

    class Command(makemessages.Command):
        # Sorted by msgid: the order does not change when a string moves to another file, and two people who
        # add strings at the same time touch different places of the file.
        msgmerge_options = [*makemessages.Command.msgmerge_options, "--sort-output"]
        msgattrib_options = [*makemessages.Command.msgattrib_options, "--sort-output"]

    return Command()


def _normalise_header(path: Path, locale: str) -> None:
    """No dates (they would change on every run), the language, and the project's name."""
    text = path.read_text(encoding="utf-8")
    head, sep, rest = text.partition("\n\n")
    lines = [line for line in head.split("\n") if not line.startswith("#")]
    kept = []
    for line in lines:
        match = re.match(r'^"([A-Za-z-]+): ?(.*)\\n"$', line)
        if match and match.group(1) in DATE_HEADERS:
            continue
        if match and match.group(1) in HEADER:
            line = f'"{match.group(1)}: {HEADER[match.group(1)]}\\n"'
        elif match and match.group(1) == "Language":
            line = f'"Language: {locale}\\n"'
        kept.append(line)
    comment = "# Vigil's translations. This file is updated by `make messages`: see docs/languages.md."
    path.write_text(comment + "\n" + "\n".join(kept) + sep + rest, encoding="utf-8")


def extract(root: Path = ROOT) -> list[Path]:
    """Update every catalogue under `root` from the code under it (run in `root`, whose settings it loads)."""
    import django
    from django.core.management import call_command

    os.chdir(root)
    # The base settings: the apps whose strings people read, none of the test-only ones.
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    django.setup()
    call_command(
        _makemessages_command(),
        locale=list(LOCALES),
        ignore_patterns=list(IGNORED),
        no_obsolete=True,
        no_location=True,
        verbosity=0,
    )
    found = list(catalogues(root))
    for path in found:
        _normalise_header(path, path.parent.parent.name)
    return found


def extract_copy(root: Path, into: Path) -> Path:
    """Extract into a copy of the project's sources under `into`, leaving `root` untouched; returns the copy."""
    copy = into / "vigil"
    shutil.copytree(
        root, copy, ignore=shutil.ignore_patterns(*IGNORED, "*.mo", "*.pyc", "*.sqlite3"), symlinks=True
    )
    env = {**os.environ, "VIGIL_VAR_DIR": str(into / "var")}
    subprocess.run(
        [sys.executable, "-m", "config.translations", "extract"],
        cwd=copy,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return copy


# Checking: what the completeness test asserts.

PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]+)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<kind>[a-zA-Z%])"
)


def placeholders(text: str) -> list[str]:
    """The python-format placeholders of `text`, sorted (named ones by name and type, `%%` left out)."""
    found = []
    for match in PLACEHOLDER.finditer(text):
        if match.group("kind") == "%":
            continue
        found.append(f"{match.group('name') or ''}:{match.group('kind')}")
    return sorted(found)


def _read(path: Path) -> "Catalog":
    from babel.messages.pofile import read_po

    with path.open("rb") as source:
        return read_po(source)


def _key(message: "Message") -> tuple[str | None, str, str | None]:
    if isinstance(message.id, tuple | list):
        return message.context, message.id[0], message.id[1]
    return message.context, message.id, None


def _name(path: Path, root: Path) -> str:
    return str(path.relative_to(root))


def translation_problems(root: Path = ROOT) -> list[str]:
    """Every entry of every catalogue that is missing, empty, fuzzy or does not keep its msgid's placeholders,
    and every language that has no catalogue where another one has."""
    problems = []
    for locale_dir in catalogue_dirs(root):
        for locale in LOCALES:
            path = locale_dir / locale / "LC_MESSAGES" / "django.po"
            if not path.exists():
                problems.append(f"{_name(path, root)}: missing (run `make messages`)")
                continue
            problems.extend(_entry_problems(path, root))
    return problems


def _entry_problems(path: Path, root: Path) -> Iterable[str]:
    catalog = _read(path)
    where = _name(path, root)
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        if message.fuzzy:
            yield f"{where}: fuzzy: {msgid!r}"
            continue
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        if not all(strings) or (message.pluralizable and len(strings) < catalog.num_plurals):
            yield f"{where}: not translated: {msgid!r}"
            continue
        if message.python_format or "python-format" in message.flags:
            yield from _placeholder_problems(where, message, strings)


def _placeholder_problems(where: str, message: "Message", strings: Sequence[Any]) -> Iterable[str]:
    if not message.pluralizable:
        if placeholders(strings[0]) != placeholders(cast(str, message.id)):  # a singular entry's id
            yield f"{where}: placeholders differ: {message.id!r} -> {strings[0]!r}"
        return
    singular, plural = message.id[0], message.id[1]
    allowed = set(placeholders(singular)) | set(placeholders(plural))
    for index, string in enumerate(strings):
        found = placeholders(string)
        last = index == len(strings) - 1
        if (last and found != placeholders(plural)) or not set(found) <= allowed:
            yield f"{where}: placeholders differ in form {index}: {plural!r} -> {string!r}"


BRACES = re.compile(r"\{[^{}]*\}")


def vendor_problems(root: Path = ROOT) -> list[str]:
    """Entries of the vendor catalogues that are empty or fuzzy, or that drop or rename a placeholder
    (`%(name)s` or `{name}`: the libraries format with both)."""
    problems: list[str] = []
    for path in vendor_catalogues(root):
        problems.extend(_entry_problems(path, root))
        for message in _read(path):
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
            strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
            for string in strings:
                if string and sorted(BRACES.findall(string)) != sorted(BRACES.findall(ids[-1])):
                    problems.append(f"{_name(path, root)}: placeholders differ: {ids[-1]!r} -> {string!r}")
    return problems


def staleness_problems(root: Path, fresh: Path) -> list[str]:
    """Strings the code marks that a committed catalogue lacks, and entries no code marks any more, found by
    comparing the committed catalogues under `root` with those extracted afresh into the copy `fresh`."""
    problems = []
    committed = {po.relative_to(root): po for po in catalogues(root)}
    for path in catalogues(fresh):
        relative = path.relative_to(fresh)
        new_keys = {_key(m) for m in _read(path) if m.id}
        old = committed.get(relative)
        old_keys = {_key(m) for m in _read(old) if m.id} if old else set()
        for key in sorted(new_keys - old_keys, key=str):
            problems.append(f"{relative}: not in the catalogue (run `make messages`): {key[1]!r}")
        for key in sorted(old_keys - new_keys, key=str):
            problems.append(f"{relative}: no longer in the code (run `make messages`): {key[1]!r}")
    return problems


def check(root: Path = ROOT) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        fresh = extract_copy(root, Path(tmp))
        return staleness_problems(root, fresh) + translation_problems(root) + vendor_problems(root)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "extract":
        for path in extract(Path.cwd()):
            count = sum(1 for m in _read(path) if m.id)
            print(f"{path.relative_to(Path.cwd())}: {count} strings")  # noqa: T201
        return 0
    if command == "compile":
        compile_all(Path.cwd(), force="--force" in argv)
        return 0
    if command == "check":
        problems = check(Path.cwd())
        for problem in problems:
            print(problem)  # noqa: T201
        return 1 if problems else 0
    print(__doc__)  # noqa: T201
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
