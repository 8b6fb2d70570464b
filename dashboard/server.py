"""Production serving: gunicorn with several workers, each reading the store read-only.

This module runs in gunicorn's master too, which forks the workers: it imports nothing that
starts threads (polars, DuckDB, pyarrow). The app is built in each worker (`load`)."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from dashboard.app import create_app

        app = create_app()
        # Dash registers its script bundles while rendering the first index page; do it in
        # every worker now, or a worker whose first request is a bundle answers 500.
        from dashboard.auth.gate import WARMUP

        with app.server.test_client() as client:
            client.get("/", environ_overrides={WARMUP: True})
        return app.server


def options(host: str, port: int, workers: int, threads: int = 4) -> dict:
    from dashboard import logs

    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 120,
        "preload_app": False,  # the app (and DuckDB) only ever in the workers
        # gunicorn 24+ serves a control socket from a thread of the master: a master that
        # forks (a worker restarted after a crash) must have no other thread; and it would
        # write ~/.gunicorn, which the hardened service cannot
        "control_socket_disable": True,
        "errorlog": "-",
        "loglevel": "info",
        # access.log and error.log in settings.log_dir(), rotated, with the request id
        "logconfig_dict": logs.gunicorn_logconfig(),
        "access_log_format": logs.ACCESS_FORMAT,
        # X-Forwarded-Proto from nginx on this machine marks requests that came in by HTTPS
        "forwarded_allow_ips": "127.0.0.1,::1",
    }


def serve(host: str, port: int, workers: int, threads: int = 4) -> None:
    _Gunicorn(options(host, port, workers, threads)).run()
