"""How the Spark engine's workers get the driver's model: by name, never inside a pickle.

The pickled tagging function holds a ModelRef: the file's name, its sha256 and how to find it,
either shipped once to every executor with `SparkContext.addFile` (the default) or opened at a
path every executor sees (`shared=True`). Each Python worker loads it once into the engines'
per-process cache, keyed by the digest, after checking that the file it read is the driver's;
Spark's worker reuse (on by default) keeps the process, and so the model, from task to task.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

from pyspark import SparkFiles
from pyspark.sql import SparkSession

from windowner.data.files import file_sha256
from windowner.errors import UserError
from windowner.model_file import Model, load_model
from windowner.tagging.engines.tables import cached_model


@dataclass(frozen=True)
class ModelRef:
    """How a worker finds the driver's model: a file name under SparkFiles, or a shared path.

    Small and picklable; `digest` is the sha256 of the file, the key of the per-process cache.
    """

    path: str
    digest: str
    shipped: bool

    def load(self) -> tuple[Model, str]:
        """The model, from this process's cache or (once) from its file; the file's path if it
        was just loaded, else ''."""
        path = SparkFiles.get(self.path) if self.shipped else self.path
        model, loaded = cached_model(self.digest, lambda: self._read(path))
        return model, str(path) if loaded else ""

    def _read(self, path: str) -> Model:
        where = f"on executor {socket.gethostname()}"
        try:
            digest = file_sha256(path, "a model file")
        except UserError as error:
            raise UserError(f"cannot read the model {where}: {error.message}", path) from None
        if digest != self.digest:
            raise UserError(f"the model {where} is not the driver's (sha256 differs)", path)
        try:
            return load_model(path)
        except UserError as error:
            raise UserError(f"{where}: {error}") from None


def model_ref(spark: SparkSession, model: str | Path, shared: bool = False) -> ModelRef:
    """Check the model on the driver, then ship it to the executors (unless `shared`)."""
    path = Path(model)
    load_model(path)  # a bad model fails here, before any job starts
    digest = file_sha256(path, "a model file")
    if shared:
        return ModelRef(str(path.resolve()), digest, shipped=False)
    # addFile keys files by name, and a Spark application can add a name only once.
    key = (id(spark.sparkContext), path.name)
    before = _SHIPPED.setdefault(key, (str(path.resolve()), digest))
    if before != (str(path.resolve()), digest):
        raise UserError(
            f"this Spark application already shipped a different '{path.name}' "
            "(another path, or the file changed since): give the model another name",
            path,
        )
    spark.sparkContext.addFile(str(path.resolve()))
    return ModelRef(path.name, digest, shipped=True)


# Models this driver shipped with addFile: (SparkContext id, file name) -> (path, digest).
_SHIPPED: dict[tuple[int, str], tuple[str, str]] = {}
