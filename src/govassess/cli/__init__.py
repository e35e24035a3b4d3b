"""The `govassess` command. Each area registers its subcommands from its own module."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import traceback
from collections.abc import Sequence

from govassess.errors import UserError

# Each module exposes `register(subparsers)`; its handlers take the parsed args and return an exit code.
COMMAND_MODULES = (
    "govassess.cli.core",
    "govassess.forms.cli",
    "govassess.metrics.cli",
    "govassess.inspection.cli",
    "govassess.web.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govassess", description="数字政府绩效评估平台")
    sub = parser.add_subparsers(dest="command", metavar="命令")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except UserError as err:
        print(f"错误：{err}", file=sys.stderr)
        return 2
    except OSError as err:  # a path that is a folder, unreadable, disk full …
        where = f"{err.filename}：" if err.filename else ""
        print(f"错误：无法读写文件 {where}{err.strerror or err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中断", file=sys.stderr)
        return 130
    except Exception:  # a bug: keep the traceback for the report, out of the user's way
        if os.environ.get("GOVASSESS_DEBUG"):
            raise
        fd, path = tempfile.mkstemp(prefix="govassess-error-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            traceback.print_exc(file=fh)
        print(f"内部错误：程序出现了未预料的问题，详细信息已保存到 {path}，请连同该文件向维护者报告。", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
