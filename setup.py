"""Build of the optional C extension (everything else is in pyproject.toml).

``gharbal.extract._trees`` evaluates the line classifier's trees; ``optional=True``: where no C
compiler is found the install goes on and the same trees run in numpy (same results, slower).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "gharbal.extract._trees",
            ["src/gharbal/extract/_trees.c"],
            optional=True,
        ),
        Extension(
            "gharbal.extract._scan",
            ["src/gharbal/extract/_scan.c"],
            optional=True,
        ),
    ]
)
