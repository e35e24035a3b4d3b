"""`govassess serve` and `govassess web …`: the web platform from the command line."""

from __future__ import annotations

import argparse
import os
import signal
import sys

from govassess.cli.options import finite_float


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govassess.web.settings")
    import django

    django.setup()


def _port_free(host: str, port: int) -> None:
    """Refused before anything starts, in Chinese (runserver would say it in English and exit 1)."""
    import errno
    import socket

    from govassess.errors import UserError

    if not 0 < port < 65536:
        raise UserError(f"--port 应为 1–65535 之间的端口号，现在是 {port}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise UserError(f"--host「{host}」不是本机可用的地址") from None
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(addr)
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise UserError(f"端口 {port} 已被占用（平台可能已在运行），请用 --port 指定其他端口") from None
            if err.errno == errno.EACCES:
                raise UserError(f"没有权限使用端口 {port}（1024 以下的端口需要管理员权限），请用 --port 指定其他端口") from None
            raise UserError(f"不能在 {host}:{port} 上监听：系统错误 {errno.errorcode.get(err.errno or 0, err)}") from None


def _serve(args: argparse.Namespace) -> int:
    _port_free(args.host, args.port)
    _setup()
    from django.conf import settings
    from django.core.management import call_command

    print(f"数据目录：{settings.DATA_DIR}")
    call_command("migrate", interactive=False, verbosity=0)
    from govassess.web import jobs

    # Jobs of a process that was killed: RUNNING ones with no live owner fail (the office starts them again);
    # in thread mode, queued ones whose thread never started run in this process.
    for kind, pk in jobs.jobs_recover():
        print(f"{kind.label} #{pk}：{jobs.STALE_MESSAGE}（已标记为失败）")
    if jobs.job_mode() == "thread":
        jobs.jobs_adopt(jobs.THREAD_BACKEND)
    if not args.no_demo:
        from govassess.web.demo import demo_load

        accounts = demo_load()
        print("演示账号（用户名 / 角色 / 密码）：")
        for username, label, password in accounts:
            print(f"  {username:<14} {label:<10} {password}")
    url = f"http://{args.host}:{args.port}/"
    print(f"平台地址：{url}（按 Ctrl+C 停止）", flush=True)

    # SIGTERM (systemctl stop, kill) ends the server like Ctrl+C: runserver turns KeyboardInterrupt into a
    # clean exit. There is no auto-reloader (its child process would keep serving after the parent is
    # killed); job threads are daemons and end with the process (their jobs are failed on the next start).
    def stop(signum, frame):  # noqa: ARG001
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    # Django's development server is the embedded default; docs/deployment.md describes a production setup.
    # Its English banner goes nowhere: the Chinese lines above say the same; errors still reach stderr.
    with open(os.devnull, "w", encoding="utf-8") as quiet:
        try:
            call_command(
                "runserver",
                f"{args.host}:{args.port}",
                use_reloader=False,
                insecure_serving=True,
                use_threading=True,
                stdout=quiet,
            )
        except SystemExit as end:
            if end.code not in (0, None):
                raise
    print("平台已停止", flush=True)
    return 0


def _manage(args: argparse.Namespace) -> int:
    _setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["govassess web manage", *args.rest])
    return 0


def _demo(args: argparse.Namespace) -> int:
    _setup()
    from django.core.management import call_command

    from govassess.web.demo import demo_load

    call_command("migrate", interactive=False, verbosity=0)
    for username, label, password in demo_load():
        print(f"{username}\t{label}\t{password}")
    return 0


def _token(args: argparse.Namespace) -> int:
    _setup()
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from govassess.errors import UserError

    user = get_user_model().objects.filter(username=args.username).first()
    if user is None:
        raise UserError(f"账号「{args.username}」不存在")
    token, _ = Token.objects.get_or_create(user=user)
    print(token.key)
    return 0


def _import_units(args: argparse.Namespace) -> int:
    _setup()
    from django.core.management import call_command

    from govassess.web.organisation.services import units_import

    call_command("migrate", interactive=False, verbosity=0)
    n = units_import(user=None, path=args.file)
    print(f"已导入 {n} 个评估对象")
    return 0


def _import_system(args: argparse.Namespace) -> int:
    _setup()
    from django.core.management import call_command

    from govassess.web.systems.services import system_import

    call_command("migrate", interactive=False, verbosity=0)
    system = system_import(user=None, source=args.system)
    print(f"已导入指标体系 {system.slug}（{system.name}）")
    return 0


def _worker(args: argparse.Namespace) -> int:
    _setup()
    from govassess.errors import UserError
    from govassess.web.jobs import worker_main

    if args.interval <= 0:
        raise UserError("--interval 应为正数（秒）")
    if args.stale_minutes <= 0:
        raise UserError("--stale-minutes 应为正数（分钟）")
    return worker_main(
        interval=args.interval,
        once=args.once,
        stale_minutes=args.stale_minutes,
        recover=args.recover,
        out=sys.stdout,
    )


def register(sub: argparse._SubParsersAction) -> None:  # noqa: SLF001
    p = sub.add_parser("serve", help="启动网页平台（首次运行自动建库并载入阳江演示数据）")
    p.add_argument("--port", type=int, default=8000, help="端口，默认 8000")
    p.add_argument("--host", default="127.0.0.1", help="监听地址，默认 127.0.0.1")
    p.add_argument("--no-demo", action="store_true", help="不载入演示单位和账号")
    p.set_defaults(handler=_serve)

    web = sub.add_parser("web", help="网页平台管理命令")
    wsub = web.add_subparsers(dest="web_command", metavar="子命令")
    m = wsub.add_parser("manage", help="执行 Django 管理命令，例如 migrate、createsuperuser、collectstatic")
    m.add_argument("rest", nargs=argparse.REMAINDER)
    m.set_defaults(handler=_manage)
    d = wsub.add_parser("demo", help="建库并载入阳江演示数据，打印演示账号")
    d.set_defaults(handler=_demo)
    t = wsub.add_parser("token", help="为账号生成（或显示）接口令牌")
    t.add_argument("username")
    t.set_defaults(handler=_token)
    u = wsub.add_parser(
        "import-units", help="从 CSV/XLSX 导入评估对象（unit, name, class, 属性列；全有或全无）"
    )
    u.add_argument("file")
    u.set_defaults(handler=_import_units)
    s = wsub.add_parser("import-system", help="导入指标体系（内置标识或 YAML 文件路径）")
    s.add_argument("system")
    s.set_defaults(handler=_import_system)
    w = wsub.add_parser(
        "worker",
        help="后台任务进程：执行排队的评分、指标计算和网站检查（GOVASSESS_JOBS=worker 时使用，可同时运行多个）",
    )
    w.add_argument("--interval", type=finite_float(positive=True), default=2.0, help="检查排队任务的间隔秒数，默认 2")
    w.add_argument("--once", action="store_true", help="执行完当前排队的任务后退出（供 cron 使用）")
    w.add_argument(
        "--stale-minutes",
        type=finite_float(positive=True),
        default=10,
        help="启动时把没有进程持有属主锁、或超过此分钟数没有心跳（运行中的任务每 30 秒写一次）的任务视为进程已停止、标记为失败，默认 10",
    )
    w.add_argument(
        "--recover",
        action="store_true",
        help="启动时把所有运行中的任务标记为失败（确认没有其他任务进程时使用）",
    )
    w.set_defaults(handler=_worker)
    from govassess.web.feeds.cli import register_web as _feeds_register

    _feeds_register(wsub, _setup)
    web.set_defaults(handler=lambda a: (web.print_help(file=sys.stderr), 2)[1])
