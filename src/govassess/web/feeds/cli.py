"""`govassess web inspect-due`: the scheduled website inspection job (cron), registered by web/cli.py."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def register_web(wsub: argparse._SubParsersAction, setup: Callable[[], None]) -> None:  # noqa: SLF001
    p = wsub.add_parser(
        "inspect-due",
        help="定时任务：检查超过 N 天未检查的评估对象网站，其余网站做一次可访问性探测（供 cron 每小时运行）",
    )
    p.add_argument("--every-days", type=int, default=7, help="完整检查的间隔天数，默认 7")
    p.add_argument("--no-probe", action="store_true", help="不做可访问性探测，只做到期的完整检查")

    def handler(args: argparse.Namespace) -> int:
        setup()
        from govassess.errors import UserError
        from govassess.web.feeds.services import inspect_due

        if args.every_days < 1:
            raise UserError("--every-days 至少为 1", field="--every-days")
        for line in inspect_due(every_days=args.every_days, probe=not args.no_probe):
            print(line)
        return 0

    p.set_defaults(handler=handler)
