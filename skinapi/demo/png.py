"""A fast writer for sparse RGBA PNG masks.

A mask is empty (all zero) outside a band of rows. Deflate segments that end in a full flush are
independent, so the empty rows above and below the band are compressed once per image width
and reused; only the band is compressed per mask. The output is a standard PNG (colour type 6,
8 bits, filter 0 on every row) that any reader decodes.
"""

from __future__ import annotations

import functools
import struct
import zlib

import numpy as np

_MOD_ADLER = 65521
_ZLIB_HEADER = b"\x78\x01"
_FINAL_EMPTY_BLOCK = b"\x03\x00"
_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _deflate_flushed(data: bytes) -> bytes:
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


@functools.lru_cache(maxsize=64)
def _zero_rows(stride: int, count: int) -> bytes:
    return _deflate_flushed(bytes(stride * count))


def _empty_rows(stride: int, count: int) -> list[bytes]:
    """Compressed segments for `count` empty rows, built from cached power-of-two blocks."""
    segments, bit = [], 1
    while count:
        if count & bit:
            segments.append(_zero_rows(stride, bit))
            count -= bit
        bit <<= 1
    return segments


def encode_rgba(width: int, height: int, top: int, band: np.ndarray) -> bytes:
    """A `width`×`height` RGBA PNG that is empty except for `band` (rows × width × 4, uint8)
    starting at row `top`."""
    rows = band.shape[0]
    if band.shape[1:] != (width, 4) or top < 0 or top + rows > height:
        raise ValueError("the band does not fit the image")
    stride = width * 4 + 1
    filtered = np.zeros((rows, stride), dtype=np.uint8)
    filtered[:, 1:] = band.reshape(rows, width * 4)
    band_bytes = filtered.tobytes()
    below = height - top - rows

    # Adler-32 over the whole uncompressed stream; runs of zeros only advance its second sum.
    a, b = 1, top * stride % _MOD_ADLER
    checksum = zlib.adler32(band_bytes, (b << 16) | a)
    a, b = checksum & 0xFFFF, checksum >> 16
    b = (b + below * stride * a) % _MOD_ADLER

    stream = b"".join(
        [_ZLIB_HEADER]
        + _empty_rows(stride, top)
        + [_deflate_flushed(band_bytes)]
        + _empty_rows(stride, below)
        + [_FINAL_EMPTY_BLOCK, struct.pack(">I", (b << 16) | a)]
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return _SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", stream) + _chunk(b"IEND", b"")
