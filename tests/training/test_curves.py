"""The training-curves PNG: drawn from metrics.jsonl's records, written atomically."""

import struct

from windowner.training.curves import plot_curves

HISTORY = [
    {"epoch": e, "train_loss": 1 / e, "dev_f1": 0.5 + e / 20, "lr": 0.2} for e in range(1, 6)
] + [{"best_epoch": 5, "dev_f1": 0.75, "test_f1": 0.7}]  # the final record has no epoch


def test_a_png_of_three_panels_is_written_and_the_final_record_is_left_out(tmp_path):
    path = tmp_path / "curves.png"
    plot_curves(HISTORY, path, title="run")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1200, 340)  # figsize 12 × 3.4 at 100 dpi
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]  # no temporary left


def test_redrawing_replaces_the_file_whole(tmp_path):
    path = tmp_path / "curves.png"
    plot_curves(HISTORY[:2], path)
    first = path.read_bytes()
    plot_curves(HISTORY, path)
    assert path.read_bytes() != first and path.read_bytes()[:4] == b"\x89PNG"
