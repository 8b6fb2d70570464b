"""The management loop (issue 17): what the county office does with the figures.

- warnings.py  超时预警 and 超期 warnings and threshold alerts (`pulse notify`), with a sent-log
- channels.py  delivery by e-mail (the snapshot SMTP code), 企业微信 and 钉钉 group robots
- audit_sample.py  办件抽查: the monthly random sample per department, and its checks
- ledger.py  整改台账: items, their steps 待整改 → 整改中 → 已销号, deadlines in working days
- explanations.py  书面说明: departments and windows that must explain a month's 评价率/满意度
- bulletin.py  通报: the monthly and quarterly bulletin's content

Domain code: no Dash, no Plotly. Figures come from dashboard.domain (metrics, trace) only
(never recomputed here); what people record lives in the app database (dashboard/auth/
appdb.py), always read with the viewer's towns as a bound parameter.
"""
