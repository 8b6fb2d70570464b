"""The domain: what the figures mean, computed from the store — with no Dash, Plotly or
Flask. Pages, the wall, the PDF and the CLI call these; none of them defines a figure or a
judgment of its own.

- indicators: the registry, one declaration per figure (label, unit, flags, direction,
  target, the rows behind it, docs)
- params, metrics: the figures for a period, per town, department or the county
- trace: the rows behind any figure
- outside_system: 体外循环 detection and its evidence
- ranking: 红黑榜 (who ranks, who is on the boards, rank changes)
- lateness: how late a case is, in working days
- periods: named periods, trend windows, the previous comparable period
"""
