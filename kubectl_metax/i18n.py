"""Message translation: one gettext domain, the language chosen from the locale.

The language comes from the first non-empty of ``LC_ALL``, ``LC_MESSAGES``
and ``LANG``, as POSIX orders them; ``LANGUAGE`` is not consulted, so the
tool and the shell's ``locale`` agree. Any ``zh`` locale except Traditional
Chinese ones (``zh_TW``, ``zh_HK``, ``zh_Hant``) selects ``zh_CN``; everything
else, and a missing catalog, gives English, the language of the msgids.

Import ``_`` and ``ngettext`` from here and pass them literal strings, with
named ``{fields}`` filled by ``str.format`` afterwards. Messages are looked up
when they are used, so a module-level constant holds its msgid marked with
``N_()`` (which the catalog test extracts) and is translated where it is
shown, as ``_(CONSTANT)``.
"""

from __future__ import annotations

import argparse
import gettext
import os
from pathlib import Path
from typing import Mapping, Optional

DOMAIN = "kubectl_metax"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
SUPPORTED = ("zh_CN",)
TRADITIONAL_CHINESE = ("zh_tw", "zh_hk", "zh_mo", "zh_hant")

_translations: gettext.NullTranslations = gettext.NullTranslations()


def language_from(environ: Mapping[str, str]) -> Optional[str]:
    """Return the supported language the environment selects, or None for English."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable, "")
        if value:
            break
    else:
        return None

    # "zh_CN.UTF-8@modifier" -> "zh_cn"
    base = value.split(".", 1)[0].split("@", 1)[0].replace("-", "_").lower()
    if base == "zh" or (base.startswith("zh_") and not base.startswith(TRADITIONAL_CHINESE)):
        return "zh_CN"
    return None


def setup(environ: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """Load the catalog for the environment's language and route argparse through it.

    Returns the language chosen, or None when English is used.
    """
    global _translations  # noqa: PLW0603 - one catalog per process, as gettext.install has
    language = language_from(os.environ if environ is None else environ)
    if language is None:
        _translations = gettext.NullTranslations()
    else:
        _translations = gettext.translation(
            DOMAIN, localedir=str(LOCALE_DIR), languages=[language], fallback=True
        )

    # NOTE: argparse looks its own strings ("usage: ", "options", error texts)
    # up through module-level names bound at import; rebinding them is the only
    # way to translate them without a process-wide textdomain() switch.
    argparse._ = gettext_  # type: ignore[attr-defined]
    argparse.ngettext = ngettext  # type: ignore[attr-defined]
    return language


def gettext_(message: str) -> str:
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _translations.ngettext(singular, plural, count)


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark a msgid for extraction without translating it yet."""
    return message


_ = gettext_
