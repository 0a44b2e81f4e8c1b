"""`make test` fails when a string people read has no translation in one of Vigil's languages, or when the
committed catalogues lag behind the code (docs/languages.md)."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.translation import to_locale

from config import translations
from tests.services import unavailable


def test_the_catalogues_are_those_of_the_configured_languages() -> None:
    codes = [code for code, _ in settings.LANGUAGES]
    assert codes == ["en", "ko", "ja", "zh-hant", "fa"]
    assert {to_locale(code) for code in codes if code != "en"} == set(translations.LOCALES)
    dirs = {path.relative_to(translations.ROOT).parts[0] for path in translations.catalogue_dirs()}
    assert dirs == {"locale", "escalation", "incidents", "risks", "postmortems"}


def test_every_marked_string_is_in_the_committed_catalogues(tmp_path: Path) -> None:
    """Extracts the strings afresh into a copy of the sources (as `make messages` would) and compares."""
    if not (shutil.which("xgettext") and shutil.which("msgmerge")):
        unavailable("GNU gettext (xgettext, msgmerge: Debian's package gettext)")
    fresh = translations.extract_copy(translations.ROOT, tmp_path)
    assert translations.staleness_problems(translations.ROOT, fresh) == []


def test_every_string_is_translated_in_every_language() -> None:
    """No entry missing, empty or fuzzy, every plural form filled, every placeholder of the msgid kept."""
    assert translations.translation_problems() == []


def test_the_vendor_catalogues_are_complete_and_translate_only_the_libraries_strings() -> None:
    """locale_vendor/ fills the gaps of DRF's Traditional Chinese catalogue: every entry translated, with its
    placeholders, and every msgid one that DRF's catalogues know (a typo would translate nothing)."""
    import gettext

    import rest_framework
    from babel.messages.pofile import read_po

    assert translations.vendor_problems() == []
    known = set()
    for mo in (Path(rest_framework.__file__).parent / "locale").glob("*/LC_MESSAGES/django.mo"):
        with mo.open("rb") as source:
            catalogue = gettext.GNUTranslations(source)._catalog
        known |= {key if isinstance(key, str) else key[0] for key in catalogue}
    (path,) = translations.vendor_catalogues()
    with path.open("rb") as source:
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(source) if m.id}
    assert len(ids) > 70
    assert ids <= known


PO_HEADER = (
    'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Plural-Forms: {plural}\\n"\n\n'
)


def _catalogue(root: Path, locale: str, body: str, plural: str = "nplurals=1; plural=0;") -> Path:
    path = root / "app" / "locale" / locale / "LC_MESSAGES" / "django.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PO_HEADER.format(plural=plural) + body, encoding="utf-8")
    return path


def test_the_check_names_each_missing_fuzzy_and_broken_entry(tmp_path: Path) -> None:
    body = (
        'msgid "Translated."\nmsgstr "번역됨."\n\n'
        'msgid "Empty."\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Guessed."\nmsgstr "추측."\n\n'
        '#, python-format\nmsgid "%(ref)s is now %(state)s."\nmsgstr "%(ref)s 상태: %(status)s."\n\n'
        '#, python-format\nmsgid "%(n)d sent."\nmsgid_plural "%(n)d sent."\nmsgstr[0] ""\n'
    )
    for locale in translations.LOCALES:
        _catalogue(tmp_path, locale, body)
    problems = translations.translation_problems(tmp_path)
    ko = [p for p in problems if "/ko/" in p]
    assert len(ko) == 4
    assert any("not translated: 'Empty.'" in p for p in ko)
    assert any("fuzzy: 'Guessed.'" in p for p in ko)
    assert any("placeholders differ" in p and "%(status)s" in p for p in ko)
    assert any("not translated: '%(n)d sent.'" in p for p in ko)
    # A language without a catalogue where the others have one is named too.
    (tmp_path / "app" / "locale" / "fa" / "LC_MESSAGES" / "django.po").unlink()
    assert any(
        p.endswith("fa/LC_MESSAGES/django.po: missing (run `make messages`)")
        for p in translations.translation_problems(tmp_path)
    )


def test_the_check_names_strings_missing_from_the_catalogue_and_gone_from_the_code(tmp_path: Path) -> None:
    committed, fresh = tmp_path / "committed", tmp_path / "fresh"
    _catalogue(committed, "ko", 'msgid "Kept."\nmsgstr "유지."\n\nmsgid "Removed."\nmsgstr "삭제."\n')
    _catalogue(fresh, "ko", 'msgid "Kept."\nmsgstr "유지."\n\nmsgid "Added."\nmsgstr ""\n')
    problems = translations.staleness_problems(committed, fresh)
    assert problems == [
        "app/locale/ko/LC_MESSAGES/django.po: not in the catalogue (run `make messages`): 'Added.'",
        "app/locale/ko/LC_MESSAGES/django.po: no longer in the code (run `make messages`): 'Removed.'",
    ]


@pytest.mark.parametrize(
    ("msgid", "msgstr", "same"),
    [
        ("%(a)s and %(b)d", "%(b)d 와 %(a)s", True),
        ("%(a)s and %(b)d", "%(a)s", False),
        ("%(a)s", "%(a)d", False),
        ("100%% done: %(n)d", "%(n)d 완료", True),
    ],
)
def test_placeholders_are_compared_by_name_and_type(msgid: str, msgstr: str, same: bool) -> None:
    assert (translations.placeholders(msgid) == translations.placeholders(msgstr)) is same


def test_compiling_writes_a_catalogue_django_reads(tmp_path: Path) -> None:
    path = _catalogue(
        tmp_path, "ko", 'msgid "Translated."\nmsgstr "번역됨."\n\n#, fuzzy\nmsgid "G."\nmsgstr "g"\n'
    )
    assert translations.compile_all(tmp_path) == [path.with_suffix(".mo")]
    assert translations.compile_all(tmp_path) == []  # up to date: nothing to do
    import gettext

    with path.with_suffix(".mo").open("rb") as mo:
        catalogue = gettext.GNUTranslations(mo)
    assert catalogue.gettext("Translated.") == "번역됨."
    assert catalogue.gettext("G.") == "G."  # a fuzzy entry is not compiled
