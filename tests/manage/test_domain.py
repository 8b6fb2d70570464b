"""dashboard/manage is domain code: importing all of it loads no Dash, Plotly or
dash-bootstrap-components (issue 15's rule for the domain layer)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_the_manage_package_imports_no_ui():
    code = (
        "import sys\n"
        "import dashboard.manage.warnings, dashboard.manage.channels, dashboard.manage.ledger\n"
        "import dashboard.manage.audit_sample, dashboard.manage.explanations\n"
        "import dashboard.manage.bulletin, dashboard.manage.common\n"
        "ui = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('dash', 'plotly', 'dash_bootstrap_components', 'dash_ag_grid', 'flask'))\n"
        "print(','.join(ui))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == ""
