"""Mean token embeddings read straight from wordllama's matrix, without padding and with tokenized words remembered.

wordllama is a static model: a text's embedding is the mean of its tokens' rows in one matrix. So the token ids of a
document, split into pieces (title, lead sentences, the rest), give both the document's vector (all its tokens) and
each sentence's vector (its tokens' rows), with no second pass and no padded batches.

Its tokenizer (Llama's SentencePiece BPE) has no token with "▁" (a space) after its first character other than runs
of "▁" alone, so no merge crosses a single space: the ids of a whitespace-folded text are the ids of its words, each
tokenized alone, one after the other. Words are therefore tokenized once and remembered (as packed ids), and a
document's ids are joined from them. The one difference from tokenizing the text whole: a word that ends in a literal
"▁" character (U+2581) followed by another word, where the whole-text tokenizer may merge the two "▁" into one token.

Every vector depends only on its own text: a document gets the same answer alone or in any chunk.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
from tokenizers import Tokenizer

MEMO_WORDS = 200_000  # words remembered (about 30 MB); once full, new words are tokenized each time they come
MEMO_WORD_CHARS = 40  # longer words are tokenized each time, never remembered


def unit(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (a zero row stays zero)."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class TokenEmbedder:
    """wordllama's embedding matrix, a private copy of its tokenizer (no padding, no truncation), a word memo."""

    def __init__(self, matrix: np.ndarray, tokenizer: Tokenizer) -> None:
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        self.dim = int(self.matrix.shape[1])
        self.tokenizer = Tokenizer.from_str(tokenizer.to_str())  # the model's own object keeps its settings
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        largest_id = max(self.matrix.shape[0], self.tokenizer.get_vocab_size(with_added_tokens=True)) - 1
        self._id_type = np.dtype(np.uint16 if largest_id < 2**16 else np.uint32)
        self._memo: dict[str, bytes] = {}  # word -> its token ids, packed
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit mean-token vectors of texts (a text with no tokens gets zeros)."""
        sums = np.zeros((len(texts), self.dim), dtype=np.float32)
        encoded = [ids for ids, _ in self._encode([[text] for text in texts])]
        by_length: dict[int, list[int]] = {}
        for i, ids in enumerate(encoded):
            if ids.size:
                by_length.setdefault(ids.size, []).append(i)
        for length, members in by_length.items():  # texts of one token count sum as one block, no padding
            block = self._rows(np.concatenate([encoded[i] for i in members]))
            sums[members] = block.reshape(len(members), length, self.dim).sum(axis=1)
        return unit(sums)

    def embed_documents(
        self, pieces: Sequence[list[str]], sentence_counts: Sequence[int]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Per document (its pieces: title, `sentence_counts[k]` sentences, the rest): the unit vector of all its
        tokens, and the unit vectors of its sentences."""
        docs = np.zeros((len(pieces), self.dim), dtype=np.float32)
        sentences: list[np.ndarray] = []
        for k, ((ids, counts), count) in enumerate(zip(self._encode(pieces), sentence_counts, strict=True)):
            sents = np.zeros((count, self.dim), dtype=np.float32)
            if ids.size:
                rows = self._rows(ids)
                docs[k] = rows.sum(axis=0)
                start = counts[0]  # after the title
                for i in range(count):  # a plain sum per span: ufunc.reduceat along rows is far slower here
                    end = start + counts[i + 1]
                    sents[i] = rows[start:end].sum(axis=0)
                    start = end
            sentences.append(unit(sents))
        return unit(docs), sentences

    def _rows(self, ids: np.ndarray) -> np.ndarray:
        """The matrix rows of token ids (ids past the matrix are clamped, as wordllama does)."""
        return self.matrix.take(np.minimum(ids, self.matrix.shape[0] - 1), axis=0)

    def _encode(self, documents: Sequence[list[str]]) -> list[tuple[np.ndarray, list[int]]]:
        """Token ids of each document's pieces joined, and the number of tokens of each piece."""
        words = [[piece.split() for piece in pieces] for pieces in documents]
        out = []
        with self._lock:
            once = self._learn(words)
            try:
                get = self._memo.__getitem__
                for doc in words:
                    packed = [b"".join(map(get, piece)) for piece in doc]
                    ids = np.frombuffer(b"".join(packed), dtype=self._id_type)
                    out.append((ids, [len(p) // self._id_type.itemsize for p in packed]))
            finally:
                for word in once:
                    self._memo.pop(word, None)
        return out

    def _learn(self, documents: list[list[list[str]]]) -> list[str]:
        """Tokenize the words the memo lacks, in one call; returns those not to keep (too long, or no room left),
        which the caller drops after use."""
        seen: set[str] = set()
        for doc in documents:
            for piece in doc:
                seen.update(piece)
        missing = [w for w in seen if w not in self._memo]
        if not missing:
            return []
        room = max(0, MEMO_WORDS - len(self._memo))
        for word, encoding in zip(missing, self.tokenizer.encode_batch(missing, add_special_tokens=False), strict=True):
            self._memo[word] = np.asarray(encoding.ids, dtype=self._id_type).tobytes()
        return [w for i, w in enumerate(missing) if i >= room or len(w) > MEMO_WORD_CHARS]
