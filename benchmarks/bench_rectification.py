"""整改 at scale: a final round of 3,000 units with 3 tasks each; times the office's task page, the candidate
list (a unit's lost points to pick from), the Excel export and task creation. Prints one JSON line last.

Units are synthetic 县(市、区) scored with the 阳江 county system (the demo's input generator, as
bench_reports.py); the scoring results are stored as the round's scoring run and the round is made final
directly (the benchmark measures 整改, not data entry). Every page is fetched through Django's test client as
the office, so view, template and queries are measured, not the network.

    .venv/bin/python benchmarks/bench_rectification.py [--units 3000] [--per-unit 3] [--sqlite]

Default database: PostgreSQL (DATABASE_URL, or `scripts/start-postgres.sh`), in a fresh database
`<name>_rectbench`; --sqlite uses a temporary SQLite file instead.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def bench_database(base_url: str) -> str:
    import psycopg

    name = base_url.rsplit("/", 1)[1].split("?")[0] + "_rectbench"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return base_url.rsplit("/", 1)[0] + "/" + name


def setup_round(n_units: int):
    """Office, one filler per unit, the county system, n units and a final round with stored results."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from govassess.data import units_from_rows
    from govassess.demo import synthetic_inputs
    from govassess.indicators import load_system
    from govassess.scoring import score_round
    from govassess.web.accounts.models import Profile, Role
    from govassess.web.organisation.models import Unit
    from govassess.web.rounds.models import JobStatus, Round, RoundState, ScoringRun
    from govassess.web.rounds.services import round_create
    from govassess.web.systems.services import system_import

    User = get_user_model()
    office = User.objects.create_user("office", password="bench-office", is_superuser=True, is_staff=True)
    Profile.objects.create(user=office, role=Role.OFFICE)
    system = system_import(user=office, source="yangjiang-2021-county")
    # Indicators 19/20/22 divide by population, enterprises and staff (made-up sizes of the right order).
    rows = [{"unit": f"X{i:04d}", "name": f"测试县{i}", "class": "县(市、区)", "population": 20 + i % 60,
             "enterprises": 0.5 + (i % 30) / 10, "staff": 800 + 37 * (i % 150)} for i in range(1, n_units + 1)]
    units = Unit.objects.bulk_create([
        Unit(code=r["unit"], name=r["name"], unit_class=r["class"],
             attributes={k: v for k, v in r.items() if k not in ("unit", "name", "class")}) for r in rows])
    hashed = make_password("bench-filler")
    fillers = User.objects.bulk_create([User(username=f"f{u.code}", password=hashed) for u in units])
    Profile.objects.bulk_create([Profile(user=f, role=Role.FILLER, unit=u) for f, u in zip(fillers, units, strict=True)])
    core = load_system("yangjiang-2021-county")
    frame = units_from_rows(rows)
    results = score_round(core, frame, synthetic_inputs(core, frame, 2021), round_name="2021年下半年").to_dict()
    rnd = round_create(user=office, system=system, name="2021年下半年", deadline=timezone.now() + dt.timedelta(days=1))
    ScoringRun.objects.create(round=rnd, status=JobStatus.DONE, progress=1, results=results,
                              finished_at=timezone.now())
    Round.objects.filter(pk=rnd.pk).update(state=RoundState.FINAL, finalised_at=timezone.now())
    rnd.refresh_from_db()
    return office, rnd, units


def timed(out: dict, name: str, fn):
    """Run fn once: wall-clock seconds, CPU seconds of this process (the machine is shared: the wall clock says
    how busy it was; PostgreSQL's own work shows in the wall clock only) and the number of SQL queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    connection.queries_log.clear()  # a bounded deque: counts are only right from an empty log
    with CaptureQueriesContext(connection) as queries:
        t0, c0 = time.perf_counter(), time.process_time()
        value = fn()
        out[f"{name}_s"] = round(time.perf_counter() - t0, 3)
        out[f"{name}_cpu_s"] = round(time.process_time() - c0, 3)
    out[f"{name}_q"] = len(queries)
    return value


def get(client, url: str):
    resp = client.get(url)
    assert resp.status_code == 200, (url, resp.status_code)
    return resp


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--per-unit", type=int, default=3, help="tasks per unit (its largest lost points)")
    ap.add_argument("--sqlite", action="store_true", help="a temporary SQLite database instead of PostgreSQL")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="govassess-rectbench-"))
    env = {"GOVASSESS_DATA_DIR": str(work / "data"), "DJANGO_SETTINGS_MODULE": "govassess.web.settings",
           "LOG_LEVEL": "ERROR", "DB_CONN_MAX_AGE": "60"}
    if args.sqlite:
        env["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    else:
        base = (os.environ.get("DATABASE_URL")
                or subprocess.check_output(["bash", str(ROOT / "scripts/start-postgres.sh")], text=True).strip())
        if not base.startswith("postgres"):
            print("DATABASE_URL 必须指向 PostgreSQL（或使用 --sqlite）", file=sys.stderr)
            return 2
        env["DATABASE_URL"] = bench_database(base)
    os.environ.update(env)

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from govassess.web.rectification import services
    from govassess.web.rectification.models import Task

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    office, rnd, units = setup_round(args.units)
    out: dict = {"units": args.units, "db": "sqlite" if args.sqlite else "postgresql",
                 "setup_s": round(time.perf_counter() - t0, 1)}
    client = Client()
    client.force_login(office)
    page = reverse("rectification_round", args=[rnd.pk])

    # Before any task: the creation form lists the round's 3,000 units.
    timed(out, "page_empty_first", lambda: get(client, page))
    timed(out, "page_empty", lambda: get(client, page))
    pick = reverse("rectification_pick", args=[rnd.pk, units[len(units) // 2].code])
    # The first pick page of a process reads the results JSON and computes every lost point of the round
    # (cached per scoring run); the next ones use the cache.
    timed(out, "candidates_first", lambda: get(client, pick))
    timed(out, "candidates", lambda: get(client, pick))

    # Task creation: each unit's largest lost points, as one office action (one transaction).
    from datetime import timedelta

    from django.utils import timezone

    per_unit: dict[str, list] = {}
    for c in services.lost_points(rnd):
        per_unit.setdefault(c.unit, []).append(c)
    chosen = [c for cs in per_unit.values() for c in sorted(cs, key=lambda c: -c.lost)[:args.per_unit]]
    deadline = timezone.localdate() + timedelta(days=30)
    made, _skipped = timed(out, "create", lambda: services.tasks_create(
        user=office, round=rnd, chosen=chosen, requirement="按评分说明完成整改", deadline=deadline))
    out["tasks"] = Task.objects.filter(round=rnd).count()
    assert out["tasks"] == len(made) == len(chosen)
    # A third of the tasks overdue: the page's 逾期 list is not empty.
    Task.objects.filter(pk__in=[t.pk for t in made[::3]]).update(deadline=timezone.localdate() - timedelta(days=5))

    resp = timed(out, "page", lambda: get(client, page))
    out["page_kb"] = round(len(resp.content) / 1024)
    timed(out, "page_overdue", lambda: get(client, page + "?overdue=1"))
    timed(out, "page_sorted", lambda: get(client, page + "?sort=lost&dir=desc&page=20"))
    timed(out, "page_search", lambda: get(client, page + "?q=测试县12"))
    try:
        export = reverse("rectification_export", args=[rnd.pk])
    except Exception:  # noqa: BLE001 — an older checkout without the export
        export = None
    if export:
        resp = timed(out, "export", lambda: get(client, export))
        out["export_kb"] = round(len(resp.content) / 1024)
        timed(out, "export_overdue", lambda: get(client, export + "?overdue=1"))
    filler = Client()
    from govassess.web.accounts.models import Profile

    filler.force_login(Profile.objects.filter(unit=units[0]).select_related("user").first().user)
    timed(out, "unit_page", lambda: get(filler, page))
    out["load_avg"] = round(os.getloadavg()[0], 1)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
