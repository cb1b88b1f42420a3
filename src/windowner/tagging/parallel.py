"""Tag a text stream on N worker processes (`ner-tag --num-proc N`): one process's output, sooner.

This process reads the input and cuts it into batches exactly as one process does (TextReader,
text.batches); a reader thread hands each batch to the least busy worker, and the main thread
writes the workers' output in input order. The workers are forked after the model is loaded, so
they share its arrays instead of each reading the file, and tag and format each batch with the
functions one process uses (stream.tagged_runs, stream.write_tagged), its records numbered as
one process numbers them: the output is the same, byte for byte, for every format and unit.

Memory stays bounded: at most AHEAD batches per worker are out (handed over and not yet
written), so a slow reader of the output holds back the reading of the input, and with it the
workers; a worker sends its output in parts of at most PART_CHARS characters, at most AHEAD
parts ahead of what this process has written, so a long record is never held whole twice.

Nothing is half done: the output is complete only when every worker has finished and exited
cleanly (atomic_write keeps an --output file only then). Ctrl-C (SIGINT) is this process's to
handle (the workers ignore it): the workers are stopped and the KeyboardInterrupt goes on. A
worker that dies (killed, out of memory) is a UserError naming it; one that fails passes its
error on; either way the others are stopped, and none outlives the run. A worker whose parent
dies finds its pipes closed and exits.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import queue
import signal
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from windowner.atomic import atomic_write
from windowner.data.text_input import TextReader
from windowner.errors import UserError
from windowner.model.inference import MAX_THREADS, limit_forward_threads, usable_cores
from windowner.model_file import Model
from windowner.tagging.formats import footer, header
from windowner.tagging.options import TagOptions
from windowner.tagging.predict import token_table
from windowner.tagging.stream import TagRun, progress_bar, tagged_runs, write_tagged
from windowner.tagging.text import batches

# Batches each worker may have out (handed to it and not yet written): one being tagged and
# one waiting, so that no worker waits for the reader between two batches.
AHEAD = 2
# A worker's output goes to this process in parts of about this many characters (a batch's
# records at once, a long record in pieces).
PART_CHARS = 1 << 20
# Processes per core at most: more only share the cores and hold more copies of the pages.
MAX_PER_CORE = 8

# The messages a worker sends back, each one bytes object: its first byte says what it is.
_PART, _DONE, _FAILED = b"p", b"d", b"e"
_COUNTS = struct.Struct("<3q")  # a finished batch's units, sentences, tokens


def processes(num_proc: int) -> int:
    """The number of processes `--num-proc num_proc` asks for: 0 is one per core this process
    may use. A UserError for a negative count, or more than MAX_PER_CORE per core."""
    cores = usable_cores()
    most = MAX_PER_CORE * cores
    if isinstance(num_proc, bool) or not isinstance(num_proc, int) or not 0 <= num_proc <= most:
        raise UserError(
            f"--num-proc must be 0 (one per core) to {most} ({MAX_PER_CORE} per core on these "
            f"{cores}), got {num_proc!r}"
        )
    return num_proc or cores


def tag_file_parallel(
    model: Model,
    reader: TextReader,
    output: str | Path | None,
    *,
    output_format: str,
    options: TagOptions,
    workers: int,
    progress: bool = False,
) -> TagRun:
    """stream.tag_file's work on `workers` worker processes: `reader`'s units tagged into
    `output` (atomically; None: stdout) in `output_format`, as one process writes them."""
    started = time.perf_counter()
    with (
        WorkerPool(model, output_format, options, workers) as pool,
        _destination(output) as write,
        progress_bar(progress, reader.size) as advance,
    ):
        counts = pool.run(
            batches(reader, options.batch_size),
            write,
            after_batch=lambda: advance(reader.bytes_read),
        )
    return TagRun(*counts, time.perf_counter() - started)


@dataclass
class _Worker:
    """One worker process and this process's ends of its two pipes."""

    process: multiprocessing.Process
    tasks: Connection  # (first unit - 1, batch of texts) out, None to finish
    results: Connection  # its messages in
    outbox: queue.Queue = field(default_factory=queue.Queue)  # tasks for the feeder thread
    load: int = 0  # batches handed to it and not yet written


_END = object()  # the reader thread's last word: no more batches


class WorkerPool:
    """`count` forked workers tagging batches with `model`, and what feeds and drains them.

    Used as a context manager: leaving it stops every worker still running (SIGTERM, then
    SIGKILL), whatever happened.
    """

    def __init__(self, model: Model, output_format: str, options: TagOptions, count: int):
        self.model, self.output_format = model, output_format
        self.workers: list[_Worker] = []
        self._stopping = False
        self._free = threading.Condition()  # a batch was written: a worker has room
        self._assigned: queue.Queue = queue.Queue()  # each batch's worker, in input order
        token_table(model)  # made once here, shared by the workers as the model is
        # Each worker runs as many forward threads as its share of the cores allows.
        threads = max(1, min(MAX_THREADS, usable_cores() // count))
        context = multiprocessing.get_context("fork")
        self._feeders: list[threading.Thread] = []
        try:
            for number in range(1, count + 1):
                self.workers.append(self._start(context, number, options, threads))
        except BaseException:
            self.close()
            raise
        # threads only now: none may exist in this process while it forks
        for number, worker in enumerate(self.workers, 1):
            feeder = threading.Thread(
                target=_feed, args=(worker,), name=f"ner-tag feeder {number}", daemon=True
            )
            feeder.start()
            self._feeders.append(feeder)

    def _start(self, context, number: int, options: TagOptions, threads: int) -> _Worker:
        """Fork worker `number`. SIGINT is blocked meanwhile, so that a Ctrl-C at this moment
        reaches this process (once the fork is done) and never a worker before it ignores it."""
        task_out, task_in = context.Pipe(duplex=False)
        result_out, result_in = context.Pipe(duplex=False)
        # the ends a worker must close: this process's ends of its pipes and of the earlier
        # workers', so that when this process goes, every worker sees its own pipes close
        foreign = [task_in, result_out] + [
            end for w in self.workers for end in (w.tasks, w.results)
        ]
        arguments = (self.model, self.output_format, options, threads, task_out, result_in)
        process = context.Process(
            target=_work,
            args=(*arguments, foreign),
            name=f"ner-tag worker {number}",
            daemon=True,
        )
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            task_out.close()  # the worker's ends: only it holds them now
            result_in.close()
        return _Worker(process, task_in, result_out)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def run(
        self,
        texts: Iterator[list[str]],
        write: Callable[[bytes], object],
        after_batch: Callable[[], object] | None = None,
    ) -> tuple[int, int, int]:
        """Tag every batch of `texts` on the workers and `write` the output (UTF-8) in input
        order, between the format's header and footer; -> (units, sentences, tokens).

        An error reading the input is raised once the batches before it are written, as one
        process raises it. Returns only when every worker has exited cleanly.
        """
        write(header(self.output_format, tuple(self.model.entity_types)).encode("utf-8"))
        threading.Thread(
            target=self._read, args=(texts,), name="ner-tag reader", daemon=True
        ).start()
        units = sentences = tokens = 0
        while (worker := self._assigned.get()) is not _END:
            if isinstance(worker, BaseException):  # the input could not be read
                raise worker
            counts = self._receive(worker, write)
            units, sentences, tokens = units + counts[0], sentences + counts[1], tokens + counts[2]
            with self._free:
                worker.load -= 1
                self._free.notify()
            if after_batch is not None:
                after_batch()
        closing = footer(self.output_format)
        if closing:
            write(closing.encode("utf-8"))
        self._finish()
        return units, sentences, tokens

    def _read(self, texts: Iterator[list[str]]) -> None:
        """The reader thread: hand each batch to the least busy worker (waiting while every
        worker has AHEAD out), and say which in `_assigned`, in input order."""
        units = 0
        try:
            for batch in texts:
                with self._free:
                    while not self._stopping and min(w.load for w in self.workers) >= AHEAD:
                        self._free.wait()
                    if self._stopping:
                        return
                    worker = min(self.workers, key=lambda w: w.load)
                    worker.load += 1
                worker.outbox.put((units, batch))
                self._assigned.put(worker)
                units += len(batch)
        except BaseException as error:  # reported by the writing thread, in its turn
            self._assigned.put(error)
            return
        self._assigned.put(_END)

    def _receive(self, worker: _Worker, write: Callable[[bytes], object]) -> tuple[int, ...]:
        """Write the output of `worker`'s oldest batch as it arrives; -> its counts."""
        while True:
            try:
                message = worker.results.recv_bytes()
            except (EOFError, OSError):  # its end of the pipe closed: it is gone
                raise self._died(worker) from None
            kind, body = message[:1], memoryview(message)[1:]
            if kind == _PART:
                write(body)
            elif kind == _DONE:
                return _COUNTS.unpack(body)
            else:
                raise _failure(json.loads(bytes(body)), worker.process.pid)

    def _finish(self) -> None:
        """Let every worker finish and exit; a UserError if one did not exit cleanly."""
        for worker in self.workers:
            worker.outbox.put(None)
        for worker in self.workers:
            worker.process.join()
            if worker.process.exitcode != 0:
                raise self._died(worker)

    def _died(self, worker: _Worker) -> UserError:
        process = worker.process
        process.join(timeout=5)
        code = process.exitcode
        if code is None:
            how = "stopped answering"
        elif code < 0:
            how = f"was killed by {signal.Signals(-code).name}"
        else:
            how = f"exited with code {code}"
        return UserError(f"--num-proc: worker process {process.pid} {how} while tagging")

    def close(self) -> None:
        """Stop every worker still running and the threads feeding them; wait for them.

        A second Ctrl-C waits until this is done, so that it cannot leave a worker behind."""
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            with self._free:
                self._stopping = True
                self._free.notify_all()
            for worker in self.workers:
                worker.outbox.put(None)
                if worker.process.is_alive():
                    worker.process.terminate()
            for worker in self.workers:
                worker.process.join(timeout=5)
                if worker.process.is_alive():  # SIGTERM held off: no choice left
                    worker.process.kill()
                    worker.process.join()
            for feeder in self._feeders:  # their sends fail at once now that nobody reads
                feeder.join(timeout=5)
            for worker in self.workers:
                worker.tasks.close()
                worker.results.close()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _feed(worker: _Worker) -> None:
    """A feeder thread: send `worker` its tasks, so that the reader never waits on one worker's
    pipe while another has room."""
    while (task := worker.outbox.get()) is not None:
        try:
            worker.tasks.send(task)
        except (OSError, ValueError):  # the worker is gone (or closed): _receive will say so
            return
    with contextlib.suppress(OSError, ValueError):
        worker.tasks.send(None)


# --- in the worker process --------------------------------------------------------------------


def _work(
    model: Model,
    output_format: str,
    options: TagOptions,
    threads: int,
    tasks: Connection,
    results: Connection,
    foreign: list[Connection],
) -> None:
    """A worker's life: tag and format each batch it is sent, until None or its pipe closes.

    Its messages go out through a sender thread, so that it tags its next batch while this
    one's output waits for its turn to be written.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    for end in foreign:
        end.close()
    limit_forward_threads(threads)
    outbox: queue.Queue = queue.Queue(maxsize=AHEAD)
    sender = threading.Thread(target=_send, args=(outbox, results), daemon=True)
    sender.start()
    try:
        while (task := _next_task(tasks)) is not None:
            units, batch = task
            parts = _Parts(outbox)
            runs = tagged_runs(model, batch, options)
            counts = write_tagged(model, runs, units, parts.write, output_format, options)
            parts.flush()
            outbox.put(_DONE + _COUNTS.pack(*counts))
    except BaseException as error:  # every failure goes to the parent, which reports it
        outbox.put(_FAILED + json.dumps(_described(error), default=str).encode("utf-8"))
    outbox.put(None)
    sender.join()


def _next_task(tasks: Connection):
    try:
        return tasks.recv()
    except EOFError:  # the parent is gone
        return None


def _send(outbox: queue.Queue, results: Connection) -> None:
    """The sender thread: each message to the parent, in order."""
    while (message := outbox.get()) is not None:
        try:
            results.send_bytes(message)
        except OSError:  # the parent is gone: nobody is left to tag for
            os._exit(1)


class _Parts:
    """A write function that sends what it is given to the parent in parts of PART_CHARS."""

    def __init__(self, outbox: queue.Queue):
        self.outbox = outbox
        self.held: list[str] = []
        self.size = 0

    def write(self, text: str) -> None:
        self.held.append(text)
        self.size += len(text)
        if self.size >= PART_CHARS:
            self.flush()

    def flush(self) -> None:
        if self.held:
            self.outbox.put(_PART + "".join(self.held).encode("utf-8"))
            self.held, self.size = [], 0


def _described(error: BaseException) -> tuple[str, tuple | str]:
    """A worker's error as plain data, sent as JSON (nothing read back from a pipe is unpickled):
    ("user", (message, path, line)) for a UserError, else ("bug", its traceback)."""
    if isinstance(error, UserError):
        return "user", (error.message, error.path, error.line)
    return "bug", "".join(traceback.format_exception(error))


def _failure(described: tuple[str, tuple | str], pid: int) -> Exception:
    """The exception this process raises for a worker's _described error."""
    kind, detail = described
    if kind == "user":
        return UserError(*detail)
    return RuntimeError(f"ner-tag worker process {pid} failed:\n{detail}")


@contextlib.contextmanager
def _destination(output: str | Path | None) -> Iterator[Callable[[bytes], object]]:
    """A function writing bytes into `output` atomically, or to stdout."""
    if output is not None:
        with atomic_write(output, "wb") as f:
            yield f.write
        return
    stdout = sys.stdout.buffer
    yield stdout.write
    stdout.flush()
