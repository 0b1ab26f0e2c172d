"""CRC-32C (Castagnoli) and LevelDB's masked form, as TF's tables and bundles use them.

`google-crc32c` (C, hardware-accelerated; the optional extra `flowexec[graph]`) is used when
installed; otherwise a table-driven pure-Python fallback gives the same values (about
10 MB/s: fine for small checkpoints, install the package for large ones).
"""

try:
    import google_crc32c as _fast
except ImportError:  # pragma: no cover - exercised by forcing the fallback in the tests
    _fast = None

__all__ = ["crc32c", "mask", "masked_crc32c", "unmask"]

_POLY = 0x82F63B78
_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ _POLY if _c & 1 else _c >> 1
    _TABLE.append(_c)
_MASK_DELTA = 0xA282EAD8


def crc32c_python(data, crc=0):
    """CRC-32C of `data` in pure Python (the fallback)."""
    crc ^= 0xFFFFFFFF
    table = _TABLE
    for b in memoryview(data).cast("B"):
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def crc32c(data):
    """CRC-32C of a bytes-like object."""
    if _fast is not None:
        return _fast.value(bytes(data) if not isinstance(data, bytes) else data)
    return crc32c_python(data)


def mask(crc):
    """LevelDB's masked CRC (stored CRCs are masked so a CRC of CRCs stays meaningful)."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def unmask(masked):
    rot = (masked - _MASK_DELTA) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


def masked_crc32c(data):
    return mask(crc32c(data))
