# Stub of the optional C extension (src/gharbal/normalise/_pieces.c).

def runs(text: str, limit: int, stable: bytes, /) -> tuple[list[int], list[int]] | None: ...
def gather(text: str, starts: list[int], ends: list[int], /) -> str: ...
def join(
    text: str,
    starts: list[int],
    ends: list[int],
    chunks: list[str],
    lower: bool,
    stable: bytes,
    /,
) -> str: ...
