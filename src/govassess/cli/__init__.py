"""The `govassess` command. Each area registers its subcommands from its own module."""

from __future__ import annotations

import argparse
import importlib
import os
import re
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
    "govassess.questionnaire.cli",
    "govassess.methods.cli",
    "govassess.reports.cli",
    "govassess.web.cli",
)


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[no-untyped-def]
        return super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


_ARGPARSE_MESSAGES = (
    (re.compile(r"the following arguments are required: (.+)"), "缺少必需的参数：{0}"),
    (re.compile(r"unrecognized arguments: (.+)"), "不认识的参数：{0}"),
    (re.compile(r"argument (.+?): invalid choice: (.+?) \(choose from (.+)\)"), "参数 {0} 的取值 {1} 无效，可选：{2}"),
    (re.compile(r"argument (.+?): invalid (\w+) value: (.+)"), "参数 {0} 的值 {2} 无效（应为 {1}）"),
    (re.compile(r"argument (.+?): expected one argument"), "参数 {0} 后面需要一个值"),
    # an argparse.ArgumentTypeError raised with a Chinese message (govassess.cli.options)
    (re.compile(r"argument (.+?): ([^\x00-\x7f].*)"), "参数 {0} 的值无效：{1}"),
)


class ChineseArgumentParser(argparse.ArgumentParser):
    """argparse with Chinese section titles, help and error messages (subcommands inherit the class)."""

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("add_help", False)
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", help="显示帮助并退出")

    def error(self, message: str):  # type: ignore[override]
        for pattern, zh in _ARGPARSE_MESSAGES:
            m = pattern.search(message)
            if m:
                message = zh.format(*m.groups())
                break
        self.print_usage(sys.stderr)
        self.exit(2, f"错误：{message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(prog="govassess", description="数字政府绩效评估平台")
    sub = parser.add_subparsers(dest="command", metavar="命令", title="命令")
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
