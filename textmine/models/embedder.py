"""``SentenceEmbedder``: texts to float32 vectors, with a verified local model.

A scikit-learn-style estimator: ``__init__`` only stores parameters, ``fit`` resolves,
verifies and loads the model, ``transform`` encodes. It knows nothing of a Corpus or of the
cache (that is :func:`textmine.tl.embed`).

Why each text is padded to a length of its own
----------------------------------------------
On a CPU, a transformer's output for a text changes in its last bits with the padding it
receives, i.e. with which other texts share its batch (measured here: 403 of 600 NHS comments
differed, by up to 2.5e-7, between batch size 1 and 32). The cache must return exactly what a
fresh encode returns, whatever else was in the run, or a warm re-run would not be
byte-identical to a cold one. So every text is padded to a length that depends on its own
token count only, and a batch holds texts of one padded length. With torch's own kernels
(MKL) that length is the next step of a fixed ladder (8, 16, ... 64, 80, ... 128, 160, ...,
always at least one padding token: tighter padding was measured to change vectors with the
batch size); oneDNN's packed linear layers (``backend="onednn"``) gave the same bytes at any
padding where measured, so there a text is padded only to the next multiple of 4 (1-8%
padding where the ladder computes 9-26% more tokens than the texts hold). Each vector then
depends on its text (measured: bitwise equal for batch sizes 1, 3, 5, 7, 32, any batch
companions, and across processes), while batches stay full. Batches of only a few rows can
still differ by ~2e-7 with the thread count or their boundaries on some CPUs
(docs/embeddings.md), so :mod:`textmine.models.cluster` reproduces both exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from textmine.errors import ModelError
from textmine.models.heap import trim_heap
from textmine.models.offline import enforce_offline
from textmine.models.sources import (
    ModelSource,
    local_folder,
    verify_minilm,
)
from textmine.runfolder import installed_versions

#: bump when the way vectors are computed changes: old cache rows then stop matching
ENCODING_VERSION = "padded-ladder-v1"
#: the onednn backend's padding (:func:`padded_length` with ``step=4``)
ONEDNN_ENCODING = "padded-4-v1"
#: the onnx backend's batches hold at most this many padded tokens (64 texts up to 64 tokens,
#: 16 texts of 256): its vectors do not depend on the batch (tested), its memory does
ONNX_TOKENS_PER_BATCH = 4096
#: the onednn backend's batches hold at most this many padded tokens (64 texts up to 128
#: tokens, 32 of 256): oneDNN keeps scratch memory sized by the largest product it has run
#: (peak RSS on 640 texts of ~256 tokens: 1.18 GB uncapped, 1.11 GB capped, torch 1.22 GB;
#: the vectors' bytes are the same capped or not; bench/embed_onnx_memory.py)
ONEDNN_TOKENS_PER_BATCH = 8192
#: batches between two returns of freed memory to the OS (:func:`trim_heap`): at 100,064
#: sentences the peak RSS of embedding fell from 1.84 GB to 1.37 GB for 1 s in 446 s
_TRIM_EVERY = 8
#: how the transformer is run (``embed.backend``); ``auto`` is resolved by
#: :func:`resolve_backend`
BACKENDS = ("auto", "torch", "onednn", "onnx")
_LIBRARIES = {"sentence-transformers": ("torch", "transformers", "sentence-transformers"),
              "static": ("model2vec",)}
_TOKENIZE_CHUNK = 1024


def padded_length(n_tokens: int, limit: int, *, step: int | None = None) -> int:
    """The length a text of ``n_tokens`` is padded to, at most ``limit``.

    ``step=None`` (torch, onnx): the next rung *above* it, rungs 8 apart up to 64, 16 apart up
    to 128, then 32 apart: little padding is wasted on short texts, and long texts do not
    scatter over many small batches. ``step=4`` (onednn): the next multiple of 4 at or above
    it (padding to the text's own length would scatter a small corpus over many half-empty
    batches: measured slower on 1,000 window segments).
    """
    if step is not None:
        return min(-(-n_tokens // step) * step, max(limit, n_tokens))
    step = 8 if n_tokens < 64 else 16 if n_tokens < 128 else 32
    return min((n_tokens // step + 1) * step, max(limit, n_tokens))


def resolve_backend(backend: str, kind: str) -> str:
    """The backend ``backend`` stands for with a model of this ``kind``.

    ``auto``: ``onednn`` where this torch has oneDNN's packed linear layer (x86-64 builds;
    the same vectors to ~4e-7, 1.2-2x faster, docs/performance.md), else ``torch``; static
    models have no transformer and always run as ``torch``.
    """
    if backend != "auto":
        return backend
    if kind == "static":
        return "torch"
    from textmine.models.onednn import onednn_available

    return "onednn" if onednn_available() else "torch"

Callback = Callable[[np.ndarray, np.ndarray], None]


def resolve_model(model: str, *, cache_dir: Path | None = None, static_dims: int = 256,
                  progress: bool = False) -> ModelSource:
    """The verified model folder a model name stands for (distilling ``static`` if needed).

    Parameters
    ----------
    model
        ``minilm``, ``static`` or a local model folder.
    cache_dir
        Cache folder, where the distilled static model is kept (needed for ``static``).
    static_dims
        PCA dimensions of the static model.
    progress
        Show progress bars while distilling the static model (first use).
    """
    if model == "minilm":
        return verify_minilm()
    if model == "static":
        from textmine.models.cache import cache_location
        from textmine.models.static import ensure_static

        folder = cache_dir if cache_dir is not None else cache_location()[0]
        return ensure_static(verify_minilm(), folder, dims=static_dims, progress=progress)
    return local_folder(model)


def library_versions(kind: str) -> dict[str, str | None]:
    """Versions of the libraries that compute vectors of this kind of model."""
    return installed_versions(_LIBRARIES[kind])


def encoder_id(source: ModelSource, backend: str = "torch") -> dict[str, Any]:
    """Everything that decides the vectors: model content, libraries, how texts are batched.

    The cache key is a hash of this, so a cached vector is what a fresh encode would give.
    The ``onnx`` and ``onednn`` backends' vectors differ from torch's in their last bits, so
    they add the backend (and ONNX's libraries); the ``torch`` record is unchanged, so its
    cached rows stay valid. ``backend`` is a resolved one (:func:`resolve_backend`), never
    ``auto``.
    """
    if backend == "auto":
        raise ValueError("encoder_id needs a resolved backend (resolve_backend), not 'auto'")
    identity = {"model_sha256": source.sha256, "kind": source.kind,
                "libraries": library_versions(source.kind), "encoding": ENCODING_VERSION}
    if backend == "onnx" and source.kind != "static":
        from textmine.models.onnx_backend import EXPORT_LIBRARIES, OPSET, RUN_LIBRARIES

        identity["libraries"] = {**installed_versions(EXPORT_LIBRARIES + RUN_LIBRARIES),
                                 **identity["libraries"]}
        identity["backend"] = {"name": "onnxruntime", "opset": OPSET}
    elif backend == "onednn" and source.kind != "static":
        identity["backend"] = {"name": "torch-onednn-packed-linear", "post_ops": ["gelu"]}
        identity["encoding"] = ONEDNN_ENCODING
    return identity


class SentenceEmbedder:
    """Encode texts with a local sentence-embedding model; float32 rows, one per text.

    Parameters
    ----------
    model
        ``"minilm"`` (bundled all-MiniLM-L6-v2, weights verified), ``"static"`` (model2vec
        distilled from it, cached) or a local model folder.
    batch_size
        Texts per forward pass (texts of one token length per batch).
    static_dims
        PCA dimensions of the ``static`` model.
    cache_dir
        Where the distilled ``static`` model and the ONNX export are kept (default: the
        textmine cache folder).
    backend
        ``"auto"`` (the default): ``"onednn"`` where torch has it, else ``"torch"``
        (:func:`resolve_backend`); ``"torch"``: torch's own kernels (MKL); ``"onednn"``:
        torch with the transformer's linear layers on oneDNN (:mod:`textmine.models.onednn`);
        or ``"onnx"``: the transformer on ONNX Runtime, exported from the verified weights on
        first use (:mod:`textmine.models.onnx_backend`; needs the ``onnx`` extra). The last
        two are not for ``static`` models, which have no transformer.

    Attributes
    ----------
    source_ : ModelSource
        The verified model folder and its content hash.
    backend_ : str
        The backend the model runs on (``backend`` with ``"auto"`` resolved).
    dim_ : int
        Vector dimension.
    n_threads_ : int or None
        torch threads used (``None`` for static models, which do not use torch).
    model_ : object
        The loaded model (a ``SentenceTransformer`` or a model2vec ``StaticModel``).
    session_ : onnxruntime.InferenceSession or None
        The transformer's ONNX Runtime session (``backend="onnx"`` only).

    Examples
    --------
    >>> emb = SentenceEmbedder("minilm").fit()                       # doctest: +SKIP
    >>> emb.transform(["The nurse listened.", "Parking was awful."]).shape
    (2, 384)
    """

    def __init__(self, model: str = "minilm", *, batch_size: int = 64, static_dims: int = 256,
                 cache_dir: str | Path | None = None, backend: str = "auto") -> None:
        self.model = model
        self.batch_size = batch_size
        self.static_dims = static_dims
        self.cache_dir = cache_dir
        self.backend = backend

    # ------------------------------------------------------------------ fit
    def fit(self, X: Sequence[str] | None = None, y: Any = None) -> SentenceEmbedder:  # noqa: N803
        """Resolve, verify and load the model (``X`` and ``y`` are ignored)."""
        enforce_offline()
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, "
                             f"not {self.backend!r}")
        cache_dir = Path(self.cache_dir) if self.cache_dir is not None else None
        self.source_ = resolve_model(self.model, cache_dir=cache_dir,
                                     static_dims=self.static_dims)
        self.backend_ = resolve_backend(self.backend, self.source_.kind)
        if self.source_.kind == "static":
            if self.backend_ != "torch":
                raise ModelError(f"embed.backend {self.backend_} runs a transformer's layers, "
                                 "and the static model has none", key="embed.backend",
                                 hint="embed.backend: torch (the static model is already "
                                      "a look-up and an average)")
            self.model_ = self._load_static(self.source_.path)
            self.dim_ = int(self.model_.dim)
            self.n_threads_ = None
            self.session_ = None
        else:
            self.model_ = self._load_sentence_transformer(self.source_.path)
            self.dim_ = int(self.model_.get_embedding_dimension())
            import torch

            self.n_threads_ = int(torch.get_num_threads())
            self.session_ = None
            if self.backend_ == "onnx":
                from textmine.models.cache import cache_location
                from textmine.models.onnx_backend import ensure_onnx, onnx_session

                folder = cache_dir if cache_dir is not None else cache_location()[0]
                path = ensure_onnx(self.source_, self.model_, folder)
                # the run's torch thread count: what the cluster's workers reproduce
                self.session_ = onnx_session(path, self.n_threads_)
            elif self.backend_ == "onednn":
                from textmine.models.onednn import use_onednn_linear

                use_onednn_linear(self.model_)
        return self

    def verify(self, expected_sha256: str, *, what: str, hint: str) -> SentenceEmbedder:
        """Check the loaded model is the one recorded (content hash); ``self`` if it is.

        Raises
        ------
        ModelError
            ``what`` (e.g. "the model of embeddings 'minilm' changed since they were made"),
            with both hashes, the model's folder and ``hint``.
        """
        self._check_fitted()
        if self.source_.sha256 != expected_sha256:
            raise ModelError(
                f"{what} (content sha256 {self.source_.sha256[:12]}..., recorded "
                f"{expected_sha256[:12]}...)", path=self.source_.path, key="embed.model",
                hint=hint)
        return self

    @staticmethod
    def _load_sentence_transformer(path: Path):
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging
        except ImportError as exc:
            raise ModelError(f"sentence-transformers is not installed ({exc})",
                             hint="pip install sentence-transformers") from None
        hf_logging.disable_progress_bar()  # the "Loading weights" bar: textmine shows its own
        try:
            return SentenceTransformer(str(path), device="cpu", local_files_only=True,
                                       trust_remote_code=False)
        except Exception as exc:  # any library error: name the folder, keep the reason
            raise ModelError(f"model cannot be loaded: {type(exc).__name__}: {exc}", path=path,
                             key="embed.model") from None

    @staticmethod
    def _load_static(path: Path):
        try:
            from model2vec import StaticModel
        except ImportError as exc:
            raise ModelError(f"model2vec is not installed ({exc})",
                             hint="pip install model2vec") from None
        try:
            # a local folder: model2vec loads it without any hub call
            return StaticModel.from_pretrained(str(path))
        except Exception as exc:
            raise ModelError(f"static model cannot be loaded: {type(exc).__name__}: {exc}",
                             path=path, key="embed.model") from None

    # ------------------------------------------------------------------ transform
    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise ModelError("SentenceEmbedder is not fitted", hint="call .fit() first")

    def token_lengths(self, texts: Sequence[str]) -> np.ndarray:
        """Token count of each text as the model sees it (special tokens in, truncated)."""
        self._check_fitted()
        if self.source_.kind == "static":
            return np.array([len(ids) for ids in self.model_.tokenize(list(texts))], dtype=int)
        out = []
        for start in range(0, len(texts), _TOKENIZE_CHUNK):
            features = self.model_.preprocess(list(texts[start:start + _TOKENIZE_CHUNK]))
            out.append(features["attention_mask"].sum(dim=1).numpy())
        return np.concatenate(out).astype(int) if out else np.zeros(0, dtype=int)

    def transform(self, X: Sequence[str], *, callback: Callback | None = None) -> np.ndarray:  # noqa: N803
        """Encode texts.

        Parameters
        ----------
        X
            The texts.
        callback
            Called after each batch with the batch's row positions in ``X`` and its vectors
            (for progress bars and incremental caching).

        Returns
        -------
        numpy.ndarray
            ``(len(X), dim_)`` float32, row ``i`` the vector of ``X[i]`` (see
            :meth:`encode_batch` for what its last bits depend on).
        """
        self._check_fitted()
        texts = list(X)
        out = np.zeros((len(texts), self.dim_), dtype=np.float32)
        for n, (rows, length) in enumerate(self.batches(texts), start=1):
            vectors = self.encode_batch([texts[i] for i in rows], length)
            out[rows] = vectors
            if callback is not None:
                callback(rows, vectors)
            if n % _TRIM_EVERY == 0:
                trim_heap()
        trim_heap()
        return out

    def encode_batch(self, batch: list[str], length: int) -> np.ndarray:
        """One batch of :meth:`batches`, as :meth:`transform` encodes it (float32 rows).

        The bits of a vector depend on its text, its padded ``length``, the batch it is
        computed in and torch's thread count (matrix kernels for a few rows differ by up to
        ~2e-7 with the thread count): the same batches at the same thread count give the same
        bytes in any process (what :mod:`textmine.models.cluster` relies on).
        """
        self._check_fitted()
        if self.source_.kind == "static":
            # float16 vectors: widening to float32 is exact
            vectors = self.model_.encode(batch, batch_size=len(batch),
                                         use_multiprocessing=False, show_progress_bar=False)
        else:
            vectors = self._forward(batch, length)
        return np.asarray(vectors, dtype=np.float32)

    def _forward(self, batch: list[str], length: int) -> np.ndarray:
        """The sentence-transformers forward pass on a batch padded to exactly ``length``.

        The same modules ``SentenceTransformer.encode`` runs (tokenise, transformer, pooling,
        normalisation), with the padding fixed instead of "longest in batch".
        """
        import torch

        features = self.model_.preprocess(batch)
        missing = length - features["input_ids"].shape[1]
        if missing > 0:
            pad_id = self.model_.tokenizer.pad_token_id or 0
            for name in ("input_ids", "attention_mask", "token_type_ids"):
                if name in features:
                    value = pad_id if name == "input_ids" else 0
                    features[name] = torch.nn.functional.pad(features[name], (0, missing),
                                                             value=value)
        if self.session_ is not None:
            from textmine.models.onnx_backend import encode_features

            return encode_features(self.session_, self.model_, features)
        with torch.inference_mode():
            return self.model_(features)["sentence_embedding"].float().cpu().numpy()

    def fit_transform(self, X: Sequence[str], y: Any = None, **kwargs: Any) -> np.ndarray:  # noqa: N803
        """``fit()`` then ``transform(X)``."""
        return self.fit().transform(X, **kwargs)

    def _max_positions(self) -> int:
        """Longest input the transformer accepts (padding never goes beyond it)."""
        first = self.model_[0]
        config = getattr(getattr(first, "auto_model", None), "config", None)
        return int(getattr(config, "max_position_embeddings", None) or self.model_.max_seq_length)

    def batches(self, texts: Sequence[str]) -> list[tuple[np.ndarray, int]]:
        """``(row positions, padded length)`` per batch, one padded length per batch.

        Longest first: a batch that does not fit in memory fails at once, not at the end.
        """
        self._check_fitted()
        texts = list(texts)
        if not texts:
            return []
        if self.source_.kind == "static":
            # a static vector is a mean over its own tokens: batching cannot change it
            size = max(self.batch_size, 1024)
            return [(np.arange(s, min(s + size, len(texts))), 0)
                    for s in range(0, len(texts), size)]
        limit = self._max_positions()
        step = 4 if self.backend_ == "onednn" else None
        lengths = np.array([padded_length(int(n), limit, step=step)
                            for n in self.token_lengths(texts)])
        rows = self.batch_size
        # ONNX Runtime keeps a batch's attention buffers (rows x 12 x length^2 floats, several
        # at once) in its arena for the session's life: 1.7 GB for 64 texts of 256 tokens,
        # against torch's 0.4 GB freed after each batch; oneDNN keeps less, but some
        cap = {"onnx": ONNX_TOKENS_PER_BATCH,
               "onednn": ONEDNN_TOKENS_PER_BATCH}.get(self.backend_)
        order = np.lexsort((np.arange(len(texts)), -lengths))  # longest first, then input order
        batches = []
        start = 0
        while start < len(order):
            length = int(lengths[order[start]])
            if cap is not None:
                rows = max(1, min(self.batch_size, cap // length))
            end = start
            while (end < len(order) and end - start < rows
                   and lengths[order[end]] == length):
                end += 1
            batches.append((order[start:end], length))
            start = end
        return batches
