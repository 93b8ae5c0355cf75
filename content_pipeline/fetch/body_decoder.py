"""Decode a Content-Encoding stream chunk by chunk without ever producing more than a byte limit."""

import zlib

SUPPORTED_ENCODINGS = ("gzip", "deflate")  # what the fetcher advertises in Accept-Encoding
ACCEPT_ENCODING = ", ".join(SUPPORTED_ENCODINGS)


class BodyTooLargeError(Exception):
    def __init__(self, produced: int, limit: int) -> None:
        super().__init__(f"body larger than {limit} bytes (decoded)")
        self.produced = produced


class UnsupportedEncodingError(Exception):
    """The server used a Content-Encoding the fetcher did not ask for."""


class BoundedDecoder:
    """Undoes gzip/deflate (or nothing) and raises BodyTooLargeError as soon as the output passes `limit`.

    zlib's `max_length` caps each step's output, so a small compressed chunk cannot expand to gigabytes in memory
    before the check: at most `limit + 1` decoded bytes ever exist.
    """

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        unknown = [c for c in codings if c not in SUPPORTED_ENCODINGS and c != "x-gzip"]
        if unknown or len(codings) > 1:
            raise UnsupportedEncodingError(f"unsupported Content-Encoding: {content_encoding}")
        self.coding = codings[0] if codings else None
        self.limit = limit
        self.produced = 0
        self.inflater: zlib._Decompress | None = None
        self.pending_start = b""  # for deflate: the first bytes, to tell zlib-wrapped from raw deflate

    def feed(self, chunk: bytes) -> bytes:
        if self.coding is None:
            return self.count(chunk)
        if self.inflater is None:
            self.pending_start += chunk
            if self.coding == "deflate" and len(self.pending_start) < 2:
                return b""
            self.inflater = zlib.decompressobj(self.window_bits(self.pending_start))
            chunk, self.pending_start = self.pending_start, b""
        return self.inflate(chunk)

    def flush(self) -> bytes:
        if self.coding is None:
            return b""
        if self.inflater is None:  # tiny body that never reached two bytes
            self.inflater = zlib.decompressobj(self.window_bits(self.pending_start))
            return self.inflate(self.pending_start) + self.count(self.inflater.flush())
        return self.count(self.inflater.flush())

    def inflate(self, data: bytes) -> bytes:
        out: list[bytes] = []
        while data:
            assert self.inflater is not None
            out.append(self.count(self.inflater.decompress(data, self.limit - self.produced + 1)))
            if self.inflater.eof and self.inflater.unused_data and self.coding != "deflate":
                data = self.inflater.unused_data  # another gzip member follows
                self.inflater = zlib.decompressobj(self.window_bits(data))
            else:
                data = b""
        return b"".join(out)

    def count(self, data: bytes) -> bytes:
        self.produced += len(data)
        if self.produced > self.limit:
            raise BodyTooLargeError(self.produced, self.limit)
        return data

    def window_bits(self, start: bytes) -> int:
        if self.coding != "deflate":
            return 16 + zlib.MAX_WBITS  # gzip
        is_zlib = len(start) >= 2 and start[0] & 0x0F == 8 and (start[0] << 8 | start[1]) % 31 == 0
        return zlib.MAX_WBITS if is_zlib else -zlib.MAX_WBITS  # servers send both zlib-wrapped and raw deflate
