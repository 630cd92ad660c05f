"""HDF5 files that link out of the root, loop into themselves, or declare what cannot be true."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import h5py
import numpy as np
import pytest
from nx5d_hdf5 import DanglingLinkError, Hdf5FormatError

import nx5d_core
from nx5d_core.errors import OutsideRootError, SpecialFileError

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _entry(handle: h5py.File, *, points: int = 5) -> h5py.Group:
    entry = handle.create_group("entry")
    entry.attrs["NX_class"] = "NXentry"
    entry.attrs["default"] = "data"
    entry["title"] = "hostile"
    data = entry.create_group("data")
    data.attrs.update({"NX_class": "NXdata", "signal": "counts", "axes": ["x"]})
    data["counts"] = np.arange(points, dtype=float)
    data["x"] = np.linspace(0, 1, points)
    return entry


def _secret(path: Path) -> Path:
    with h5py.File(path, "w") as handle:
        handle["secret"] = np.full(5, 42.0)
        handle["group/value"] = 7.0
    return path


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path]:
    """A repository root and a folder outside it holding a 'secret' file."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "p1").mkdir(parents=True)
    outside.mkdir()
    _secret(outside / "secret.h5")
    return root, outside


def _repo(root: Path, **options: object) -> nx5d_core.Repository:
    return nx5d_core.open_repository(f"file://{root}/{{proposal}}/{{scan}}.h5", **options)  # type: ignore[arg-type]


def test_external_link_outside_the_root_is_refused_and_listed(layout: tuple[Path, Path]) -> None:
    root, outside = layout
    with h5py.File(root / "p1" / "s1.h5", "w") as handle:
        entry = _entry(handle)
        entry["data/monitor"] = h5py.ExternalLink(str(outside / "secret.h5"), "/secret")
        entry["instrument"] = h5py.ExternalLink("../../outside/secret.h5", "/group")
    scan = _repo(root)["p1"]["s1"]
    raw = scan.raw
    assert "monitor" not in raw
    read = {k: v for k, v in raw.attrs.items() if k != "nx5d_dangling_links"}
    assert not any("42.0" in str(v) or str(v) == "7.0" for v in read.values())  # nothing secret
    problems = raw.attrs["nx5d_dangling_links"]
    assert len(problems) == 2
    assert all("outside the repository root" in p for p in problems)
    assert all(str(root.resolve()) in p and str(outside / "secret.h5") in p for p in problems)
    assert "instrument/value" not in scan.metadata
    assert len(scan.summary.dangling_links) == 2
    with pytest.raises(OutsideRootError) as info:
        scan.field("data/monitor")
    assert "/entry/data/monitor -> " in str(info.value)
    assert str(outside / "secret.h5") in info.value.target


def test_allow_outside_lets_an_operator_read_linked_files(layout: tuple[Path, Path]) -> None:
    root, outside = layout
    with h5py.File(root / "p1" / "s1.h5", "w") as handle:
        _entry(handle)["data/monitor"] = h5py.ExternalLink(str(outside / "secret.h5"), "/secret")
    scan = _repo(root, allow_outside=[outside])["p1"]["s1"]
    np.testing.assert_array_equal(scan.raw["monitor"].values, np.full(5, 42.0))
    np.testing.assert_array_equal(scan.field("data/monitor").values, np.full(5, 42.0))


def _virtual(path: Path, source: str) -> None:
    layout = h5py.VirtualLayout(shape=(5,), dtype=float)
    layout[:] = h5py.VirtualSource(source, "secret", shape=(5,))
    with h5py.File(path, "w") as handle:
        _entry(handle)["data"].create_virtual_dataset("monitor", layout, fillvalue=0)


def test_vds_source_outside_the_root_is_refused(layout: tuple[Path, Path]) -> None:
    root, outside = layout
    _virtual(root / "p1" / "s1.h5", str(outside / "secret.h5"))
    scan = _repo(root)["p1"]["s1"]
    assert "monitor" not in scan.raw
    assert "outside the repository root" in scan.raw.attrs["nx5d_dangling_links"][0]
    with pytest.raises(OutsideRootError):
        scan.field("data/monitor")
    lazy = scan.lazy()
    assert "monitor" not in lazy


def test_vds_with_a_missing_source_is_dangling_not_zeros(layout: tuple[Path, Path]) -> None:
    root, _ = layout
    _virtual(root / "p1" / "s1.h5", "gone.h5")
    scan = _repo(root)["p1"]["s1"]
    assert "monitor" not in scan.raw
    assert "HDF5 would read zeros" in scan.raw.attrs["nx5d_dangling_links"][0]
    with pytest.raises(DanglingLinkError, match="gone.h5"):
        scan.field("data/monitor")


def test_vds_with_sources_inside_the_root_reads(layout: tuple[Path, Path]) -> None:
    root, _ = layout
    _secret(root / "p1" / "source.h5")
    _virtual(root / "p1" / "s1.h5", "source.h5")
    raw = _repo(root)["p1"]["s1"].raw
    np.testing.assert_array_equal(raw["monitor"].values, np.full(5, 42.0))


def test_scan_file_symlinked_outside_the_root_is_listed_and_refused(
    layout: tuple[Path, Path],
) -> None:
    root, outside = layout
    with h5py.File(outside / "s2.h5", "w") as handle:
        _entry(handle)
    with h5py.File(root / "p1" / "s1.h5", "w") as handle:
        _entry(handle)
    (root / "p1" / "s2.h5").symlink_to(outside / "s2.h5")
    proposal = _repo(root)["p1"]
    assert proposal.keys() == ["s1", "s2"]
    with pytest.raises(OutsideRootError, match="s2.h5"):
        _ = proposal["s2"].summary
    assert proposal["s1"].summary.num_frames == 5


def test_link_cycles_are_left_out_like_dangling_links(layout: tuple[Path, Path]) -> None:
    root, _ = layout
    path = root / "p1" / "s1.h5"
    with h5py.File(path, "w") as handle:
        entry = _entry(handle)
        instrument = entry.create_group("instrument")
        instrument["energy"] = 12.4
        instrument["a"] = h5py.SoftLink("/entry/instrument/b")
        instrument["b"] = h5py.SoftLink("/entry/instrument/a")
        instrument["again"] = instrument  # a group hard-linked into itself
        entry["back"] = h5py.ExternalLink("s1.h5", "/entry")
    scan = _repo(root)["p1"]["s1"]
    raw = scan.raw
    assert raw["counts"].dims == ("x",)
    problems = " | ".join(raw.attrs["nx5d_dangling_links"])
    assert "a link cycle" in problems
    assert "back to the same file" in problems
    assert "hard-link cycle" in problems
    assert scan.metadata["instrument/energy"] == 12.4
    assert scan.summary.num_frames == 5
    with pytest.raises(DanglingLinkError, match="link cycle"):
        scan.field("instrument/a")


def test_signal_naming_a_group_is_a_format_error(layout: tuple[Path, Path]) -> None:
    root, _ = layout
    with h5py.File(root / "p1" / "s1.h5", "w") as handle:
        entry = _entry(handle)
        del entry["data/counts"]
        entry["data"].create_group("counts")
    with pytest.raises(Hdf5FormatError, match=r"s1.h5:/entry/data: .*'counts', which is a group"):
        _ = _repo(root)["p1"]["s1"].raw


def test_dims_attribute_of_the_wrong_length_is_a_format_error(layout: tuple[Path, Path]) -> None:
    root, _ = layout
    with h5py.File(root / "p1" / "s1.h5", "w") as handle:
        _entry(handle)["data/counts"].attrs["nx5d_dims"] = ["a", "b", "c"]
    with pytest.raises(Hdf5FormatError, match=r"nx5d_dims names 3 dimensions .* 1-dimensional"):
        _ = _repo(root)["p1"]["s1"].raw


def test_group_names_that_are_not_keys_are_skipped_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "one.h5"
    with h5py.File(path, "w") as handle:
        for name in ("p1", "..", " padded", "back\\slash"):
            handle.create_group(name).create_group("s1")
    repo = nx5d_core.open_repository(f"file://{path}#{{proposal}}/{{scan}}")
    with caplog.at_level("WARNING", logger="nx5d_core.keys"):
        assert repo.keys() == ["p1"]
    warned = [r.getMessage() for r in caplog.records if r.name == "nx5d_core.keys"]
    assert len(warned) == 1
    assert "not valid proposal keys" in warned[0]
    assert "'..'" in warned[0]
    assert "' padded'" in warned[0]
    assert "slash" in warned[0]
    assert repo["p1"].keys() == ["s1"]


def test_fifo_named_like_an_hdf5_file_is_refused_at_once(layout: tuple[Path, Path]) -> None:
    root, _ = layout
    os.mkfifo(root / "p1" / "s1.h5")
    scan = _repo(root)["p1"]["s1"]
    result: dict[str, BaseException] = {}

    def read() -> None:
        try:
            _ = scan.summary
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            result["error"] = exc

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "reading a FIFO named s1.h5 hangs"
    assert isinstance(result.get("error"), SpecialFileError)
    assert "FIFO" in str(result["error"])
    assert "s1.h5" in str(result["error"])


# -- every hop of a chain (issue 25, item 1) ---------------------------------------------------
# Writers that produce chains: Diamond's NXmx masters link to per-detector files that are
# themselves masters of VDS; Eiger/Dectris masters link to data files; a beamline's "scan" file
# links to a shared metadata file that links to others.


def _assert_secret_not_read(scan: nx5d_core.Scan, member: str) -> None:
    raw = scan.raw
    assert member not in raw
    problems = " | ".join(raw.attrs["nx5d_dangling_links"])
    assert "outside the repository root" in problems or "does not exist" in problems, problems
    assert not any(np.any(v.values == 42.0) for v in raw.data_vars.values())
    with pytest.raises((OutsideRootError, DanglingLinkError)):
        scan.field(f"data/{member}")
    assert member not in scan.lazy()


def test_an_external_link_whose_target_links_outside_is_refused_two_hops(layout: tuple[Path, Path]) -> None:  # fmt: skip
    root, outside = layout
    with h5py.File(root / "p1" / "hop.h5", "w") as handle:  # inside the root ...
        handle["secret"] = h5py.ExternalLink(str(outside / "secret.h5"), "/secret")  # ... leads out
        handle["group"] = h5py.SoftLink("/via")
        handle["via"] = h5py.ExternalLink(str(outside / "secret.h5"), "/group")
    with h5py.File(root / "p1" / "s1.h5", "w") as handle:
        data = _entry(handle)["data"]
        data["monitor"] = h5py.ExternalLink("hop.h5", "/secret")
        data["through_soft"] = h5py.ExternalLink("hop.h5", "/group/value")
    scan = _repo(root)["p1"]["s1"]
    _assert_secret_not_read(scan, "monitor")
    assert "through_soft" not in scan.raw
    assert len(scan.summary.dangling_links) == 2


def test_a_vds_with_a_dot_source_behind_a_link_outside_is_refused(
    layout: tuple[Path, Path],
) -> None:
    root, outside = layout
    path = root / "p1" / "s1.h5"
    with h5py.File(path, "w") as handle:
        data = _entry(handle)["data"]
        handle["escape"] = h5py.ExternalLink(str(outside / "secret.h5"), "/")
        vds = h5py.VirtualLayout(shape=(5,), dtype=float)
        vds[:] = h5py.VirtualSource(".", "/escape/secret", shape=(5,))
        data.create_virtual_dataset("monitor", vds, fillvalue=0)
    _assert_secret_not_read(_repo(root)["p1"]["s1"], "monitor")


def test_a_vds_whose_source_is_a_vds_with_a_missing_file_is_dangling(layout: tuple[Path, Path]) -> None:  # fmt: skip
    root, _ = layout
    inner = h5py.VirtualLayout(shape=(5,), dtype=float)
    inner[:] = h5py.VirtualSource("gone.h5", "secret", shape=(5,))
    with h5py.File(root / "p1" / "middle.h5", "w") as handle:  # inside the root, itself virtual
        handle.create_virtual_dataset("secret", inner, fillvalue=0)
    _virtual(root / "p1" / "s1.h5", "middle.h5")
    scan = _repo(root)["p1"]["s1"]
    raw = scan.raw
    assert "monitor" not in raw  # not five fill-value zeros
    assert "gone.h5" in " | ".join(raw.attrs["nx5d_dangling_links"])
    with pytest.raises(DanglingLinkError, match="gone.h5"):
        scan.field("data/monitor")


def test_a_chain_inside_the_root_still_reads(layout: tuple[Path, Path]) -> None:
    root, _ = layout
    _secret(root / "p1" / "source.h5")
    with h5py.File(root / "p1" / "hop.h5", "w") as handle:
        handle["secret"] = h5py.ExternalLink("source.h5", "/secret")
    with h5py.File(root / "p1" / "s1.h5", "w") as handle:
        data = _entry(handle)["data"]
        data["monitor"] = h5py.ExternalLink("hop.h5", "/secret")
        vds = h5py.VirtualLayout(shape=(5,), dtype=float)
        vds[:] = h5py.VirtualSource(".", "/entry/data/monitor", shape=(5,))
        data.create_virtual_dataset("copy", vds, fillvalue=0)
    raw = _repo(root)["p1"]["s1"].raw
    np.testing.assert_array_equal(raw["monitor"].values, np.full(5, 42.0))
    np.testing.assert_array_equal(raw["copy"].values, np.full(5, 42.0))


def test_a_two_hop_chain_is_refused_over_http_too(layout: tuple[Path, Path]) -> None:
    pytest.importorskip("tiled", reason="tiled (nx5d-core[serve]) is not installed")
    import httpx

    from nx5d_core.serve.app import build_app
    from nx5d_core.testing.serving import running_app

    root, outside = layout
    with h5py.File(root / "p1" / "hop.h5", "w") as handle:
        handle["secret"] = h5py.ExternalLink(str(outside / "secret.h5"), "/secret")
    with h5py.File(root / "p1" / "s1.h5", "w") as handle:
        _entry(handle)["data/monitor"] = h5py.ExternalLink("hop.h5", "/secret")
    headers = {"Authorization": "Apikey k3y"}
    with running_app(build_app(_repo(root), api_key="k3y")) as url, httpx.Client(trust_env=False) as http:  # fmt: skip
        listed = http.get(f"{url}/api/v1/search/p1/s1", headers=headers).json()
        assert "monitor" not in [d["id"] for d in listed["data"]]
        assert (
            http.get(f"{url}/api/v1/array/full/p1/s1/monitor", headers=headers).status_code == 404
        )
        body = http.get(f"{url}/api/v1/metadata/p1/s1", headers=headers).text
    assert "42.0" not in body
    assert str(outside) not in body
