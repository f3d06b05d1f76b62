"""The numpy chunk path of the vocabulary: spans equal bytes.split, keys are exact, the table is a dict."""

from __future__ import annotations

import random

import numpy as np

from bot.search.analyzer import split_bytes, split_chunks
from bot.search.chunks import MAX_KEY_BYTES, KeyTable, chunk_keys, chunk_spans

TEXTS = [
    "",
    " ",
    "one",
    "  Two words  ",
    "Ünïcödé naïve café — 2022–23 “quoted” x²y ﬁne 東京 😀 emoji",
    "a" * 8 + " " + "b" * 9 + " " + "c" * 16 + " " + "d" * 17 + " " + "e" * 40,
    "The U.S. (and E.U.) agreed:\tno\nmore\r\nthan 1,000,000 — said Mr. O'Neil's aide.",
]


def test_chunk_spans_equal_bytes_split() -> None:
    rng = random.Random(3)
    alphabet = "ab é\n.,-’😀x"
    texts = TEXTS + ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(300)]
    for text in texts:
        data = split_bytes(text)
        starts, ends = chunk_spans(data)
        assert [data[s:e] for s, e in zip(starts.tolist(), ends.tolist())] == split_chunks(text)


def test_chunk_keys_are_exact_up_to_16_bytes() -> None:
    words = sorted(
        {w for t in TEXTS for w in split_chunks(t)} | {b"ab", b"ab" * 4, b"ab" * 4 + b"c", b"ba" * 8}
    )
    data = b" ".join(words)
    starts, ends = chunk_spans(data)
    k1, k2, long = chunk_keys(data, starts, ends)
    assert long.tolist() == [len(w) > MAX_KEY_BYTES for w in words]
    keys = {(a, b): w for a, b, w, lg in zip(k1.tolist(), k2.tolist(), words, long.tolist()) if not lg}
    assert len(keys) == sum(len(w) <= MAX_KEY_BYTES for w in words)  # distinct chunks, distinct keys
    assert all(k1[long] == 0) and all(k2[long] == 1)


def test_key_table_behaves_like_a_dict_through_growth_and_collisions() -> None:
    rng = np.random.default_rng(5)
    table = KeyTable(missing=-7, bits=4)  # tiny: forces growth and long probe runs
    truth: dict[tuple[int, int], int] = {}
    for step in range(30):
        n = int(rng.integers(1, 400))
        k1 = rng.integers(1, 50, n, dtype=np.uint64)  # few distinct k1: many equal hashes' neighbours
        k2 = rng.integers(0, 2**63, n, dtype=np.uint64) * (rng.random(n) < 0.5)
        pairs = list(dict.fromkeys(zip(k1.tolist(), k2.tolist())))
        new = [p for p in pairs if p not in truth]
        if new:
            a = np.array([p[0] for p in new], dtype=np.uint64)
            b = np.array([p[1] for p in new], dtype=np.uint64)
            vals = np.arange(len(truth), len(truth) + len(new), dtype=np.int32)
            table.insert(a, b, vals)
            truth.update(zip(new, vals.tolist()))
        probe1 = np.concatenate([k1, rng.integers(1, 60, 50, dtype=np.uint64), np.zeros(3, dtype=np.uint64)])
        probe2 = np.concatenate([k2, np.zeros(53, dtype=np.uint64)])
        got = table.lookup(probe1, probe2).tolist()
        assert got == [truth.get((a, b), -7) for a, b in zip(probe1.tolist(), probe2.tolist())]
        assert 2 * len(table) <= 1 << table.bits


def test_vocabulary_encodes_exactly_what_the_analyzer_finds() -> None:
    """Random text of short, long (> 16 bytes), multi-term, non-ASCII and stopword chunks: the numpy path's
    ids name exactly the analyzer's terms, in order, whether the chunks are new or already known."""
    from bot.search.analyzer import Analyzer
    from bot.search.vocabulary import Vocabulary

    rng = random.Random(11)
    pieces = ["the", "nato", "Bucharest", "a" * 16, "b" * 17, "counterterrorism", "counterterrorisms",
              "2022–23", "covid‑19", "Biden’s", "ﬁnance", "ＮＡＴＯ", "東京", "😀", "x²y", "e\u0301", "U.S.",
              "don't", "—", "...", "ab" * 12, "Straße", "\ue001", "élan", "1,000,000"]  # fmt: skip
    analyzer = Analyzer()
    vocab = Vocabulary(analyzer)
    for _ in range(200):
        text = "".join(rng.choice(pieces) + rng.choice([" ", "  ", "\n", ", ", "-", ""]) for _ in range(30))
        assert [vocab.terms[i] for i in vocab.encode(text).tolist()] == analyzer.analyze(text)
        texts = [text[: len(text) // 3], text[len(text) // 3 :], ""]
        ids, lengths = vocab.encode_many(texts)
        assert [vocab.terms[i] for i in ids.tolist()] == [t for x in texts for t in analyzer.analyze(x)]
        assert lengths.tolist() == [len(analyzer.analyze(x)) for x in texts]
