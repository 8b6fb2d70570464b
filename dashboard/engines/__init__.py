"""The indicator definitions on engines other than the store's DuckDB (issue 18 point 3):
`port` reads them from their one source and prints them in an engine's SQL; `spark` runs them
over the Parquet of etl/lake.py with Spark SQL; `check` compares the figures."""
