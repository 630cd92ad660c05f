"""The frame-series base on a scan being acquired: the frames written so far, said to be
incomplete and read again next time; a half-written newest frame left out only while later
frames are pending; a region beyond the detector refused."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pytest

from nx5d_core import FileRepository, Frame, FrameSeriesScan, Proposal
from nx5d_core.errors import CorruptFrameError, MissingFrameError
from nx5d_core.scan import SNAPSHOT
from nx5d_core.series import split_pending

FRAMES = 5


class _NpyScan(FrameSeriesScan):
    """``{scan}/list.txt`` names the frames (written ahead of them); each is a ``.npy``."""

    @property
    def folder(self) -> Path:
        return Path(self.repository.url) / self.proposal.key / self.key

    def _frames(self) -> list[Frame]:
        names = (self.folder / "list.txt").read_text().split()
        return [Frame(self.folder / n) for n in names]

    def _frames_and_pending(self) -> tuple[list[Frame], list[Frame]]:
        return split_pending(self._frames())

    def _extra_files(self) -> list[Path]:
        return [self.folder / "list.txt"]

    @staticmethod
    def decode_frame(stream: BinaryIO, *, member: int) -> np.ndarray:
        return np.asarray(np.load(stream, allow_pickle=False))


class _NpyProposal(Proposal):
    scan_class = _NpyScan


class _NpyRepository(FileRepository):
    name = "npy-series"
    layout = "/{proposal}/{scan}/list.txt"
    proposal_class = _NpyProposal

    def _list_scans(self) -> Iterable[str]:
        return []


def _frame(n: int) -> np.ndarray:
    return np.full((4, 6), n, dtype=np.int32)


@pytest.fixture
def scan_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "p1" / "s1"
    folder.mkdir(parents=True)
    (folder / "list.txt").write_text("\n".join(f"f{n}.npy" for n in range(FRAMES)))
    return folder


def _scan(root: Path) -> _NpyScan:
    scan = _NpyRepository(str(root))["p1"]["s1"]
    assert isinstance(scan, _NpyScan)
    return scan


def test_frames_written_so_far_are_raw_and_the_rest_is_read_when_it_comes(scan_folder: Path) -> None:  # fmt: skip
    for n in range(2):
        np.save(scan_folder / f"f{n}.npy", _frame(n))
    scan = _scan(scan_folder.parent.parent)
    raw = scan.raw
    assert raw.sizes["frame"] == 2
    np.testing.assert_array_equal(raw["images"].values[:, 0, 0], [0, 1])
    assert raw.attrs["nx5d_incomplete"].startswith("3 of 5 frames left out")
    assert "f2.npy on" in raw.attrs["nx5d_incomplete"]
    assert SNAPSHOT in raw.attrs
    assert scan.lazy().sizes["frame"] == 2
    for n in range(2, FRAMES):
        np.save(scan_folder / f"f{n}.npy", _frame(n))
    raw = scan.raw  # the same object: not the cached short read
    assert raw.sizes["frame"] == FRAMES
    assert "nx5d_incomplete" not in raw.attrs
    np.testing.assert_array_equal(raw["images"].values[:, 0, 0], np.arange(FRAMES))
    assert scan.raw is raw  # complete now: cached


def test_a_half_written_newest_frame_is_left_out_only_while_later_ones_are_pending(scan_folder: Path) -> None:  # fmt: skip
    for n in range(2):
        np.save(scan_folder / f"f{n}.npy", _frame(n))
    (scan_folder / "f2.npy").write_bytes(np.lib.format.MAGIC_PREFIX)  # its writer is at it
    raw = _scan(scan_folder.parent.parent).raw
    assert raw.sizes["frame"] == 2
    assert raw.attrs["nx5d_incomplete"].startswith("3 of 5 frames left out")
    for n in range(3, FRAMES):
        np.save(scan_folder / f"f{n}.npy", _frame(n))
    with pytest.raises(CorruptFrameError, match=r"frame 2: .*f2\.npy"):
        _ = _scan(scan_folder.parent.parent).raw  # nothing pending: damaged, not half written


def test_a_gap_before_present_frames_raises(scan_folder: Path) -> None:
    for n in (0, 2, 3, 4):
        np.save(scan_folder / f"f{n}.npy", _frame(n))
    with pytest.raises(MissingFrameError, match=r"f1\.npy"):
        _ = _scan(scan_folder.parent.parent).raw


def test_split_pending_keeps_a_first_frame_and_gaps() -> None:
    missing = [Frame(Path(f"/nonexistent/f{n}")) for n in range(3)]
    assert split_pending(missing) == (missing[:1], missing[1:])  # the first is read (and raises)
    assert split_pending([]) == ([], [])


def test_a_remote_series_is_read_from_one_folder_and_its_changes_are_seen() -> None:
    import io

    import fsspec

    from nx5d_core.errors import FilesChangedError, FormatError
    from nx5d_core.series_remote import RemoteSeries, remote_fingerprint, remote_folder_of

    fs = fsspec.filesystem("memory")
    folder_text = "/nx5d-test-series/s1"
    for n in range(FRAMES):
        buffer = io.BytesIO()
        np.save(buffer, _frame(n))
        fs.pipe(f"{folder_text}/f{n}.npy", buffer.getvalue())
    fs.pipe(f"{folder_text}/list.txt", b"f0.npy")
    try:
        frames = [Frame(Path(f"{folder_text}/f{n}.npy")) for n in range(FRAMES)]
        folder = remote_folder_of(fs, frames, where="s1")
        series = RemoteSeries(folder=folder, frames=frames, decode=_NpyScan.decode_frame, rows=slice(1, 3), cols=slice(None))  # fmt: skip
        shapes: list[tuple[int, int]] = []
        first = series.first(check=shapes.append)
        assert shapes == [(4, 6)]
        images = series.read()
        assert images.shape == (FRAMES, 2, 6)
        np.testing.assert_array_equal(images[:, 0, 0], np.arange(FRAMES))
        paths = [Path(f"{folder_text}/list.txt"), *(f.path for f in frames)]
        before = remote_fingerprint(fs, folder, paths, key=str)
        assert [k for k, _ in before.files] == [str(p) for p in paths]
        lazy = series.lazy(first=first, chunk=2)
        np.testing.assert_array_equal(lazy[:2].compute(), images[:2])
        fs.pipe(f"{folder_text}/list.txt", b"f0.npy f1.npy")  # an extra file changed
        assert remote_fingerprint(fs, folder, paths, key=str).changed(before) == [str(paths[0])]
        buffer = io.BytesIO()
        np.save(buffer, _frame(9))
        fs.pipe(f"{folder_text}/f3.npy", buffer.getvalue() + b"\0")  # a frame rewritten
        with pytest.raises(FilesChangedError, match=r"f3\.npy"):
            lazy.compute()  # never old and new frames mixed
        with pytest.raises(FormatError, match="one folder"):
            remote_folder_of(fs, [*frames, Frame(Path("/elsewhere/f.npy"))], where="s1")
    finally:
        fs.rm("/nx5d-test-series", recursive=True)


def _touch_after_read(monkeypatch: pytest.MonkeyPatch, names: set[str]) -> None:
    """Each read's files named in ``names`` get a new mtime (and ctime) once the read is done,
    as a writer that sets the time or mode after the data (shutil.copy, cp -p) does."""
    import os

    from nx5d_core import series

    original = series.read_series

    def read_then_touch(fmt, frames, **kw):  # type: ignore[no-untyped-def]
        out = original(fmt, frames, **kw)
        for f in frames:
            if f.path.name in names:
                st = f.path.stat()
                os.utime(f.path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
        names.clear()  # once: the writer is done with them
        return out

    monkeypatch.setattr(series, "read_series", read_then_touch)


def test_newest_frames_changing_after_their_read_are_left_out_while_later_ones_are_pending(scan_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    for n in range(3):
        np.save(scan_folder / f"f{n}.npy", _frame(n))
    _touch_after_read(monkeypatch, {"f2.npy"})
    scan = _scan(scan_folder.parent.parent)
    raw = scan.raw  # not FilesChangedError: f2 is the newest, f3 and f4 are still to come
    assert raw.sizes["frame"] == 2
    np.testing.assert_array_equal(raw["images"].values[:, 0, 0], [0, 1])
    assert raw.attrs["nx5d_incomplete"].startswith("3 of 5 frames left out")
    assert "f2.npy on" in raw.attrs["nx5d_incomplete"]
    assert SNAPSHOT in raw.attrs
    again = scan.raw  # the next access reads f2, now settled
    assert again.sizes["frame"] == 3
    np.testing.assert_array_equal(again["images"].values[:, 0, 0], [0, 1, 2])


def test_an_older_frame_changing_during_a_read_still_raises(scan_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from nx5d_core.errors import FilesChangedError

    for n in range(3):
        np.save(scan_folder / f"f{n}.npy", _frame(n))
    _touch_after_read(monkeypatch, {"f1.npy"})  # not the newest: no writer is at it
    with pytest.raises(FilesChangedError, match=r"f1\.npy"):
        _ = _scan(scan_folder.parent.parent).raw
    for n in range(3, FRAMES):
        np.save(scan_folder / f"f{n}.npy", _frame(n))
    _touch_after_read(monkeypatch, {"f4.npy"})  # the newest, but nothing pending: a complete scan
    with pytest.raises(FilesChangedError, match=r"f4\.npy"):
        _ = _scan(scan_folder.parent.parent).raw


def test_the_lazy_graph_is_named_by_what_it_reads(scan_folder: Path) -> None:
    """Two plans of the same unchanged frames share the dask name (dask reuses their results);
    a frame rewritten gives another name: never a stale cached chunk."""
    for n in range(FRAMES):
        np.save(scan_folder / f"f{n}.npy", _frame(n))
    root = scan_folder.parent.parent
    first = _scan(root).lazy()["images"].data.name
    assert _scan(root).lazy()["images"].data.name == first
    np.save(scan_folder / "f3.npy", _frame(30))
    rewritten = _scan(root).lazy()["images"]
    assert rewritten.data.name != first
    assert int(rewritten[3, 0, 0]) == 30
