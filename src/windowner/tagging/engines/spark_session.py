"""The Spark session `ner-tag --engine spark` runs on, its quiet log, and its --conf settings.

pyspark is imported here, so importing this module needs the `spark` extra.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from pyspark.sql import SparkSession

from windowner.errors import UserError, first_line


def spark_session(master: str | None = None, conf: dict[str, str] | None = None) -> SparkSession:
    """The active session, or a new one: on `master`, else spark-submit's, else local[*].

    On a local master the Python workers run this interpreter (its venv has windowner); on a
    cluster they run the executors' own (spark.pyspark.python / PYSPARK_PYTHON there).
    """
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit started this driver
    if master is None and not submitted:
        master = "local[*]"
    if master is not None and master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("ner-tag")
    if master is not None:
        builder = builder.master(master)
    settings = {"spark.ui.showConsoleProgress": "false"}
    if not submitted:  # the driver's JVM starts here: only errors from its log on stderr
        settings["spark.driver.extraJavaOptions"] = f"-Dlog4j2.configurationFile={_log4j2()}"
    for key, value in {**settings, **(conf or {})}.items():
        builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as error:  # no Java, a bad master URL or setting: Spark's own message
        raise UserError(f"cannot start Spark: {first_line(error)}") from None


_LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n
"""


def _log4j2() -> str:
    """A log4j2 configuration that lets only errors through (Spark's start-up WARN lines would
    surround ner-tag's own output); --conf spark.driver.extraJavaOptions=... replaces it."""
    path = Path(tempfile.gettempdir()) / "windowner-spark-log4j2.properties"
    if not path.exists() or path.read_text() != _LOG4J2:
        path.write_text(_LOG4J2)
    return str(path)


def parse_conf(pairs: list[str]) -> dict[str, str]:
    """--conf KEY=VALUE options as a dict."""
    conf = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--conf expects KEY=VALUE, got '{pair}'")
        conf[key.strip()] = value
    return conf
