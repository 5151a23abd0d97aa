"""The wheel carries the Go shared library, so it is a platform wheel even
though no Python extension is compiled: tell setuptools so. Its version is the
repository's VERSION file (in an sdist without it, the version the generated
surface was made for, which comes from the same file)."""
import os
import re

from setuptools import setup
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))


def version() -> str:
    path = os.path.join(HERE, "..", "..", "VERSION")
    if os.path.isfile(path):
        with open(path) as f:
            return f.read().strip()
    with open(os.path.join(HERE, "gstauth", "_ops.py")) as f:
        m = re.search(r'^VERSION = "([^"]+)"', f.read(), re.M)
    if m is None:
        raise RuntimeError("no VERSION file and no version in gstauth/_ops.py")
    return m.group(1)


try:
    from wheel.bdist_wheel import bdist_wheel as _bdist_wheel

    class bdist_wheel(_bdist_wheel):
        def finalize_options(self):
            super().finalize_options()
            self.root_is_pure = False

        def get_tag(self):
            _, _, plat = super().get_tag()
            return "py3", "none", plat

    cmdclass = {"bdist_wheel": bdist_wheel}
except ImportError:  # pragma: no cover
    cmdclass = {}


class BinaryDistribution(Distribution):
    def has_ext_modules(self):
        return True


setup(version=version(), distclass=BinaryDistribution, cmdclass=cmdclass)
