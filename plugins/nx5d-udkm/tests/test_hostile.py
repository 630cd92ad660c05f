"""UDKM folders as an attacker or twenty years of archives leave them: links, FIFOs, permissions,
damaged manifests and frames, files that change under a cached result."""

from __future__ import annotations

import os
import shutil
import textwrap
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tifffile
from nx5d_udkm import frames
from nx5d_udkm.errors import CorruptFrameError, FrameShapeError, ManifestError, UdkmFormatError

import nx5d_core
from nx5d_core.errors import FilesChangedError, OutsideRootError, SpecialFileError
from nx5d_core.testing.privileges import can_test_permissions, run_unprivileged

SCAN = ("20210205", "091726")


def _open(root: Path, **options: Any) -> nx5d_core.Repository:
    return nx5d_core.open_repository(str(root), adapter="udkm", **options)


def _folder(root: Path) -> Path:
    return root / SCAN[0] / SCAN[1]


# -- the root is a boundary ---------------------------------------------------------------
def test_frame_symlinked_outside_the_root_is_refused_and_allowed_on_request(
    scratch_root: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    frame = _folder(scratch_root) / "image00003.tiff"
    shutil.move(frame, elsewhere / frame.name)
    frame.symlink_to(elsewhere / frame.name)
    scan = _open(scratch_root)[SCAN[0]][SCAN[1]]
    with pytest.raises(OutsideRootError) as info:
        _ = scan.raw
    message = str(info.value)
    assert str(frame) in message
    assert str(elsewhere / frame.name) in message
    assert str(scratch_root.resolve()) in message
    allowed = _open(scratch_root, allow_outside=[elsewhere])[SCAN[0]][SCAN[1]]
    expected = tifffile.imread(elsewhere / frame.name)
    np.testing.assert_array_equal(allowed.raw["images"][3].values, expected)


def test_scan_folder_symlinked_outside_is_listed_and_refused_on_access(
    scratch_root: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside-scan"
    shutil.copytree(_folder(scratch_root), outside)
    (scratch_root / SCAN[0] / "120000").symlink_to(outside, target_is_directory=True)
    proposal = _open(scratch_root)[SCAN[0]]
    assert proposal.keys() == ["091726", "120000"]  # listed, never a shorter listing
    with pytest.raises(OutsideRootError, match="outside the repository root"):
        _ = proposal["120000"].summary
    table = proposal.table()
    assert "OutsideRootError" in table.loc["120000", "error"]
    assert table.loc["091726", "error"] == ""


def test_symlinked_folders_inside_the_root_are_listed(scratch_root: Path) -> None:
    store = scratch_root / ".store" / "deep" / "er"  # deeper than {proposal}/{scan}/manifest.dat
    store.mkdir(parents=True)
    shutil.copytree(_folder(scratch_root), store / "scan")
    (scratch_root / SCAN[0] / "130000").symlink_to(store / "scan", target_is_directory=True)
    shutil.copytree(scratch_root / SCAN[0], store / "proposal", symlinks=True)
    (scratch_root / "20210206").symlink_to(store / "proposal", target_is_directory=True)
    repo = _open(scratch_root)
    assert repo.keys() == ["20210205", "20210206"]
    assert repo["20210205"].keys() == ["091726", "130000"]
    assert repo["20210205"]["130000"].summary.num_frames == 84


@pytest.mark.parametrize("name", ["manifest.dat", "image00002.tiff", "parameters.txt"])
def test_fifo_named_like_a_data_file_is_refused_at_once(scratch_root: Path, name: str) -> None:
    path = _folder(scratch_root) / name
    path.unlink()
    os.mkfifo(path)
    scan = _open(scratch_root)[SCAN[0]][SCAN[1]]
    result: dict[str, BaseException] = {}

    def read() -> None:
        try:
            _ = scan.summary
            _ = scan.raw
            scan.table()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            result["error"] = exc

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), f"reading a scan with a FIFO named {name} hangs"
    assert isinstance(result.get("error"), SpecialFileError), result
    assert str(path) in str(result["error"])
    assert "FIFO" in str(result["error"])


def test_root_that_is_a_file_or_missing_raises(tmp_path: Path) -> None:
    a_file = tmp_path / "passwd"
    a_file.write_text("root:x:0:0\n")
    with pytest.raises(NotADirectoryError, match="is a file, not a folder"):
        _open(a_file).keys()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        _open(tmp_path / "missing").keys()


_PERMISSIONS = can_test_permissions()


@pytest.mark.skipif(not _PERMISSIONS[0], reason=_PERMISSIONS[1])
def test_unreadable_scan_and_proposal_raise_permission_error_naming_the_path() -> None:
    import tempfile

    from nx5d_udkm.sample import make_repository

    # a world-traversable folder: the unprivileged child must reach it
    base = Path(tempfile.mkdtemp(prefix="nx5d-perm-"))
    try:
        base.chmod(0o755)
        root = make_repository(
            base / "repo",
            scans={"20210205": ["091726", "101500"], "20210206": ["080000"]},
            delays=1,
            loops=1,
        )
        (root / "20210205" / "101500").chmod(0)
        (root / "20210206").chmod(0)
        code = textwrap.dedent(f"""
            import nx5d_core
            repo = nx5d_core.open_repository({str(root)!r}, adapter="udkm")
            print("proposals", repo.keys())
            print("scans", repo["20210205"].keys())
            try:
                repo["20210205"]["101500"].summary
            except PermissionError as exc:
                print("scan error", exc)
            try:
                repo["20210206"].keys()
            except PermissionError as exc:
                print("proposal error", exc)
        """)
        done = run_unprivileged(code)
        assert done.returncode == 0, done.stderr
        out = done.stdout
        assert "proposals ['20210205', '20210206']" in out
        assert "scans ['091726', '101500']" in out
        assert "scan error [Errno 13] " in out
        assert str(root / "20210205" / "101500") in out
        assert "proposal error" in out
        assert str(root / "20210206") in out
    finally:
        for folder in (base / "repo" / "20210205" / "101500", base / "repo" / "20210206"):
            if folder.exists():
                folder.chmod(0o755)
        shutil.rmtree(base)


# -- no silent wrong data -----------------------------------------------------------------
def _rewrite_manifest(root: Path, edit: Any) -> Path:
    path = _folder(root) / "manifest.dat"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(edit(lines)) + "\n")
    return path


def _image_number_column(lines: list[str]) -> int:
    return [h.strip() for h in lines[0].lstrip("%").split("\t")].index("ImageNumber")


@pytest.mark.parametrize(
    ("value", "match"),
    [("0.7", "line 4: ImageNumber 0.7 is not a non-negative whole number"),
     ("nan", "line 4: ImageNumber nan"),
     ("1", r"lines \[3, 4\]: ImageNumber 1 appears more than once")],
)  # fmt: skip
def test_bad_image_numbers_are_errors_naming_the_line(
    scratch_root: Path, value: str, match: str
) -> None:
    def edit(lines: list[str]) -> list[str]:
        column = _image_number_column(lines)
        fields = lines[3].split("\t")
        fields[column] = value
        lines[3] = "\t".join(fields)
        return lines

    _rewrite_manifest(scratch_root, edit)
    scan = _open(scratch_root)[SCAN[0]][SCAN[1]]
    with pytest.raises(ManifestError, match=match):
        _ = scan.raw


def test_manifest_with_utf8_bom_is_read(scratch_root: Path) -> None:
    path = _folder(scratch_root) / "manifest.dat"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    scan = _open(scratch_root)[SCAN[0]][SCAN[1]]
    assert scan.summary.num_frames == 84
    assert "ImageNumber" in scan.raw


def test_folder_named_like_a_frame_is_an_error_naming_it(scratch_root: Path) -> None:
    frame = _folder(scratch_root) / "image00002.tiff"
    frame.unlink()
    frame.mkdir()
    with pytest.raises(UdkmFormatError, match=r"frame 2: .*image00002.tiff is a folder"):
        _ = _open(scratch_root)[SCAN[0]][SCAN[1]].raw


def test_multi_page_tiff_as_a_frame_is_an_error(scratch_root: Path) -> None:
    frame = _folder(scratch_root) / "image00005.tiff"
    image = tifffile.imread(frame)
    tifffile.imwrite(frame, np.stack([image, image]), photometric="minisblack", metadata=None)
    with pytest.raises(FrameShapeError, match=r"image00005.tiff.*multi-page|image00005.tiff is 2x"):
        _ = _open(scratch_root)[SCAN[0]][SCAN[1]].raw


def test_header_declaring_a_huge_image_is_a_format_error(scratch_root: Path) -> None:
    import struct

    folder = _folder(scratch_root)
    first = folder / "image00000.tiff"
    # an uncompressed 60000x60000 int32 TIFF header in a 480-byte file
    entries = [(256, 4, 1, 60000), (257, 4, 1, 60000), (258, 3, 1, 32), (259, 3, 1, 1),
               (262, 3, 1, 1), (273, 4, 1, 400), (277, 3, 1, 1), (278, 4, 1, 60000),
               (279, 4, 1, 80), (339, 3, 1, 2)]  # fmt: skip
    ifd = (
        struct.pack("<H", len(entries))
        + b"".join(struct.pack("<HHII", *e) for e in entries)
        + struct.pack("<I", 0)
    )
    data = b"II*\x00" + struct.pack("<I", 8) + ifd
    first.write_bytes(data + b"\x00" * (480 - len(data)))
    with pytest.raises(CorruptFrameError, match=r"declares a 60000x60000 int32 image.*480-byte"):
        _ = _open(scratch_root)[SCAN[0]][SCAN[1]].raw


@pytest.mark.parametrize(
    ("roi", "match"),
    [((100, 10, 0, 50), "empty or inverted"),
     ((0, 10, 50, 50), "empty or inverted"),
     ((-1, 10, 0, 50), "empty or inverted")],
)  # fmt: skip
def test_inverted_roi_is_refused(scratch_root: Path, roi: tuple[int, ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        _open(scratch_root, roi=roi)


def test_roi_beyond_the_detector_is_refused(scratch_root: Path) -> None:
    scan = _open(scratch_root, roi=(0, 10, 0, 5000))[SCAN[0]][SCAN[1]]
    with pytest.raises(ValueError, match=r"beyond the detector's 195x487 pixels"):
        _ = scan.raw
    with pytest.raises(ValueError, match=r"beyond the detector's"):
        scan.lazy()


# -- files that change under a cached result ----------------------------------------------
def _zero_frame(path: Path) -> None:
    image = tifffile.imread(path)
    tifffile.imwrite(path, np.zeros_like(image))


def test_changed_files_are_read_again_instead_of_a_stale_cache(scratch_root: Path) -> None:
    scan = _open(scratch_root)[SCAN[0]][SCAN[1]]
    before = int(scan.raw["images"].sum())
    assert before > 0
    for path in _folder(scratch_root).glob("image*.tiff"):
        _zero_frame(path)
    assert int(scan.raw["images"].sum()) == 0


def test_cook_is_redone_when_files_change(scratch_root: Path) -> None:
    scan = _open(scratch_root)[SCAN[0]][SCAN[1]]
    first = scan.cooked
    assert scan.cooked is first
    for path in _folder(scratch_root).glob("image*.tiff"):
        _zero_frame(path)
    again = scan.cooked
    assert again.attrs["nx5d_cook_key"] != first.attrs["nx5d_cook_key"]
    assert float(again["intensity"].sum()) == 0.0
    assert float(first["intensity"].sum()) > 0.0


def test_frame_replaced_after_lazy_was_built_raises(scratch_root: Path) -> None:
    scan = _open(scratch_root)[SCAN[0]][SCAN[1]]
    lazy = scan.lazy()
    _zero_frame(_folder(scratch_root) / "image00007.tiff")
    with pytest.raises(FilesChangedError, match=r"frame 7: .*image00007.tiff changed"):
        lazy["images"][7].values  # noqa: B018
    assert int(scan.lazy()["images"][7].sum()) == 0  # a new lazy() sees the new file


def test_frame_replaced_during_a_parallel_read_raises_and_caches_nothing(
    scratch_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scan = _open(scratch_root)[SCAN[0]][SCAN[1]]
    victim = _folder(scratch_root) / "image00005.tiff"
    original = frames.FrameReader.read_into
    victim_read, replaced = threading.Event(), threading.Event()
    lock = threading.Lock()

    def replace_once(self: frames.FrameReader, path: Path, out: np.ndarray, **kw: Any) -> None:
        with lock:
            if victim_read.is_set() and not replaced.is_set() and path != victim:
                replaced.set()
                _zero_frame(victim)  # another program rewrites frame 5, read already, while we read
        original(self, path, out, **kw)
        if path == victim:
            victim_read.set()

    monkeypatch.setattr(frames.FrameReader, "read_into", replace_once)
    with pytest.raises(FilesChangedError, match="image00005.tiff"):
        _ = scan.raw
    assert replaced.is_set()
    assert scan._raw is None
    monkeypatch.undo()
    assert int(scan.raw["images"][5].sum()) == 0


def test_os_errors_from_worker_threads_carry_the_path(
    scratch_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: Any) -> bytes:
        raise OSError(5, "Input/output error")

    scan = _open(scratch_root)[SCAN[0]][SCAN[1]]
    scan.image_paths()
    reader = frames.FrameReader.from_first(_folder(scratch_root) / "image00000.tiff")
    import nx5d_core.tiff

    monkeypatch.setattr(nx5d_core.tiff.os, "pread", fail)
    out = np.empty(reader.template.shape, reader.template.dtype)
    with pytest.raises(OSError, match=r"Input/output error \(frame 4\).*image00004.tiff"):
        reader.read_into(_folder(scratch_root) / "image00004.tiff", out, index=4)
