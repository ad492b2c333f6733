"""Build hook: compile the message catalogs into the package before it is built.

Everything else about the package is declared in setup.cfg.
"""

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

TOP = Path(__file__).resolve().parent


class BuildWithCatalogs(build_py):
    def run(self) -> None:
        sys.path.insert(0, str(TOP / "tools"))
        import catalogs

        catalogs.compile_all(TOP / "po", TOP / "kubectl_metax")
        super().run()


setup(cmdclass={"build_py": BuildWithCatalogs})
