"""HTML files (``.html``, ``.htm``, ``.xhtml``, possibly compressed, or any file whose content starts
like HTML): one file is one page, kept as raw HTML in ``doc.html`` for the extractor.

The id is made as for text pages (the path relative to the directory given, without extensions). The
bytes are decoded by byte-order mark, valid UTF-8, ``<meta charset>``, then detection (see
`gharbal.readers.charset`); the codec used goes to ``metadata["encoding"]``.
"""

from __future__ import annotations

from collections.abc import Iterator

from gharbal.document import Document
from gharbal.readers.charset import decode_html
from gharbal.readers.config import ReadConfig
from gharbal.readers.location import Location
from gharbal.readers.text import page_document, page_id, read_page


class HtmlReader:
    kind = "html"

    def read(self, path: Location, cfg: ReadConfig, base: Location | None) -> Iterator[Document]:
        data = read_page(path, cfg, base)
        if isinstance(data, Document):
            yield data
            return
        yield page_document(page_id(path, base), path, decode_html(data), html=True)


__all__ = ["HtmlReader"]
