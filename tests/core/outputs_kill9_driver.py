"""`python outputs_kill9_driver.py <govassess arguments>`: the command, for tests/core/test_outputs_kill9.py.

It prints ``@@commit`` when the output set starts renaming its temporary files into place and ``@@renamed``
after each target is renamed (pausing KILL9_PAUSE seconds each time), so the test can SIGKILL it between two
renames — the one moment where old and new files of one command sit side by side.
"""

from __future__ import annotations

import os
import sys
import time

import govassess.outputs as outputs


def mark(name: str) -> None:
    print(f"@@{name}", flush=True)
    time.sleep(float(os.environ.get("KILL9_PAUSE", "0.3")))


def main() -> int:
    real_commit, real_replace = outputs.OutputSet._commit, os.replace

    def commit(self):
        mark("commit")
        return real_commit(self)

    def replace(src, dst, *args, **kwargs):
        real_replace(src, dst, *args, **kwargs)
        if not os.path.basename(dst).startswith("."):  # a target, not a journal or a backup
            mark("renamed")

    outputs.OutputSet._commit = commit
    os.replace = replace
    from govassess.cli import main as cli

    return cli(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
