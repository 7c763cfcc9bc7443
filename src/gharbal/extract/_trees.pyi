# Stub of the optional C extension (src/gharbal/extract/_trees.c).
from typing import Any

def walk(nodes: Any, leaf_value: Any, depth: int, x: Any, width: int, out: Any, /) -> None: ...
def explain(
    nodes: Any,
    leaf_value: Any,
    depth: int,
    x: Any,
    width: int,
    raw: Any,
    contrib: Any,
    leaf_contrib: Any,
    cols: int,
    /,
) -> None: ...
def stage2(s1: Any, x: Any, width: int, out: Any, /) -> None: ...
