"""Compile the zh_CN message catalogs from the .po files under po/.

Each area of the code keeps its own catalog file (``po/<lang>/<area>.po``)
so that work on one area does not touch the catalog of another. At build
time they are merged into one gettext domain, ``kubectl_metax``, written to
``kubectl_metax/locale/<lang>/LC_MESSAGES/kubectl_metax.mo``. A msgid that
two files translate differently is an error, as is a fuzzy or empty entry.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOMAIN = "kubectl_metax"


def merge_catalogs(language_dir: Path):  # type: ignore[no-untyped-def]
    """Return one babel Catalog with every message of the .po files in language_dir."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    merged = Catalog(locale=language_dir.name, domain=DOMAIN, fuzzy=False)
    origins: dict[str, Path] = {}
    problems: list[str] = []
    for po_path in sorted(language_dir.glob("*.po")):
        with po_path.open("rb") as stream:
            catalog = read_po(stream, locale=language_dir.name)
        for message in catalog:
            if not message.id:
                continue  # the header entry
            key = message.id if isinstance(message.id, str) else message.id[0]
            if (
                message.fuzzy
                or not message.string
                or (isinstance(message.string, (list, tuple)) and not all(message.string))
            ):
                problems.append(f"{po_path}: untranslated or fuzzy entry {key!r}")
                continue
            existing = merged.get(message.id)
            if existing is not None and existing.string != message.string:
                problems.append(f"{po_path}: {key!r} is translated differently in {origins[key]}")
                continue
            merged.add(message.id, message.string)
            origins[key] = po_path
    if problems:
        raise SystemExit("message catalogs are invalid:\n  " + "\n  ".join(problems))
    return merged


def compile_all(po_root: Path, package_dir: Path) -> list[Path]:
    """Write one .mo file per language folder under po_root; return their paths."""
    from babel.messages.mofile import write_mo

    written = []
    for language_dir in sorted(path for path in po_root.iterdir() if path.is_dir()):
        catalog = merge_catalogs(language_dir)
        target = package_dir / "locale" / language_dir.name / "LC_MESSAGES" / f"{DOMAIN}.mo"
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as stream:
            write_mo(stream, catalog)
        written.append(target)
    return written


if __name__ == "__main__":
    top = Path(__file__).resolve().parent.parent
    for path in compile_all(top / "po", top / "kubectl_metax"):
        print(path.relative_to(top))
    sys.exit(0)
