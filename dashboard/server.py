"""Production serving: gunicorn with several workers, each reading the store read-only."""

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


def serve(host: str, port: int, workers: int, threads: int = 4) -> None:
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "timeout": 120,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
        }
    ).run()
