"""One Typst compile of a PDF part: ``python -m govassess._typeset_worker ROOT TEMPLATE NAME``.

reports/typeset.py runs each part of a long report in a process of its own: Typst keeps what it laid out
in memory (about 1.5 MB a page) until the process ends. This module imports only typst and pikepdf, so a
worker starts in a fraction of a second (the govassess.reports package would bring polars and openpyxl).
It prints the part's page count, or one line ``ERROR <message>`` for a Typst error.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

_COMPILER: Any = None
# One compile at a time on the process's compiler: the web server typesets a 成绩单 in request threads, and
# the binding refuses a second call into a compiler that is busy.
_LOCK = threading.Lock()


def typeset(root: str, template: str, name: str) -> int | str:
    """Compile ``name``.json with ``template`` into ``name``.pdf under ``root``: its page count, or the error."""
    global _COMPILER
    import pikepdf
    import typst

    with _LOCK:
        if _COMPILER is None:
            _COMPILER = typst.Compiler()
        try:
            # No tagged PDF (the structure tree for screen readers): it cost ~7 % more CPU in a trial; the
            # bookmarks and the text layer are there without it.
            _COMPILER.compile(input=str(Path(root) / template), root=root, output=str(Path(root) / f"{name}.pdf"),
                              sys_inputs={"data": f"{name}.json"}, pdf_tags=False)
        except typst.TypstError as e:
            return (str(e).strip().splitlines() or ["TypstError"])[0]
    with pikepdf.open(Path(root) / f"{name}.pdf") as pdf:
        return len(pdf.pages)


def main(argv: list[str]) -> int:
    outcome = typeset(*argv)
    print(outcome if isinstance(outcome, int) else f"ERROR {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
