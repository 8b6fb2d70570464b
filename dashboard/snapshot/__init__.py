"""Weekly PDF snapshots (issue 7): the report's content (content.py), the print page
(dashboard/pages/report.py) rendered by headless Chromium (render.py), the archive with its
index (archive.py), e-mail delivery (mail.py) and the weekly schedule (schedule.py).

docs/snapshots.md describes the whole; every figure comes from dashboard.domain.metrics.metrics()
or dashboard.domain.trace.rows_behind(), never recomputed here.
"""
