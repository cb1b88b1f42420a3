"""The engines that tag a table of texts: `local` (datasets' Dataset.map on this machine) and
`spark` (DataFrame.mapInArrow on Apache Spark), writing one schema declared in tagging/records.py.

tables.py holds what both share (the added columns' types, the column checks, the model cache);
local.py is the datasets engine; the Spark engine is split by job: spark_session.py (the
session), spark_model.py (shipping the model), spark_stats.py (what the workers did) and
spark_job.py (the tagging job, the command's run, the staged write).

May import: tagging, data, errors, atomic, model_file; datasets, pyarrow, pyspark (spark_*.py
only, and never at import of the package).
"""
