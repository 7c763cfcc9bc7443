"""Build of the optional C extensions (everything else is in pyproject.toml).

``gharbal.extract._trees`` evaluates the line classifier's trees, ``gharbal.extract._scan`` measures
a page's lines, ``gharbal.normalise._pieces`` folds mostly-ASCII text piece by piece (see
`gharbal.native`). ``optional=True``: where no C compiler is found the install goes on and the same
work runs in Python and numpy (same results, slower).
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
        Extension(
            "gharbal.normalise._pieces",
            ["src/gharbal/normalise/_pieces.c"],
            optional=True,
        ),
    ]
)
