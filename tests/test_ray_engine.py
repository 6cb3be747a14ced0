"""The Ray engine on a real local Ray cluster: the same bytes as the local engine.

One cluster for the module (2 CPUs), started before the first test and stopped by the last, which
runs the stages on a cluster they join (`RAY_ADDRESS`), as on a real cluster: a head node started
apart (`ray start --head --block`, its own process group), whose workers were not forked from
the stage, so they run the pipeline the job ships to them (`ray_data._job_files`), schemas
included. One cluster at a time on this machine: Ray's drivers find a cluster's session through
`/tmp/ray`, which two clusters started at once would share.
"""

from __future__ import annotations

import functools
import os
import random
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pytest

from pipeline import annotate, annotate_batch, clean, duplicates
from pipeline import quarantine as q
from pipeline.annotators.near_duplicates import clusters
from pipeline.annotators.near_duplicates_ray import finish_on_ray
from pipeline.cli_ray import head_node
from pipeline.duplicates import FindDuplicates
from pipeline.duplicates_ray import FindDuplicatesOnRay
from pipeline.engine import run_local
from pipeline.engines import choose
from pipeline.engines.ray_reduce import ObjectStoreReduce
from tests.defaults import PARAMS
from tests.test_annotators_basic import random_signatures
from tests.test_duplicates_compact import digest, hexid, packed
from tests.test_engine_local import batches, output_bytes, run_stages, with_workers, writers
from tests.test_reduce import run_first_text

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module", autouse=True)
def cluster():
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_writes_the_same_bytes_as_the_local_engine(messy_seeds_dir, tmp_path, monkeypatch):
    """Every stage, validate's and publish's reduces included."""
    params = with_workers(PARAMS, 2)
    monkeypatch.setenv("CORPUS_ENGINE", "local")
    local = run_stages(messy_seeds_dir, tmp_path / "local", params)
    monkeypatch.setenv("CORPUS_ENGINE", "ray")
    on_ray = run_stages(messy_seeds_dir, tmp_path / "ray", params)
    assert local == on_ray
    assert output_bytes(tmp_path / "local") == output_bytes(tmp_path / "ray")


def test_ray_keeps_input_order_and_rejects(tmp_path, read_rows, monkeypatch):
    monkeypatch.setenv("CORPUS_ENGINE", "ray")

    def shout(record: dict) -> dict:
        if record["text"] == "t3":
            raise ValueError("no")
        return {**record, "text": record["text"].upper()}

    out, quarantine = writers(tmp_path)
    data = [*batches(7, size=2), pa.RecordBatch.from_pylist([], schema=batches(1)[0].schema)]
    engine = replace(PARAMS.engine, workers=2)
    counts = run_local(shout, data, "x", out, quarantine, engine=engine)
    assert [r["text"] for r in read_rows(tmp_path / "out")] == [f"T{i}" for i in range(7) if i != 3]
    assert [r["id"] for r in read_rows(tmp_path / "quarantine")] == ["a3"]
    assert (counts.records_in, counts.records_out) == (7, 6)
    assert choose(engine).__module__ == "pipeline.engines"  # the ray mapper, not local.serial


def test_a_reduce_refuses_the_same_records_on_ray(tmp_path, monkeypatch):
    texts = ["x", "odd", "y", "x", "odd", "y", "z", "x"]
    monkeypatch.setenv("CORPUS_ENGINE", "local")
    local = run_first_text(tmp_path / "local", texts, workers=2)
    monkeypatch.setenv("CORPUS_ENGINE", "ray")
    assert run_first_text(tmp_path / "ray", texts, workers=2) == local
    assert output_bytes(tmp_path / "local") == output_bytes(tmp_path / "ray")


@pytest.mark.parametrize("threshold", [0.5, 0.9])
def test_minhash_group_bys_give_the_clusters_of_the_local_reduce(threshold: float):
    """near_duplicates_ray's group-bys against near_duplicates.clusters, keys fed a batch at a
    time through the object store as the stage feeds them."""
    ids, signatures = random_signatures(500)
    params = replace(
        PARAMS.annotate,
        near_duplicates=replace(PARAMS.annotate.near_duplicates, threshold=threshold),
    )
    expected = clusters(ids, signatures, params.near_duplicates)
    on_ray = functools.partial(finish_on_ray, params=params)
    reduce = ObjectStoreReduce("near", on_ray, block_rows=100)  # 5 blocks
    for start in range(0, len(ids), 64):
        reduce.add(list(zip(ids[start : start + 64], signatures[start : start + 64], strict=True)))
    found = reduce.result()
    assert [found[i]["near_duplicate_cluster"] for i in ids] == expected
    # Only records in a cluster of two or more are held; every other id is its own cluster.
    multi = {c for c in expected if expected.count(c) > 1}
    assert set(found) == {i for i, c in zip(ids, expected, strict=True) if c in multi}
    assert len(found) < len(ids)
    assert not reduce.refs and not reduce.pending  # let go once folded


def test_minhash_group_bys_of_no_records():
    found = ObjectStoreReduce("near", functools.partial(finish_on_ray, params=PARAMS.annotate))
    result = found.result()
    assert len(result) == 0
    assert result["a" * 32] == {"near_duplicate_cluster": "a" * 32}


def test_duplicates_sorted_on_ray_are_the_local_copies():
    """duplicates_ray's two sorts against FindDuplicates, keys fed a batch at a time through
    the object store as the stage feeds them: copies by id, by content, and chains of both."""
    rng = random.Random(4)
    keys = [
        packed(hexid(rng.randrange(900)), digest(rng.randrange(900)), hexid(10_000 + n))
        for n in range(1500)
    ]
    local, on_ray = FindDuplicates(), FindDuplicatesOnRay(block_rows=200)  # 8 objects
    for start in range(0, len(keys), 64):
        local.add(keys[start : start + 64])
        on_ray.add(keys[start : start + 64])
    expected = local.result()
    assert {d.reason for d in expected.values()} == {q.DUPLICATE_ID, q.EXACT_DUPLICATE}
    assert on_ray.result() == expected
    assert not on_ray.refs and not on_ray.pending  # let go once folded
    assert FindDuplicatesOnRay().result() == {}  # no records


def test_clean_on_ray_sets_aside_the_local_copies(
    make_record, write_stage_rows, tmp_path, params, monkeypatch
):
    """clean on each engine, 2 workers: the same copies by id and by text, the same bytes."""
    url = "https://example.com/story"
    rows = [
        make_record(id=f"{n % 8:x}" * 32, url=url if n % 8 == 0 else None,
                    source=f"s/{n}.txt", text=f"Text {n % 3}.", title=f"Title {n % 2}")
        for n in range(12)
    ]  # fmt: skip
    inp = write_stage_rows("ingest", rows)
    params = with_workers(params, 2)
    results = {}
    for engine in ("local", "ray"):
        monkeypatch.setenv("CORPUS_ENGINE", engine)
        if engine == "ray":
            assert isinstance(duplicates.find_duplicates(), FindDuplicatesOnRay)
        root = tmp_path / engine
        results[engine] = clean.run(
            inp, root / "records", root / "quarantine", root / "metrics.json", params
        )
    assert results["local"] == results["ray"]
    assert (results["ray"]["id_duplicates"], results["ray"]["exact_duplicates"]) == (4, 2)
    assert output_bytes(tmp_path / "local") == output_bytes(tmp_path / "ray")


def near_copies(seeds: Path, originals: int = 3, copies: int = 3) -> None:
    """Articles of 150 words, each with copies that differ by one word (estimated Jaccard of
    their 5-gram shingles about 0.95), written as seeds."""
    import random

    rng = random.Random(11)
    vocabulary = [f"{a}{b}" for a in ("ka", "lo", "mi", "ne", "pu", "ro") for b in "aeiou"]
    for n in range(originals):
        words = [rng.choice(vocabulary) for _ in range(150)]
        for k in range(copies + 1):
            text = words[:]
            if k:
                text[40 * k] = "changed"
            body = " ".join(text)
            (seeds / f"near-{n}-{k}.txt").write_text(f"Story {n} version {k}\n\n{body}.\n")


def test_stages_on_ray_cluster_near_duplicates_as_locally(seeds_dir, tmp_path, monkeypatch):
    near_copies(seeds_dir)
    params = with_workers(PARAMS, 2)
    stages = ("ingest", "clean", "annotate")
    monkeypatch.setenv("CORPUS_ENGINE", "local")
    local = run_stages(seeds_dir, tmp_path / "local", params, stages)
    monkeypatch.setenv("CORPUS_ENGINE", "ray")
    minhash = annotate_batch.plan(params.annotate)[1]
    assert isinstance(annotate.corpus_reduce_for(minhash, params), ObjectStoreReduce)
    on_ray = run_stages(seeds_dir, tmp_path / "ray", params, stages)
    assert local == on_ray
    assert local["annotate"]["near_duplicate_clusters"] == 3
    assert local["annotate"]["records_in_near_duplicate_clusters"] == 12
    assert output_bytes(tmp_path / "local") == output_bytes(tmp_path / "ray")


def cluster_started_elsewhere():
    """A head node as `corpus run` starts one (`pipeline.cli_ray.head_node`), but as a cluster
    started elsewhere: without the allocator this package set in the tests' process
    (pipeline/__init__.py), so the job must bring its own (`ray_data.worker_env`); without a
    token, since this process's Ray client (used by the module's first cluster) keeps the
    authentication mode it started with."""
    arrow = ("ARROW_DEFAULT_MEMORY_POOL", "JE_ARROW_MALLOC_CONF")
    env = {k: v for k, v in os.environ.items() if k not in arrow}
    return head_node(2, env)


def job_workers_arrow_pool() -> list[str]:
    """The Arrow pool of a Ray Data task of the current job: its workers imported pyarrow
    before anything of the pipeline, as a stage's tasks do."""
    import ray.data

    def pool(batch: pa.Table) -> pa.Table:  # local: pickled by value, for workers without tests
        import pyarrow

        return pyarrow.table({"pool": [pyarrow.default_memory_pool().backend_name]})

    rows = ray.data.from_items([{"x": 0}]).map_batches(pool, batch_format="pyarrow").take_all()
    return [row["pool"] for row in rows]


def test_stages_on_a_cluster_they_join_write_the_local_bytes(
    messy_seeds_dir, tmp_path, monkeypatch
):
    """Last in the module: it ends the module's cluster before starting its own."""
    ray.shutdown()
    # params.yaml's relative cache folder: the stage's working directory's, not the worker's.
    params = with_workers(PARAMS, 2)
    params = replace(params, engine=replace(params.engine, cache_dir=".corpus-cache"))
    for folder in ("local", "ray"):
        (tmp_path / folder).mkdir()
    monkeypatch.setenv("CORPUS_ENGINE", "local")
    monkeypatch.chdir(tmp_path / "local")
    local = run_stages(messy_seeds_dir, tmp_path / "local" / "run", params)
    monkeypatch.setenv("CORPUS_ENGINE", "ray")
    # Ray puts the driver's working directory on its workers' path: away from the repository,
    # the workers can import only what the job shipped, as on another machine.
    monkeypatch.chdir(tmp_path / "ray")
    with cluster_started_elsewhere() as address:
        monkeypatch.setenv("RAY_ADDRESS", address)
        try:
            joined = run_stages(messy_seeds_dir, tmp_path / "ray" / "run", params)
            assert ray.get_runtime_context().get_job_id()  # a job of that cluster
            assert job_workers_arrow_pool() == ["jemalloc"]
        finally:
            ray.shutdown()
    assert local == joined
    assert (tmp_path / "ray" / ".corpus-cache" / "results.sqlite").is_file()
    assert output_bytes(tmp_path / "local" / "run") == output_bytes(tmp_path / "ray" / "run")


def test_a_cluster_the_stage_starts_gives_its_workers_the_stage_allocator(monkeypatch):
    """After the module's clusters: with no RAY_ADDRESS a stage starts a cluster of its own,
    which inherits this process's environment (pipeline/__init__.py's allocator) with no job
    runtime_env (`ray_data.connect`), so its workers allocate as the stage does."""
    from pipeline.engines import ray_data

    ray.shutdown()
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    try:
        ray_data.connect(2)
        assert not ray.get_runtime_context().runtime_env  # none: the cluster's own workers
        assert job_workers_arrow_pool() == ["jemalloc"]
    finally:
        ray.shutdown()


def test_stages_on_a_cluster_of_their_own_environment_ship_nothing(
    messy_seeds_dir, tmp_path, monkeypatch
):
    """`corpus run`'s cluster (`cli_ray.local_cluster`) starts from the stages' environment and
    folder and says so (`SAME_ENV`): the job ships no code (no runtime_env), its workers import
    the package the stage imports and allocate as it does, and the bytes are the local engine's."""
    from pipeline.engines.ray_data import SAME_ENV

    ray.shutdown()
    params, stages = with_workers(PARAMS, 2), ("ingest", "clean")
    monkeypatch.setenv("CORPUS_ENGINE", "local")
    local = run_stages(messy_seeds_dir, tmp_path / "local", params, stages)
    monkeypatch.setenv("CORPUS_ENGINE", "ray")
    with head_node(2, dict(os.environ)) as address:
        monkeypatch.setenv("RAY_ADDRESS", address)
        monkeypatch.setenv(SAME_ENV, "1")
        try:
            on_ray = run_stages(messy_seeds_dir, tmp_path / "ray", params, stages)
            assert not ray.get_runtime_context().runtime_env
            assert job_workers_arrow_pool() == ["jemalloc"]
        finally:
            ray.shutdown()
    assert local == on_ray
    assert output_bytes(tmp_path / "local") == output_bytes(tmp_path / "ray")


def test_a_worker_importing_another_pipeline_than_the_stage_refuses_the_batch():
    """With `SAME_ENV` nothing is shipped, so a worker of a cluster started from another folder
    or environment would run other code: each task compares, and stops the stage."""
    from pipeline.engines import ray_data

    with pytest.raises(RuntimeError, match="imports the pipeline from"):
        ray_data._apply(None, "/elsewhere/pipeline", pa.table({"seq": [], "batch": []}))
