"""Bundle the root-level templates/, static/, migrations/ and translations/ into the wheel
(ticketdesk/bundled/…), so an installed ticketdesk finds them; see ticketdesk/paths.py."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithAssets(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return  # an editable install reads them from the checkout
        target = Path(self.build_lib) / "ticketdesk" / "bundled"
        for name in ("templates", "static", "migrations", "translations"):
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, target / name, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithAssets})
