"""Bluesky runs in a real tiled server, written by RunEngine + TiledWriter, through nx5d."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from nx5d_bluesky.sample import KEY, Server

import nx5d_core
from nx5d_core.errors import KeyNotFoundError


def _open(server: Server) -> nx5d_core.Repository:
    return nx5d_core.open_repository(server.url, adapter="bluesky", api_key=KEY)


def test_proposals_come_from_data_session_then_proposal_id(server: Server) -> None:
    repo = _open(server)
    assert sorted(repo.keys()) == ["777", "pass-1", "pass-2", "unassigned"]
    assert repo["777"][0].uid == server.runs["fallback"]
    assert repo["unassigned"][0].uid == server.runs["unassigned"]
    assert len(repo["777"]) == 1
    assert len(repo["unassigned"]) == 1


def test_scans_are_keyed_by_scan_id_in_time_order(server: Server) -> None:
    proposal = _open(server)["pass-1"]
    assert proposal.keys()[:3] == ["1", "2", "2.2"]  # scan id 2 came twice
    assert proposal["2.2"].uid == server.runs["repeated"]
    assert proposal[-1].uid == server.runs["running"]  # the newest
    assert proposal[server.runs["scan"]].key == "1"  # by uid
    assert proposal[server.runs["baseline"][:8]].key == "2"  # by a uid prefix
    with pytest.raises(KeyNotFoundError):
        proposal["0123456789abcdef"]


def test_summary_from_the_start_and_stop_documents(server: Server) -> None:
    summary = _open(server)["pass-1"]["1"].summary
    assert summary.type == "scan" == summary.plan_name
    assert summary.scan_id == 1
    assert summary.uid == server.runs["scan"]
    assert summary.exit_status == "success"
    assert summary.num_frames == 5
    assert summary.detectors == ["det"]
    assert summary.motors == ["motor"]
    assert summary.sample == "Si(111)"
    assert summary.time is not None
    assert summary.time.tzinfo is not None


def test_raw_is_the_primary_stream_as_tiled_gives_it(server: Server) -> None:
    from tiled.client import from_uri

    scan = _open(server)["pass-1"]["1"]
    raw = scan.raw
    client = from_uri(server.url, api_key=KEY)
    plain = client[server.runs["scan"]]["primary"].read()
    client.context.close()
    np.testing.assert_array_equal(raw["det"].values, plain["det"].values)
    np.testing.assert_array_equal(raw["motor"].values, [-1.0, -0.5, 0.0, 0.5, 1.0])
    assert raw.attrs["uid"] == server.runs["scan"]
    assert "time" in raw.coords


def test_streams_list_primary_and_baseline(server: Server) -> None:
    scan = _open(server)["pass-1"]["2"]
    assert scan.streams == ["primary", "baseline"]
    baseline = scan.stream("baseline")
    assert "det1" in baseline
    assert baseline.sizes["time"] == 2  # read before and after
    assert "Streams" in scan._repr_html_()


def test_lazy_equals_raw(server: Server) -> None:
    scan = _open(server)["pass-1"]["1"]
    lazy = scan.lazy()
    assert lazy["det"].chunks is not None
    np.testing.assert_array_equal(lazy["det"].values, scan.raw["det"].values)


def test_a_wrong_key_is_refused_with_a_specific_error(server: Server) -> None:
    from nx5d_bluesky import BlueskyAuthError

    with pytest.raises(BlueskyAuthError, match="refused the API key"):
        nx5d_core.open_repository(server.url, adapter="bluesky", api_key="wrong").keys()


def test_an_unreachable_server_is_remote_unavailable(server: Server) -> None:
    code = (
        "import nx5d_core\n"
        "from nx5d_core.errors import RemoteUnavailableError\n"
        "try:\n"
        "    nx5d_core.open_repository('http://127.0.0.1:9', adapter='bluesky', api_key='k').keys()\n"
        "except RemoteUnavailableError as exc:\n"
        "    print('unavailable:', exc)\n"
    )
    env = {**os.environ, "TILED_RETRY_ATTEMPTS": "1", "TILED_RETRY_TIMEOUT": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.stdout.startswith("unavailable: http://127.0.0.1:9"), out.stdout + out.stderr


def test_spice_and_cook_on_a_run(server: Server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    repo = nx5d_core.open_repository(
        server.url, adapter="bluesky", api_key=KEY, spice=str(tmp_path / "spice.sqlite")
    )
    proposal = repo["pass-1"]
    proposal.spice.seed("offsets", {"det": 0.5}, type="free")
    view = proposal["1"].spice  # a run resolves the proposal's spice as a file scan does
    assert view["offsets"] == {"det": 0.5}


def test_scans_pickle_without_the_client(server: Server) -> None:
    import pickle

    scan = _open(server)["pass-1"]["1"]
    _ = scan.raw
    again = pickle.loads(pickle.dumps(scan))
    np.testing.assert_array_equal(again.raw["det"].values, scan.raw["det"].values)


def test_a_failed_run_says_so(server: Server) -> None:
    proposal = _open(server)["pass-1"]
    run = proposal[server.runs["failed"]]
    assert run.summary.exit_status == "fail"
    assert run.raw.sizes["time"] == 1  # what it read before it failed


def test_a_run_still_being_written_is_listed_and_read_as_far_as_written(server: Server) -> None:
    from nx5d_bluesky.runs import RUNNING

    proposal = _open(server)["pass-1"]
    run = proposal["99"]
    assert run.summary.exit_status == RUNNING
    assert run.raw["det"].values.tolist() == [0.0, 1.0]
    assert run.raw is not run.raw  # never cached: each access reads what has been written


def test_the_api_key_is_never_shown(server: Server) -> None:
    import json

    repo = _open(server)
    shown = [
        repr(repo.options),
        json.dumps(repo.options.model_dump(mode="json")),
        repo._repr_html_(),
        repo["pass-1"]["1"]._repr_html_(),
    ]
    assert not any(KEY in text for text in shown)


def test_a_stream_without_events_raises_instead_of_an_empty_dataset(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    import xarray as xr
    from nx5d_bluesky import NoEventsError
    from nx5d_bluesky.adapter import BlueskyScan

    run = _open(server)["pass-1"]["99"]
    monkeypatch.setattr(BlueskyScan, "_fetched", lambda self, name, lazy=False: xr.Dataset())
    with pytest.raises(NoEventsError, match="still being written"):
        _ = run.raw


def test_no_key_for_a_server_that_asks_for_one_is_an_auth_error(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nx5d_bluesky import BlueskyAuthError

    monkeypatch.delenv("TILED_API_KEY", raising=False)
    with pytest.raises(BlueskyAuthError, match="asks for an API key"):
        nx5d_core.open_repository(server.url, adapter="bluesky").keys()


def test_the_key_comes_from_tiled_api_key_when_not_given(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TILED_API_KEY", KEY)
    repo = nx5d_core.open_repository(server.url, adapter="bluesky")
    assert "pass-1" in repo


def _queries() -> list[object]:
    from datetime import UTC, datetime

    from nx5d_core.queries import FullText, In, Key, TimeRange

    now = datetime.now(UTC)
    return [
        Key("type") == "count",
        Key("plan_name") == "scan",
        Key("scan_id") >= 2,
        Key("scan_id") < 2,
        In("scan_id", [1, 99]),
        (Key("type") == "count") & (Key("scan_id") == 2),
        TimeRange(until=now),
        TimeRange(since=now),
        Key("scan_id") == "2",  # text against a number: no match, as for every adapter
        Key("exit_status") == "fail",  # answered from the summaries
        FullText("fails"),
        (Key("type") == "count") | (Key("scan_id") == 1),
    ]


@pytest.mark.parametrize("number", range(12))
def test_search_on_the_server_equals_the_summaries(
    server: Server, monkeypatch: pytest.MonkeyPatch, number: int
) -> None:
    from nx5d_bluesky import search

    query = _queries()[number]
    proposal = _open(server)["pass-1"]
    found = proposal.search(query).keys()  # type: ignore[arg-type]
    monkeypatch.setattr(search, "to_tiled", lambda q: (_ for _ in ()).throw(TypeError("off")))
    assert found == _open(server)["pass-1"].search(query).keys()  # type: ignore[arg-type]


def test_a_translated_search_asks_the_server_and_keeps_the_keys(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nx5d_bluesky.adapter import BlueskyScan
    from nx5d_bluesky.search import BlueskyView

    from nx5d_core.queries import Key

    monkeypatch.setattr(BlueskyScan, "_get_summary", lambda self: pytest.fail("summary read"))
    view = _open(server)["pass-1"].search(Key("scan_id") == 2)
    assert isinstance(view, BlueskyView)
    assert view.keys() == ["2", "2.2"]


def test_a_cooked_result_names_the_run_uid(server: Server) -> None:
    import xarray as xr

    from nx5d_core.provenance import provenance_attrs

    run = _open(server)["pass-1"]["1"]
    attrs = provenance_attrs(scan=run, view=run.spice, key="k")
    assert attrs["nx5d_run_uid"] == server.runs["scan"]
    assert attrs["nx5d_scan"] == "1"
    assert isinstance(run.raw, xr.Dataset)


def test_area_detector_images_from_hdf5_through_stream_resource(server: Server) -> None:
    from nx5d_bluesky.sample import hdf5_frames

    run = _open(server)["pass-2"]["10"]
    assert run.uid == server.runs["hdf5"]
    raw = run.raw
    np.testing.assert_array_equal(raw["cam"].values, hdf5_frames())
    np.testing.assert_array_equal(raw["cam_sum"].values, hdf5_frames().sum(axis=(1, 2)))
    assert run.summary.detectors == ["cam"]


def test_lazy_reads_images_frame_by_frame_through_tiled(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nx5d_bluesky.sample import hdf5_frames
    from nx5d_bluesky.streams import _Blocks

    from nx5d_core.scan import Scan

    run = _open(server)["pass-2"]["10"]
    monkeypatch.setattr(Scan, "_read_raw", lambda self: pytest.fail("lazy() read the run whole"))
    lazy = run.lazy()
    assert lazy["cam"].chunks is not None
    assert lazy["cam"].data.chunks[0] == (1,) * hdf5_frames().shape[0]  # a frame per request
    asked: list[object] = []
    original = _Blocks.__getitem__
    monkeypatch.setattr(_Blocks, "__getitem__", lambda self, i: asked.append(i) or original(self, i))  # fmt: skip
    np.testing.assert_array_equal(lazy["cam"][2].values, hdf5_frames()[2])
    assert len(asked) == 1  # one frame read, not the stream
    monkeypatch.undo()
    xr_raw = run.raw
    np.testing.assert_array_equal(lazy["cam"].values, xr_raw["cam"].values)
    assert list(lazy.variables) == list(xr_raw.variables)


def test_images_of_ophyd_sim_img_through_resource_and_datum(server: Server) -> None:
    run = _open(server)["pass-2"][server.runs["images"]]
    raw = run.raw
    assert raw["img"].shape == (3, 10, 10)
    assert np.isfinite(raw["img"].values).all()
    np.testing.assert_array_equal(run.lazy()["img"].values, raw["img"].values)


def test_a_run_whose_detector_file_is_gone_raises_naming_it(
    scratch: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tiled.client.utils
    from nx5d_bluesky import ExternalFilesError

    # tiled retries a server error for up to TILED_RETRY_TIMEOUT (45 s) first: twice is enough here (a reset connection after a 500 is retried)
    monkeypatch.setattr(tiled.client.utils, "TILED_RETRY_ATTEMPTS", 2)

    run = nx5d_core.open_repository(scratch.url, adapter="bluesky", api_key=KEY)["pass-2"]["11"]
    assert run.summary.num_frames == 4  # the documents are all there: listed and summarised
    with pytest.raises(ExternalFilesError, match=r"'cam'.*gone\.h5"):
        _ = run.raw
    lazy = run.lazy()  # the layout is the server's: known without the file
    with pytest.raises(ExternalFilesError, match=r"gone\.h5"):
        _ = lazy["cam"][0].values
    np.testing.assert_array_equal(lazy["cam_sum"].values, run.stream("primary", lazy=True)["cam_sum"].values)  # fmt: skip


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_tiled_profile_by_name(server: Server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "server.yml").write_text(
        f"beamline:\n  uri: {server.url}\n  headers:\n    Authorization: Apikey {KEY}\n"
    )
    (tmp_path / "direct.yml").write_text(
        "local:\n  direct:\n    trees:\n    - path: /\n      tree: tiled.examples.generated_minimal:tree\n"
    )
    code = (
        "import nx5d_core\n"
        "from nx5d_core.errors import ConfigError\n"
        "repo = nx5d_core.open_repository('beamline', adapter='bluesky')\n"
        "print(sorted(repo.keys()))\n"
        "for name in ('local', 'nowhere'):\n"
        "    try:\n"
        "        nx5d_core.open_repository(name, adapter='bluesky').keys()\n"
        "    except ConfigError as exc:\n"
        "        print('refused:', exc)\n"
    )
    out = _python(code, TILED_PROFILES=str(tmp_path), TILED_API_KEY="")
    lines = out.stdout.splitlines()
    assert lines[:1] == ["['777', 'pass-1', 'pass-2', 'unassigned']"], out.stdout + out.stderr
    assert "'local'" in lines[1]
    assert "is not a server's" in lines[1]
    assert "'nowhere' is neither a URL" in lines[2]
    assert "'beamline'" in lines[2]  # the profiles there are listed


def test_a_server_that_never_answers_ends_within_the_timeout() -> None:
    import socket
    import time

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts connections, never answers
        code = (
            "import nx5d_core\n"
            "from nx5d_core.errors import RemoteUnavailableError\n"
            f"url = 'http://127.0.0.1:{silent.getsockname()[1]}'\n"
            "try:\n"
            "    nx5d_core.open_repository(url, adapter='bluesky', api_key='k').keys()\n"
            "except RemoteUnavailableError as exc:\n"
            "    print('unavailable:', exc)\n"
        )
        start = time.monotonic()
        out = _python(code, NX5D_REMOTE_TIMEOUT="1", TILED_RETRY_ATTEMPTS="1")
        took = time.monotonic() - start
    assert "no answer within 1 s (NX5D_REMOTE_TIMEOUT)" in out.stdout, out.stdout + out.stderr
    assert took < 60  # not tiled's default 30 s per attempt times its retries


def _full_text_queries() -> list[object]:
    from nx5d_core.queries import FullText, Key

    return [
        FullText("coun"),  # a prefix of the plan name
        FullText("SCAN"),
        FullText("2"),  # the key 2, 2.2
        FullText("count 2"),
        FullText("nothing_like_it"),
        FullText("coun") & (Key("scan_id") >= 2),
    ]


@pytest.mark.parametrize("number", range(6))
def test_full_text_is_sent_to_the_server_and_checked(
    server: Server, monkeypatch: pytest.MonkeyPatch, number: int
) -> None:
    from nx5d_bluesky import search
    from nx5d_bluesky.adapter import BlueskyRepository
    from tiled.queries import FullText as TiledFullText

    query = _full_text_queries()[number]
    sent: list[object] = []
    original = BlueskyRepository.search_runs

    def spy(self: BlueskyRepository, proposal: str | None, *, extra: list[object]) -> object:
        sent.extend(extra)
        return original(self, proposal, extra=extra)

    monkeypatch.setattr(BlueskyRepository, "search_runs", spy)
    found = _open(server)["pass-1"].search(query).keys()  # type: ignore[arg-type]
    assert any(isinstance(t, TiledFullText) for t in sent)  # the server was asked
    monkeypatch.undo()
    monkeypatch.setattr(search, "to_tiled", lambda q: (_ for _ in ()).throw(TypeError("off")))
    assert found == _open(server)["pass-1"].search(query).keys()  # type: ignore[arg-type]
    monkeypatch.undo()
    monkeypatch.setattr(BlueskyRepository, "full_text_on_server", lambda self: False)
    assert found == _open(server)["pass-1"].search(query).keys()  # type: ignore[arg-type]


def test_the_full_text_queries_find_something() -> None:
    """The comparisons above are not between two empty answers."""
    from nx5d_core.queries import FullText

    assert FullText("coun").matches({"type": "count"})
    assert FullText("2").matches({"key": "2.2"})


def test_the_test_server_answers_full_text(server: Server) -> None:
    assert _open(server).full_text_on_server() is True  # type: ignore[attr-defined]
    found = _open(server)["pass-1"].search(_full_text_queries()[0])  # type: ignore[arg-type]
    assert "2" in found


@pytest.mark.parametrize("number", range(12))
def test_repository_search_on_the_server_equals_the_summaries(
    server: Server, monkeypatch: pytest.MonkeyPatch, number: int
) -> None:
    from nx5d_bluesky import search

    query = [*_queries(), *_full_text_queries()][number]
    found = _open(server).search(query).keys()  # type: ignore[arg-type]
    monkeypatch.setattr(search, "to_tiled", lambda q: (_ for _ in ()).throw(TypeError("off")))
    assert found == _open(server).search(query).keys()  # type: ignore[arg-type]


def test_repository_search_is_one_server_search(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nx5d_bluesky.adapter import BlueskyScan

    from nx5d_core.queries import Key

    monkeypatch.setattr(BlueskyScan, "_get_summary", lambda self: pytest.fail("summary read"))
    found = _open(server).search(Key("type") == "count")
    uids = [s.uid for s in found]  # type: ignore[attr-defined]
    counts = {server.runs[k] for k in ("baseline", "repeated", "fallback", "unassigned", "hdf5")}
    assert counts <= set(uids)
    assert server.runs["scan"] not in uids
    assert len(uids) == len(set(uids))
    listed = found.keys()
    assert "pass-1/2.2" in listed


def test_new_runs_and_proposals_are_listed_without_refresh(scratch: Server) -> None:
    from nx5d_bluesky.sample import write_run

    repo = nx5d_core.open_repository(scratch.url, adapter="bluesky", api_key=KEY, recheck=0)
    assert "live-1" not in repo
    assert not repo._listing_moved()  # nothing new: the count the listing saw still holds
    assert not repo["pass-2"]._listing_moved()
    first = write_run(scratch.url, {"data_session": "live-1", "scan_id": 1})
    assert "live-1" in repo  # no refresh()
    proposal = repo["live-1"]
    assert proposal[-1].uid == first
    second = write_run(scratch.url, {"data_session": "live-1", "scan_id": 1})
    assert proposal.keys() == ["1", "1.2"]
    assert proposal[-1].uid == second
    slow = nx5d_core.open_repository(scratch.url, adapter="bluesky", api_key=KEY, recheck=3600)
    seen = slow["live-1"].keys()
    write_run(scratch.url, {"data_session": "live-1", "scan_id": 2})
    assert slow["live-1"].keys() == seen  # within recheck seconds the listing stands
    slow["live-1"].refresh()
    assert slow["live-1"].keys() == [*seen, "2"]


def test_follow_yields_a_new_run(scratch: Server) -> None:
    import threading

    from nx5d_bluesky.sample import write_run

    repo = nx5d_core.open_repository(scratch.url, adapter="bluesky", api_key=KEY, recheck=0)
    write_run(scratch.url, {"data_session": "live-2", "scan_id": 5})
    live = repo["live-2"]
    writer = threading.Timer(0.5, write_run, args=(scratch.url, {"data_session": "live-2", "scan_id": 6}))  # fmt: skip
    writer.start()
    try:
        assert next(live.follow(timeout=30, poll=0.2)) == "6"
    finally:
        writer.join()


def test_an_empty_data_session_goes_by_the_fallback_and_odd_values_are_left_out(
    scratch: Server, caplog: pytest.LogCaptureFixture
) -> None:
    from nx5d_bluesky.sample import write_run

    empty = write_run(scratch.url, {"data_session": "", "proposal_id": "888", "scan_id": 1})
    write_run(scratch.url, {"data_session": "a/b", "scan_id": 1})
    repo = nx5d_core.open_repository(scratch.url, adapter="bluesky", api_key=KEY)
    assert repo["888"][0].uid == empty  # event-model's default "" is no proposal
    assert "a/b" not in repo
    assert "'a/b'" in caplog.text  # left out with a warning naming it


def test_a_url_that_is_not_a_catalog_of_runs(server: Server) -> None:
    from nx5d_bluesky import NotARunError

    run = f"{server.url}/api/v1/metadata/{server.runs['scan']}"
    with pytest.raises(NotARunError, match="is one Bluesky run"):
        nx5d_core.open_repository(run, adapter="bluesky", api_key=KEY).keys()
    with pytest.raises(NotARunError, match="none is a Bluesky run"):
        nx5d_core.open_repository(f"{run}/primary", adapter="bluesky", api_key=KEY).keys()


def test_summaries_stay_out_of_the_summary_index(server: Server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    index = tmp_path / "index.sqlite"
    repo = nx5d_core.open_repository(server.url, adapter="bluesky", api_key=KEY, index=index)
    entries = repo["pass-1"].summaries()
    assert len(entries) == len(repo["pass-1"])
    assert all(e.summary is not None for e in entries)
    assert repo.index is None  # the server's catalog is the index: not copied
    assert not index.exists()


def test_a_recipe_cooks_a_run_with_its_spice_and_names_the_run(scratch: Server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from nx5d_bluesky.sample import write_hdf5_run
    from tiled.client import from_uri

    from nx5d_core.many import cook_many

    rng = np.random.default_rng(1)
    frames = rng.integers(100, 200, size=(5, 6, 7)).astype("<u2")
    frames[0] = 10  # a dark
    frames[1] = 250  # a flat
    folder = Path(scratch.files)
    client = from_uri(scratch.url, api_key=KEY)
    try:
        uids = [
            write_hdf5_run(
                client,
                folder / f"tomo{n}.h5",
                scan_id=30 + n,
                frames=frames,
                data_session="tomo",
                columns={"image_key": [2, 1, 0, 0, 0]},
            )
            for n in range(2)
        ]
    finally:
        client.context.close()
    repo = nx5d_core.open_repository(
        scratch.url, adapter="bluesky", api_key=KEY, spice=str(tmp_path / "spice.sqlite")
    )
    proposal = repo["tomo"]
    proposal.spice.seed("flatfield", {"signal": "cam", "image_key": "image_key"}, type="flatfield")
    cooked = proposal["30"].cook(recipe="flatfield")
    expected = (frames[2:].astype(float) - 10) / (250 - 10)
    np.testing.assert_allclose(cooked["corrected"].values, expected, rtol=1e-6)
    assert cooked.attrs["nx5d_run_uid"] == uids[0]
    lazy = proposal["30"].cook(recipe="flatfield", lazy=True)
    np.testing.assert_allclose(lazy["corrected"].values, expected, rtol=1e-6)
    outcomes = dict(cook_many([proposal["30"], proposal["31"]], recipe="flatfield", workers=2))
    assert sorted(outcomes) == ["30", "31"]
    for key, uid in zip(["30", "31"], uids, strict=True):
        result = outcomes[key]
        assert not isinstance(result, BaseException), result
        np.testing.assert_allclose(result["corrected"].values, expected, rtol=1e-6)
        assert result.attrs["nx5d_run_uid"] == uid


def test_on_a_postgresql_catalog_full_text_is_answered_from_the_summaries(
    postgres_catalog: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL takes the FTS5 text without error and finds nothing for a prefix: the probe
    must see that, or a full-text search would find no run at all."""
    from nx5d_bluesky import search

    repo = _open(postgres_catalog)
    assert repo.full_text_on_server() is False  # type: ignore[attr-defined]
    queries = [*_full_text_queries(), *_queries()]
    found = [(repo["pass-1"].search(q).keys(), repo.search(q).keys()) for q in queries]  # type: ignore[arg-type]  # fmt: skip
    assert found[0][0]  # "coun" finds the counts
    monkeypatch.setattr(search, "to_tiled", lambda q: (_ for _ in ()).throw(TypeError("off")))
    again = _open(postgres_catalog)
    for query, seen in zip(queries, found, strict=True):
        assert seen == (again["pass-1"].search(query).keys(), again.search(query).keys()), query  # type: ignore[arg-type]


def test_a_start_document_with_odd_values_spoils_only_its_own_run() -> None:
    """Writers other than event-model's are not held to its schema: a time given as text, a
    boolean scan id. The listing stands; that run's summary raises, naming the value."""
    from nx5d_bluesky.runs import run_keys, summary_of

    from nx5d_core.errors import FormatError

    runs = [
        ("bbbbbbbb-2", {"uid": "bbbbbbbb-2", "time": "yesterday", "scan_id": 1}),
        ("aaaaaaaa-1", {"uid": "aaaaaaaa-1", "time": 10.0, "scan_id": 1}),
        ("cccccccc-3", {"uid": "cccccccc-3", "time": 5.0, "scan_id": True}),
    ]
    assert run_keys(runs) == {"cccccccc": "cccccccc-3", "1": "aaaaaaaa-1", "1.2": "bbbbbbbb-2"}
    with pytest.raises(FormatError, match="'yesterday' is not a number"):
        summary_of("1.2", {"start": runs[0][1]}, where="run 1.2")
    assert summary_of("1", {"start": runs[1][1]}, where="run 1").scan_id == 1
    assert summary_of("cccccccc", {"start": runs[2][1]}, where="run c").scan_id is None
