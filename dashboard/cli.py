"""`pulse`: the product's one command line. Thin commands over etl and dashboard, imported
lazily per command so that `pulse load` never pays for importing Dash."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(
    help="政务服务效能看板 (Service Pulse)", no_args_is_help=True, add_completion=False
)
console = Console()
err = Console(stderr=True)

StoreOpt = Annotated[
    str | None,
    typer.Option("--store", help="Store file or folder (default data/store/, or $PULSE_STORE)."),
]


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        disable=not err.is_terminal,
    )


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 7,
    scale: Annotated[float, typer.Option(help="1 = about 850,000 cases a year.")] = 1.0,
    out: Annotated[Path, typer.Option(help="Folder for the exports.")] = Path("data/demo"),
    end: Annotated[str | None, typer.Option(help="Last day of data (default today).")] = None,
    counties: Annotated[
        int,
        typer.Option(
            help="Counties of a demo city (1 = the demo county alone; more: one folder each "
            "below --out and a counties.csv)."
        ),
    ] = 1,
) -> None:
    """Write a demo county's exports (CSV in GBK/UTF-8, Excel) in the contract's formats."""
    from etl.demo.city import generate_city

    with _progress() as bar:
        task = bar.add_task("生成示范县数据", total=100)

        def progress(label: str, fraction: float) -> None:
            bar.update(task, completed=int(fraction * 100), description=label)

        try:
            summary = generate_city(
                out,
                counties=counties,
                seed=seed,
                scale=scale,
                end=date.fromisoformat(end) if end else None,
                progress=progress,
            )
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--counties") from None
    console.print(
        f"wrote {len(summary.files)} files to {summary.out_dir}"
        + (f" ({counties} counties)" if counties > 1 else "")
        + ": "
        + ", ".join(f"{k} {v:,}" for k, v in summary.counts.items())
    )


@app.command()
def load(
    paths: Annotated[list[Path], typer.Argument(help="Files and folders to load.")],
    store: StoreOpt = None,
    report: Annotated[str | None, typer.Option(help="'json': print the report as JSON.")] = None,
) -> None:
    """Load exports into the store, atomically; per file
    rows_read = inserted + updated + duplicate + rejected."""
    from etl.load import load as run_load

    with _progress() as bar:
        task = bar.add_task("导入", total=None)

        def progress(name: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=f"导入 {name}")

        try:
            run = run_load(paths, store=store, progress=progress)
        except ValueError as exc:  # a column map or setting that cannot be used: nothing loaded
            err.print("[red]未导入[/red]", escape(str(exc)), soft_wrap=True)
            raise typer.Exit(1) from None
    for r in run.reports:
        if r.status == "refused":
            err.print(f"[red]拒收[/red] {r.message}")
    if report == "json":
        sys.stdout.write(
            json.dumps([r.as_json() for r in run.reports], ensure_ascii=False, indent=2) + "\n"
        )
    else:
        _print_load_table(run)
    raise typer.Exit(run.exit_code)


@app.command()
def rebuild(
    store: StoreOpt = None,
    if_outdated: Annotated[
        bool, typer.Option(help="Only when the derived tables were built by other SQL.")
    ] = False,
) -> None:
    """Rebuild the derived tables (rollups, flags, 体外循环) from the data already loaded, as
    one atomic publish. `pulse serve` does this by itself after an upgrade changed them."""
    from etl.load import marts_outdated
    from etl.load import rebuild as run_rebuild

    if if_outdated and not marts_outdated(store):
        return
    if if_outdated:
        err.print("汇总表由旧版本生成,正在重建 (pulse rebuild) …")
    with _progress() as bar:
        bar.add_task("重建汇总表", total=None)
        published = run_rebuild(store)
    err.print(f"汇总表已重建: {published}")


@app.command()
def compact(store: StoreOpt = None) -> None:
    """Rewrite every Parquet partition of two or more files as one file (store.format =
    parquet), published as a new generation; loads do it by themselves past
    store.compact_files files in a partition."""
    from etl.load import compact as run_compact

    try:
        done = run_compact(store)
    except (FileNotFoundError, ValueError) as problem:
        err.print(f"[red]无法整理: {problem}[/red]")
        raise typer.Exit(2) from None
    err.print("已整理分区: " + ", ".join(f"{t} {n}" for t, n in done.items()))


def _print_load_table(run) -> None:
    table = Table(title=f"导入结果 → {run.store}")
    for col in ("文件", "来源", "读取", "新增", "更新", "重复", "拒收", "拒收原因"):
        table.add_column(
            col, justify="right" if col in ("读取", "新增", "更新", "重复", "拒收") else "left"
        )
    for r in run.reports:
        if r.status == "refused":
            table.add_row(
                Path(r.file).name, r.source or "—", "拒收整个文件", "", "", "", "", r.message or ""
            )
            continue
        table.add_row(
            Path(r.file).name,
            r.source or "",
            f"{r.rows_read:,}",
            f"{r.inserted:,}",
            f"{r.updated:,}",
            f"{r.duplicate:,}",
            f"{r.rejected:,}",
            ", ".join(f"{k} {v}" for k, v in r.reasons.items()),
        )
    console.print(table)
    from etl.inspection import print_load_notes

    print_load_notes(run.reports, console)


@app.command()
def inspect(
    file: Annotated[Path, typer.Argument(help="An export file (CSV or Excel).")],
    fmt: Annotated[str, typer.Option("--format", help="table | json")] = "table",
) -> None:
    """How a file's headers map onto the data contract: source, the column each header
    becomes, what is missing or unmapped, and a column map to paste. Nothing is loaded;
    exit status 2 when no source recognises the file."""
    from etl.inspection import inspect_file, print_inspection

    try:
        found = inspect_file(file)
    except ValueError as exc:  # a column map that cannot be used
        err.print("[red]无法检查[/red]", escape(str(exc)), soft_wrap=True)
        raise typer.Exit(1) from None
    if fmt == "json":
        sys.stdout.write(json.dumps(found.as_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        print_inspection(found, console)
    raise typer.Exit(0 if found.recognised else 2)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address.")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port.")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes.")] = None,
    demo_if_empty: Annotated[
        bool, typer.Option(help="Build and load the demo county first when the store is empty.")
    ] = False,
    demo_scale: Annotated[
        float, typer.Option(help="Size of that demo county (1 = about 850,000 cases a year).")
    ] = 1.0,
    store: StoreOpt = None,
) -> None:
    """Serve the dashboard (gunicorn, debug off).

    Fork safety: this process becomes gunicorn's master, which forks the workers. polars,
    DuckDB and pyarrow start thread pools whose locks a forked child inherits without the
    threads that hold them (a worker then hangs in its first query). So the demo build, the
    load and the rebuild after an upgrade each run in a child process, and this process
    never imports those libraries."""
    import os

    from etl import publish, settings

    if store:
        os.environ["PULSE_STORE"] = store
    published = settings.store_path()
    if demo_if_empty and publish.current_file(published) is None:
        err.print("store is empty: building the demo county (pulse demo && pulse load) …")
        out = settings.data_dir() / "demo"
        _run_child("demo", "--seed", "7", "--scale", str(demo_scale), "--out", str(out))
        _run_child("load", str(out), "--store", str(published))
    _run_child("rebuild", "--if-outdated", "--store", str(published))
    threaded = sorted({"polars", "duckdb", "pyarrow"} & set(sys.modules))
    if threaded:  # a programming error, caught here rather than as hung workers
        raise RuntimeError(f"serve imported {', '.join(threaded)} before forking workers")
    from dashboard.server import serve as run_server

    host = host or settings.get("serve.host")
    port = port or int(settings.get("serve.port"))
    _accounts_at_start(demo_if_empty, f"http://{host}:{port}")
    err.print(f"serving on http://{host}:{port}  (store {published})")
    run_server(host, port, workers or int(settings.get("serve.workers")))


def _accounts_at_start(demo_if_empty: bool, base_url: str) -> None:
    """With the demo: one account per role, printed once. In a child process, as everything
    that opens the store: the server's master must not start DuckDB's threads (it forks)."""
    import subprocess

    command = [sys.executable, "-m", "dashboard.cli", "accounts-at-start", "--url", base_url]
    if demo_if_empty:
        command.append("--demo")
    subprocess.run(command, check=False)


@app.command("accounts-at-start", hidden=True)
def accounts_at_start(
    url: Annotated[str, typer.Option()] = "http://127.0.0.1:8050",
    demo_accounts: Annotated[bool, typer.Option("--demo")] = False,
) -> None:
    """(internal) Demo accounts when the app database has none; a hint when not the demo."""
    from dashboard.auth import accounts
    from dashboard.auth import demo as demo_module
    from dashboard.auth.access import SYSTEM
    from dashboard.store import Store, StoreEmpty

    if accounts.count():
        return
    if not demo_accounts:
        err.print("尚无用户账号:请先运行 pulse user add <用户名> --role admin 创建管理员。")
        return
    try:
        towns = Store(access=SYSTEM).sql(
            "select town_code, town_name from towns order by town_code limit 1", public=True
        )
        first = towns.row(0) if towns.height else None
    except StoreEmpty:
        first = None
    created = demo_module.ensure(first)
    if created:
        err.print(demo_module.describe(created, url))


def _run_child(*args: str) -> None:
    """`pulse ARGS` in a child process (same interpreter, same environment); its output goes
    straight to this terminal. Stops `serve` when the child fails."""
    import subprocess

    done = subprocess.run([sys.executable, "-m", "dashboard.cli", *args], check=False)
    if done.returncode:
        err.print(f"[red]pulse {args[0]} failed (exit {done.returncode})[/red]")
        raise typer.Exit(done.returncode)


@app.command()
def status(
    fmt: Annotated[str, typer.Option("--format", help="table | json")] = "table",
    store: StoreOpt = None,
) -> None:
    """Health of the served data (as GET /healthz): generation, 数据截至, age, status.
    Exit 0 when ok, 1 when stale or empty: for cron and monitoring."""
    from dashboard.health import check

    report = check(store)
    if fmt == "json":
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    else:
        labels = {
            "status": "状态",
            "generation": "数据版本",
            "published_at": "发布时间",
            "as_of": "数据截至",
            "data_age_hours": "数据时效 (小时)",
            "stale_hours": "过期阈值 (小时)",
            "checked_at": "检查时间",
        }
        table = Table(title="看板数据状态", show_header=False)
        table.add_column("项目")
        table.add_column("值")
        for key, label in labels.items():
            value = report.get(key)
            table.add_row(label, "—" if value is None else str(value))
        console.print(table)
    raise typer.Exit(0 if report["status"] == "ok" else 1)


Format = Annotated[str, typer.Option("--format", help="table | csv | json")]


def _dates(date_from: str, date_to: str, as_of: str | None):
    from datetime import datetime

    try:
        return (
            date.fromisoformat(date_from),
            date.fromisoformat(date_to),
            datetime.fromisoformat(as_of) if as_of else None,
        )
    except ValueError as exc:
        err.print(f"[red]日期格式错误[/red] {exc} (YYYY-MM-DD, as-of 'YYYY-MM-DD HH:MM:SS')")
        raise typer.Exit(2) from None


def _emit(frame, fmt: str, title: str) -> None:
    if fmt == "csv":
        sys.stdout.write(frame.write_csv(null_value="", float_precision=4))
    elif fmt == "json":
        sys.stdout.write(
            json.dumps(frame.to_dicts(), ensure_ascii=False, default=str, indent=2) + "\n"
        )
    else:
        table = Table(title=title)
        for col in frame.columns:
            table.add_column(col, justify="right" if frame[col].dtype.is_numeric() else "left")
        for row in frame.iter_rows():
            table.add_row(
                *("" if v is None else f"{v:.4f}" if isinstance(v, float) else str(v) for v in row)
            )
        console.print(table)


@app.command()
def metrics(
    date_from: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
    date_to: Annotated[str, typer.Option("--to", help="Last day (inclusive).")],
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="'Now' for open work (default: extraction time of the newest loaded file).",
        ),
    ] = None,
    by: Annotated[str, typer.Option(help="town | dept | county")] = "town",
    fmt: Format = "table",
    store: StoreOpt = None,
) -> None:
    """Indicators per town (or town and department, or county) for a period (contract §7)."""
    from dashboard.auth.access import SYSTEM
    from dashboard.domain import counties
    from dashboard.domain.metrics import metrics as compute
    from dashboard.store import Store

    if by not in ("town", "dept", "county"):
        err.print("--by must be town, dept or county")
        raise typer.Exit(2)
    start, end, now = _dates(date_from, date_to, as_of)
    if by == "county":  # one row per county (issue 18), named
        reader = Store(store, access=SYSTEM)
        frame = counties.metrics(reader, start, end, now, flags=True)
        frame = frame.select("county_code", "county_name", *frame.columns[1:-1])
    else:
        frame = compute(Store(store, access=SYSTEM), start, end, now, by=by)
    frame = frame.drop("rectify_overdue")
    _emit(frame, fmt, f"指标 {start} 至 {end}")


@app.command()
def cases(
    indicator: Annotated[str, typer.Option(help="Indicator name, e.g. overdue_open.")],
    town: Annotated[str, typer.Option(help="Town code (or name).")],
    date_from: Annotated[str, typer.Option("--from")],
    date_to: Annotated[str, typer.Option("--to")],
    dept: Annotated[str | None, typer.Option(help="Department name.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of")] = None,
    fmt: Format = "table",
    store: StoreOpt = None,
) -> None:
    """The rows behind a figure: case, ticket or evaluation ids with their key fields."""
    from dashboard.auth.access import SYSTEM
    from dashboard.domain.trace import rows_behind
    from dashboard.store import Store

    start, end, now = _dates(date_from, date_to, as_of)
    reader = Store(store, access=SYSTEM)
    code = reader.sql(
        "select town_code from towns where town_code = $t or town_name = $t",
        {"t": town},
        public=True,
    )
    if code.is_empty():
        err.print(f"[red]未知乡镇[/red] {town}")
        raise typer.Exit(2)
    try:
        frame = rows_behind(
            reader, indicator, start, end, town=code["town_code"][0], dept=dept, as_of=now
        )
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    _emit(frame, fmt, f"{indicator} · {town} · {start} 至 {end}: {frame.height} 行")


@app.command()
def snapshot(
    week: Annotated[
        str | None, typer.Option(help="ISO week, e.g. 2026-W47 (default: the last complete week).")
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="First day (instead of --week).")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day (inclusive).")] = None,
    town: Annotated[
        str | None, typer.Option(help="Town code (or name): that town's own report.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write the PDF here instead of into the archive.")
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(help="Render on this running dashboard (default: a private server here)."),
    ] = None,
    send: Annotated[
        bool, typer.Option("--mail/--no-mail", help="E-mail it to the configured recipients.")
    ] = False,
    timeout: Annotated[float | None, typer.Option(help="Seconds to wait for the page.")] = None,
    store: StoreOpt = None,
) -> None:
    """A4 landscape PDF of a week's figures (county, or one town), archived in
    data/snapshots/ with an index; see docs/snapshots.md."""
    import logging
    import os

    if store:
        os.environ["PULSE_STORE"] = store
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    from dashboard.auth.access import SYSTEM
    from dashboard.domain.metrics import default_as_of
    from dashboard.snapshot.content import Request, default_week
    from dashboard.snapshot.render import RenderError
    from dashboard.snapshot.schedule import produce
    from dashboard.store import Store, StoreEmpty

    try:
        if week and (date_from or date_to):
            raise ValueError("give --week or --from/--to, not both")
        if week:
            request = Request.week(week, town)
        elif date_from or date_to:
            if not (date_from and date_to):
                raise ValueError("--from and --to go together")
            start, end, _ = _dates(date_from, date_to, None)
            request = Request(min(start, end), max(start, end), town)
        else:
            request = default_week(default_as_of(Store(access=SYSTEM)))
            request = Request(request.start, request.end, town)
    except (ValueError, StoreEmpty) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    try:
        (item,) = produce([request], url=url, out=out, send_mail=send, timeout=timeout)
    except RenderError as exc:
        err.print(f"[red]周报生成失败[/red] {exc}")
        raise typer.Exit(1) from None
    sys.stdout.write(f"{item.path}  ({item.meta.get('period_label')}, {item.seconds:.1f} s)\n")
    for d in item.deliveries:
        state = "已发送" if d.ok else "[red]发送失败[/red]"
        console.print(f"  {state} → {', '.join(d.to)} (尝试 {d.attempts} 次)")
    if any(not d.ok for d in item.deliveries):
        raise typer.Exit(3)


@app.command()
def schedule(
    cron: Annotated[
        str | None, typer.Option(help="Crontab expression (default snapshot.cron: 0 8 * * 1).")
    ] = None,
    tz: Annotated[
        str | None, typer.Option("--timezone", help="Default snapshot.timezone (Asia/Shanghai).")
    ] = None,
    towns: Annotated[
        bool | None, typer.Option("--towns/--no-towns", help="Also every town's PDF.")
    ] = None,
    url: Annotated[str | None, typer.Option(help="Render on this running dashboard.")] = None,
    run_now: Annotated[bool, typer.Option(help="Produce last week's PDFs at once, too.")] = False,
    once: Annotated[
        bool, typer.Option(help="Produce last week's PDFs once and exit (for cron, timers).")
    ] = False,
    show_next: Annotated[
        int, typer.Option("--next", help="Only print the next N run times and exit.")
    ] = 0,
    store: StoreOpt = None,
) -> None:
    """Run in the foreground, producing the weekly PDFs on schedule (archive, e-mail)."""
    import logging
    import os

    if store:
        os.environ["PULSE_STORE"] = store
    from dashboard.snapshot import schedule as jobs

    try:
        upcoming = jobs.next_runs(cron, tz, n=max(show_next, 3))
    except (ValueError, KeyError) as exc:
        err.print(f"[red]schedule: {exc}[/red]")
        raise typer.Exit(2) from None
    if show_next:
        for t in upcoming[:show_next]:
            console.print(f"{t:%Y-%m-%d %H:%M %Z} ({t:%A})")
        return
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if not once:
        jobs.run_forever(cron, tz, towns=towns, url=url, run_now=run_now)
        return
    from dashboard.snapshot.render import RenderError

    try:
        done = jobs.weekly_job(towns=towns, url=url)
    except RenderError as exc:
        err.print(f"[red]周报生成失败[/red] {exc}")
        raise typer.Exit(1) from None
    for item in done:
        sys.stdout.write(f"{item.path}\n")
    if any(not d.ok for item in done for d in item.deliveries):
        raise typer.Exit(3)


# --- accounts and the audit log (issue 13) ---------------------------------------------------

user_app = typer.Typer(help="Accounts: people (admin, county, town) and wall devices.")
app.add_typer(user_app, name="user")


def _use_store(store: str | None) -> None:
    """--store / PULSE_STORE decides where the app database is (beside the store)."""
    import os

    if store:
        os.environ["PULSE_STORE"] = store


def _read_password(from_stdin: bool, confirm: bool = True) -> str:
    import getpass

    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        err.print("[red]需要密码[/red]: 用 --password-stdin 从标准输入读取,或在终端中运行")
        raise typer.Exit(2)
    first = getpass.getpass("密码: ")
    if confirm and getpass.getpass("再输入一次: ") != first:
        err.print("[red]两次输入的密码不一致[/red]")
        raise typer.Exit(2)
    return first


def _several_counties_in_store() -> bool:
    from dashboard.auth.access import SYSTEM
    from dashboard.domain import counties
    from dashboard.store import Store, StoreEmpty

    try:
        return counties.several(Store(access=SYSTEM))
    except StoreEmpty:
        return False


def _known_counties(codes: list[str]) -> tuple[str, ...]:
    """County codes (or names) checked against the store's counties, when there is a store."""
    from dashboard.auth.access import SYSTEM
    from dashboard.store import Store, StoreEmpty

    if not codes:
        return ()
    try:
        rows = (
            Store(access=SYSTEM)
            .sql("select county_code, county_name from counties", public=True)
            .rows()
        )
    except StoreEmpty:
        return tuple(codes)
    by_name = {name: code for code, name in rows if name}
    known = {code for code, _ in rows}
    found = []
    for code in codes:
        if code in known:
            found.append(code)
        elif code in by_name:
            found.append(by_name[code])
        else:
            err.print(f"[red]未知县区[/red] {code}")
            raise typer.Exit(2)
    return tuple(found)


def _known_towns(codes: list[str]) -> tuple[str, ...]:
    """Town codes (or names) checked against the store's town list, when there is a store."""
    from dashboard.auth.access import SYSTEM
    from dashboard.store import Store, StoreEmpty

    try:
        towns = dict(
            Store(access=SYSTEM).sql("select town_code, town_name from towns", public=True).rows()
        )
    except StoreEmpty:
        return tuple(codes)
    by_name = {v: k for k, v in towns.items()}
    found = []
    for code in codes:
        if code in towns:
            found.append(code)
        elif code in by_name:
            found.append(by_name[code])
        else:
            err.print(f"[red]未知乡镇[/red] {code}")
            raise typer.Exit(2)
    return tuple(found)


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="User name (login).")],
    role: Annotated[str, typer.Option(help="admin | city | county | town | wall")],
    town: Annotated[
        list[str] | None, typer.Option("--town", help="Town code or name (town role; repeat).")
    ] = None,
    county: Annotated[
        list[str] | None,
        typer.Option(
            "--county",
            help="County code (6 digits) or name (county role; repeat). Required "
            "when the store holds several counties.",
        ),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    store: StoreOpt = None,
) -> None:
    """Create an account. A wall device gets a token (printed once) instead of a password."""
    from dashboard.auth import accounts, audit
    from dashboard.auth.access import SYSTEM, acting_as

    _use_store(store)
    towns = _known_towns(town or [])
    counties = _known_counties(county or [])
    try:
        password = None if role == "wall" else _read_password(password_stdin)
        with acting_as(SYSTEM):
            token = accounts.add(name, role, towns, password, counties=counties)
            change = {"change": "add", "name": name, "role": role, "towns": list(towns)}
            if counties:
                change["counties"] = list(counties)
            audit.record("user_change", change)
    except accounts.AccountError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    err.print(f"已创建用户 {name}({role})")
    if role == "county" and not counties and _several_counties_in_store():
        err.print("[yellow]注意:本系统有多个县区,未指定 --county 的县级用户看不到任何数据[/yellow]")
    if token:
        _print_token(name, token)


def _print_token(name: str, token: str) -> None:
    sys.stdout.write(f"{token}\n")
    err.print(f"大屏 {name} 的访问令牌只显示这一次。大屏地址: http://<服务器>/wall?token={token}")


@user_app.command("list")
def user_list(fmt: Format = "table", store: StoreOpt = None) -> None:
    """Every account: role, towns, state, last login."""
    import polars as pl

    from dashboard.auth import accounts

    _use_store(store)
    users = accounts.all_users()
    frame = pl.DataFrame(
        {
            "name": [u.name for u in users],
            "role": [u.role for u in users],
            "towns": [",".join(u.towns) for u in users],
            "counties": [",".join(u.counties) for u in users],
            "state": ["停用" if u.disabled else "锁定" if u.locked else "正常" for u in users],
            "last_login_at": [u.last_login_at or "" for u in users],
            "created_at": [u.created_at for u in users],
        },
        schema={
            c: pl.String
            for c in ("name", "role", "towns", "counties", "state", "last_login_at", "created_at")
        },
    )
    _emit(frame, fmt, f"用户 ({len(users)})")


def _change(name: str, change: str, action) -> None:
    from dashboard.auth import accounts, audit
    from dashboard.auth.access import SYSTEM, acting_as

    try:
        with acting_as(SYSTEM):
            result = action()
            audit.record("user_change", {"change": change, "name": name})
    except accounts.AccountError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    return result


@user_app.command("disable")
def user_disable(name: str, store: StoreOpt = None) -> None:
    """Disable an account and end its sessions."""
    from dashboard.auth import accounts

    _use_store(store)
    _change(name, "disable", lambda: accounts.set_disabled(name, True))
    console.print(f"已停用 {name}")


@user_app.command("enable")
def user_enable(name: str, store: StoreOpt = None) -> None:
    """Enable a disabled account, or unlock a locked one."""
    from dashboard.auth import accounts

    _use_store(store)
    _change(name, "enable", lambda: accounts.set_disabled(name, False))
    console.print(f"已启用 {name}")


@user_app.command("passwd")
def user_passwd(
    name: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    store: StoreOpt = None,
) -> None:
    """Set a new password (ends the account's sessions)."""
    from dashboard.auth import accounts

    _use_store(store)
    password = _read_password(password_stdin)
    _change(name, "passwd", lambda: accounts.set_password(name, password))
    console.print(f"已修改 {name} 的密码")


@user_app.command("token")
def user_token(name: str, store: StoreOpt = None) -> None:
    """A new access token for a wall device (the old one stops working); printed once."""
    from dashboard.auth import accounts

    _use_store(store)
    token = _change(name, "token", lambda: accounts.new_token(name))
    _print_token(name, token)


@app.command("audit")
def audit_log(
    since: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Last day (inclusive).")] = None,
    user: Annotated[str | None, typer.Option(help="Only this user.")] = None,
    action: Annotated[
        str | None, typer.Option(help="login | login_failed | logout | export | view_rows | …")
    ] = None,
    fmt: Format = "table",
    store: StoreOpt = None,
) -> None:
    """The audit log: logins, exports, views of case rows, account changes."""
    import polars as pl

    from dashboard.admin_routes import COLUMNS, audit_filters
    from dashboard.auth import audit
    from dashboard.errors import BadRequest

    _use_store(store)
    try:
        filters = audit_filters({"since": since, "until": until, "user": user, "action": action})
    except BadRequest as exc:
        err.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from None
    rows = audit.query(**filters)
    frame = pl.DataFrame(
        [{k: r[k] for k in COLUMNS} for r in rows],
        schema={k: (pl.Int64 if k == "rows" else pl.String) for k in COLUMNS},
    )
    _emit(frame, fmt, f"审计日志 ({len(rows)} 条)")


@app.command()
def watch(
    folder: Annotated[Path, typer.Argument(help="The inbox folder.")],
    once: Annotated[bool, typer.Option(help="One pass, then exit (cron, tests).")] = False,
    interval: Annotated[
        float | None, typer.Option(help="Seconds between passes (inbox.poll_seconds).")
    ] = None,
    settle: Annotated[
        float | None,
        typer.Option(help="Seconds a file must stay unchanged (inbox.settle_seconds)."),
    ] = None,
    store: StoreOpt = None,
) -> None:
    """Load the export files dropped into FOLDER: loaded ones move to done/YYYY-MM-DD/,
    refused ones to failed/ with a .reason.txt; files still being written wait, and a file
    loaded before (same sha256) is not loaded again."""
    import logging

    from etl.inbox import Inbox

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if not folder.is_dir():
        err.print(f"[red]收件箱文件夹不存在[/red] {folder}")
        raise typer.Exit(2)
    inbox = Inbox(folder, store=store, settle=settle, confirm=not once)
    if not once:
        inbox.run_forever(interval)
        return
    result = inbox.run_pass()
    for label, paths in (
        ("已导入", result.loaded),
        ("重复", result.repeated),
        ("未导入", result.failed),
        ("等待写完", result.waiting),
    ):
        for path in paths:
            console.print(f"{label}\t{path}")
    raise typer.Exit(1 if result.failed else 0)


@app.command()
def backup(
    out: Annotated[
        Path,
        typer.Option(
            help="Archive to write (.tar.gz), or an existing folder: a dated archive in it."
        ),
    ],
    keep: Annotated[
        int | None,
        typer.Option(help="With a folder: keep only the newest N archives (backup.keep)."),
    ] = None,
    store: StoreOpt = None,
) -> None:
    """One archive with the published store generation, the secret, the app database and
    pulse.toml, with a manifest (sha256 of each part). Safe while serving and loading."""
    from etl import settings
    from etl.backup import BackupError
    from etl.backup import backup as run_backup

    try:
        done = run_backup(
            out, store, keep=int(settings.get("backup.keep")) if keep is None else keep
        )
    except BackupError as exc:
        err.print(f"[red]备份失败[/red] {exc}")
        raise typer.Exit(1) from None
    m = done.manifest
    size = done.path.stat().st_size / 2**20
    console.print(
        f"{done.path}  ({size:.1f} MB; {m['generation']}, 数据截至 {m['as_of']}; "
        f"secret {m['secret']}, app database {m['app_db']}, config {m['config']})"
    )
    for old in done.removed:
        console.print(f"  removed {old.name} (keeping {keep or settings.get('backup.keep')})")


@app.command()
def restore(
    archive: Annotated[Path, typer.Argument(help="An archive written by `pulse backup`.")],
    force: Annotated[
        bool, typer.Option(help="Replace an existing different secret or app database.")
    ] = False,
    store: StoreOpt = None,
) -> None:
    """Put a backup back: the store generation (published as the current one), the secret,
    the app database; pulse.toml is written beside the store as pulse.toml.from-backup."""
    from etl.backup import BackupError
    from etl.backup import restore as run_restore

    try:
        done = run_restore(archive, store, force=force)
    except (BackupError, OSError) as exc:
        err.print(f"[red]恢复失败[/red] {exc}")
        raise typer.Exit(1) from None
    m = done.manifest
    console.print(f"已恢复 {m['generation']} (备份于 {m['created_at']}, 数据截至 {m['as_of']})")
    console.print(f"  store      → {done.generation}")
    console.print(f"  secret     → {done.secret}")
    console.print(f"  app db     → {done.app_db}")
    if done.config:
        console.print(f"  pulse.toml → {done.config} (compare with the one in use)")


# --- the management loop (issue 17): warnings, 办件抽查, 整改台账, 通报 ---------------------

notify_app = typer.Typer(
    help="Early warnings (超时预警, 超期, 12345) and threshold alerts to subscribers.",
    invoke_without_command=True,
)
app.add_typer(notify_app, name="notify")


@notify_app.callback(invoke_without_command=True)
def notify(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be sent; send nothing.")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="table | json")] = "table",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="'Now' (default: 数据截至 of the store).")
    ] = None,
    subscription: Annotated[
        list[int] | None, typer.Option("--subscription", help="Only this subscription (repeat).")
    ] = None,
    store: StoreOpt = None,
) -> None:
    """Send every subscriber the cases now 超时预警 or newly 超期, 12345 tickets newly 超期 and
    targets missed this period — each record once per state (the sent-log); failed sends
    stay unsent and are tried again next time. Runs daily from `pulse schedule`."""
    if ctx.invoked_subcommand:
        return
    import logging
    from datetime import datetime

    from dashboard.auth.access import SYSTEM, acting_as
    from dashboard.manage import warnings
    from dashboard.store import Store, StoreEmpty

    _use_store(store)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        now = datetime.fromisoformat(as_of) if as_of else None
    except ValueError:
        err.print("[red]--as-of 格式应为 'YYYY-MM-DD HH:MM:SS'[/red]")
        raise typer.Exit(2) from None
    try:
        with acting_as(SYSTEM):
            plans = warnings.run(
                Store(store, access=SYSTEM), now, dry_run=dry_run, ids=subscription
            )
    except (StoreEmpty, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    if fmt == "json":
        sys.stdout.write(
            json.dumps([p.as_json() for p in plans], ensure_ascii=False, indent=2, default=str)
            + "\n"
        )
    else:
        table = Table(title="预警提醒" + (" (演练,未发送)" if dry_run else ""))
        for col in (
            "订阅",
            "接收方",
            "乡镇数",
            "超时预警",
            "超期未办结",
            "12345超期",
            "未达目标",
            "消息",
            "结果",
        ):
            table.add_column(col)
        for p in plans:
            new = p.new_counts()
            outcome = "—"
            if p.outcomes:
                ok = sum(o.ok for o in p.outcomes)
                outcome = f"{ok}/{len(p.outcomes)} 已发送" + (
                    "" if ok == len(p.outcomes) else f";{p.outcomes[-1].error}"
                )
            table.add_row(
                f"{p.subscription.id} {p.subscription.name}",
                p.subscription.recipient,
                str(len(p.towns)),
                f"{new['warning_open']}/{p.counts['warning_open']}",
                f"{new['overdue_open']}/{p.counts['overdue_open']}",
                f"{new['hotline_overdue_open']}/{p.counts['hotline_overdue_open']}",
                str(new["threshold"]),
                str(len(p.messages)),
                outcome,
            )
        console.print(table)
        err.print("各列为 新增/当前 件数;同一记录同一状态只提醒一次。")
    if any(not o.ok for p in plans for o in p.outcomes):
        raise typer.Exit(3)


@notify_app.command("subscribe")
def notify_subscribe(
    channel: Annotated[str, typer.Option(help="email | wecom (企业微信) | dingtalk (钉钉)")],
    to: Annotated[str, typer.Option("--to", help="E-mail address, or the robot's webhook URL.")],
    name: Annotated[str, typer.Option(help="A name for the list (e.g. 青石镇值班群).")] = "",
    user: Annotated[
        str | None, typer.Option(help="A town account: its towns (as they are when sending).")
    ] = None,
    town: Annotated[
        list[str] | None, typer.Option("--town", help="Town code or name (repeat).")
    ] = None,
    county: Annotated[bool, typer.Option("--county", help="Every town (never implied).")] = False,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind", help="warning | overdue | hotline | threshold (repeat; default all)."
        ),
    ] = None,
    secret: Annotated[
        str | None, typer.Option(help="钉钉 robot's signing secret (加签), if it has one.")
    ] = None,
    store: StoreOpt = None,
) -> None:
    """Add a subscriber. Without --town, --user (a town account) or --county it would get
    nothing, so it is refused."""
    import getpass

    from dashboard.manage import warnings

    _use_store(store)
    towns = _known_towns(town or [])
    try:
        sid = warnings.subscribe(
            name,
            channel,
            to,
            user=user,
            towns=towns,
            county_wide=county,
            kinds=kind,
            secret=secret,
            created_by=f"{getpass.getuser()}@cli",
        )
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(f"已添加订阅 {sid}")


@notify_app.command("unsubscribe")
def notify_unsubscribe(subscription_id: int, store: StoreOpt = None) -> None:
    """Remove a subscriber (its sent-log stays until it ages out)."""
    from dashboard.manage import warnings

    _use_store(store)
    if not warnings.unsubscribe(subscription_id):
        err.print(f"[red]没有订阅 {subscription_id}[/red]")
        raise typer.Exit(2)
    console.print(f"已删除订阅 {subscription_id}")


@notify_app.command("list")
def notify_list(fmt: Format = "table", store: StoreOpt = None) -> None:
    """Every subscriber: channel, address, towns, kinds."""
    import polars as pl

    from dashboard.manage import warnings

    _use_store(store)
    subs = warnings.subscriptions()
    frame = pl.DataFrame(
        {
            "id": [s.id for s in subs],
            "name": [s.name for s in subs],
            "channel": [s.channel for s in subs],
            "to": [s.target for s in subs],
            "towns": [s.describe_towns() for s in subs],
            "kinds": [",".join(s.kinds) for s in subs],
            "created_at": [s.created_at for s in subs],
        },
        schema={
            "id": pl.Int64,
            **{c: pl.String for c in ("name", "channel", "to", "towns", "kinds", "created_at")},
        },
    )
    _emit(frame, fmt, f"订阅 ({len(subs)})")


@notify_app.command("log")
def notify_log(
    status: Annotated[str | None, typer.Option(help="pending | sent | expired")] = None,
    recipient: Annotated[str | None, typer.Option(help="channel:address")] = None,
    limit: Annotated[int, typer.Option(help="Newest N rows.")] = 200,
    fmt: Format = "table",
    store: StoreOpt = None,
) -> None:
    """The sent-log: one row per recipient, record and state."""
    import polars as pl

    from dashboard.manage import warnings

    _use_store(store)
    rows = warnings.log_rows(recipient, status, limit)
    columns = ("recipient", "kind", "record_id", "state", "town_code", "status", "attempts",
               "last_error", "first_at", "last_attempt_at", "sent_at")  # fmt: skip
    frame = pl.DataFrame(
        [{k: r[k] for k in columns} for r in rows],
        schema={k: pl.Int64 if k == "attempts" else pl.String for k in columns},
    )
    _emit(frame, fmt, f"提醒记录 ({len(rows)})")


@app.command("audit-sample")
def audit_sample_command(
    month: Annotated[str, typer.Option(help="YYYY-MM")],
    per_dept: Annotated[
        int | None, typer.Option(help="Cases per department (audit_sample.per_dept).")
    ] = None,
    draw: Annotated[
        bool, typer.Option("--draw", help="Keep it as the month's sample (as the page's button).")
    ] = False,
    fmt: Format = "table",
    store: StoreOpt = None,
) -> None:
    """办件抽查: the month's random sample per department — the kept one when the month was
    drawn (with the checks recorded so far), else as it would be drawn now. Reproducible for
    the month and this installation's secret."""
    import polars as pl

    from dashboard.auth.access import SYSTEM, acting_as
    from dashboard.manage import audit_sample
    from dashboard.manage.common import ManageError
    from dashboard.store import Store, StoreEmpty

    _use_store(store)
    reader = Store(store, access=SYSTEM)
    try:
        with acting_as(SYSTEM):
            if draw:
                info = audit_sample.draw(reader, SYSTEM, month, per_dept)
                err.print(f"已确定 {month} 样本:{info.departments} 个部门,{info.cases} 件")
            kept = audit_sample.drawn(SYSTEM, month) if per_dept is None or draw else []
            rows = kept or audit_sample.sample(reader, month, per_dept).to_dicts()
            found = audit_sample.results(SYSTEM, month)
            names = dict(reader.sql("select town_code, town_name from towns", public=True).rows())
    except (ManageError, StoreEmpty, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    records = audit_sample.export_rows(rows, found, names)
    if not kept:
        err.print("(尚未确定抽样:以下为按现有数据的抽样结果)")
    if fmt == "json":
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=2, default=str) + "\n")
        return
    frame = pl.DataFrame(records, infer_schema_length=None) if records else pl.DataFrame()
    if fmt == "csv":
        sys.stdout.write(frame.write_csv())
        return
    if records:
        frame = frame.select("乡镇", "部门", "序号", "办件编号", "事项名称", "受理时间")
    _emit(frame, "table", f"办件抽查 {month}: {len(records)} 件")


@app.command()
def bulletin(
    month: Annotated[str | None, typer.Option(help="YYYY-MM: a monthly 通报.")] = None,
    quarter: Annotated[str | None, typer.Option(help="YYYY-Qn: a quarterly 通报.")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write the PDF here, not into the archive.")
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(help="Render on this running dashboard (default: a private server)."),
    ] = None,
    timeout: Annotated[float | None, typer.Option(help="Seconds to wait for the page.")] = None,
    store: StoreOpt = None,
) -> None:
    """通报: a monthly or quarterly bulletin PDF (A4 portrait) — 红黑榜 with rank changes,
    praise and criticism from the figures, overdue rectifications, 体外循环 — archived beside
    the weekly PDFs (bulletins/). Default: the last complete month."""
    import logging
    import os

    if store:
        os.environ["PULSE_STORE"] = store
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    from dashboard.auth.access import SYSTEM
    from dashboard.domain.metrics import default_as_of
    from dashboard.manage import bulletin as bulletins
    from dashboard.manage.common import ManageError
    from dashboard.snapshot.render import RenderError
    from dashboard.store import Store, StoreEmpty

    try:
        if month and quarter:
            raise ValueError("give --month or --quarter, not both")
        if month:
            request = bulletins.BulletinRequest.month(month)
        elif quarter:
            request = bulletins.BulletinRequest.quarter(quarter)
        else:
            request = bulletins.BulletinRequest.last("month", default_as_of(Store(access=SYSTEM)))
    except (ManageError, ValueError, StoreEmpty) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    try:
        from dashboard.snapshot.schedule import produce_bulletins

        ((path, meta, seconds),) = produce_bulletins([request], url=url, out=out, timeout=timeout)
    except RenderError as exc:
        err.print(f"[red]通报生成失败[/red] {exc}")
        raise typer.Exit(1) from None
    sys.stdout.write(f"{path}  ({meta.get('period_label')}, {seconds:.1f} s)\n")


@app.command("ledger")
def ledger_command(
    status: Annotated[str | None, typer.Option(help="待整改 | 整改中 | 已销号")] = None,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only items past their deadline.")
    ] = False,
    fmt: Format = "table",
    store: StoreOpt = None,
) -> None:
    """整改台账: every item with its last step (items are opened and closed on the page)."""
    import polars as pl

    from dashboard.auth.access import SYSTEM
    from dashboard.manage import ledger
    from dashboard.store import Store, StoreEmpty

    _use_store(store)
    try:
        names = dict(
            Store(store, access=SYSTEM)
            .sql("select town_code, town_name from towns", public=True)
            .rows()
        )
    except StoreEmpty:
        names = {}
    found = ledger.items(SYSTEM, status=status, overdue_only=overdue)
    rows = ledger.as_rows(SYSTEM, found, names)
    frame = pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()
    if fmt == "table" and rows:
        frame = frame.select("编号", "乡镇", "责任部门", "问题", "截止日期", "状态", "是否逾期")
    _emit(frame, fmt, f"整改台账 ({len(rows)} 项)")


def main() -> None:
    import os

    # store generations, the app database, logs: readable by the service group, no one else
    os.umask(0o027)
    app(prog_name="pulse")


if __name__ == "__main__":
    main()
