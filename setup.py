"""Package list for setuptools; all other metadata is in pyproject.toml.

resources/ sits at the top of the repository (the bundled example scripts
and the icon are easy to find there) but is installed inside the package as
``gpuprof_gui.resources``, for wheels and editable installs alike.
"""

from setuptools import find_packages, setup

RESOURCE_PACKAGES = {
    "gpuprof_gui.resources": "resources",
    "gpuprof_gui.resources.examples": "resources/examples",
    "gpuprof_gui.resources.examples.kernels": "resources/examples/kernels",
    "gpuprof_gui.resources.examples.offload": "resources/examples/offload",
    "gpuprof_gui.resources.recorded": "resources/recorded",
}

setup(
    packages=find_packages(include=["gpuprof_gui", "gpuprof_gui.*"]) + list(RESOURCE_PACKAGES),
    package_dir=RESOURCE_PACKAGES,
)
