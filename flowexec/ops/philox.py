"""TF's Philox4x32-10 stream on host Python ints: what TF's CPU kernels that draw with
GuardedPhiloxRandom (FractionalMaxPool/AvgPool, SampleDistortedBoundingBoxV2) see for the
same (seed, seed2), so their draws are TF's bit for bit."""

import os

_M32 = 0xFFFFFFFF
_U128 = 1 << 128


class Philox:
    """TF's GuardedPhiloxRandom over PhiloxRandom(seed, seed2): key from `seed`, counter's
    high 64 bits from `seed2`; `reserve32(n)` hands out a copy and skips ceil(n / 4) blocks."""

    def __init__(self, seed, seed2):
        if seed == 0 and seed2 == 0:
            seed, seed2 = (int.from_bytes(os.urandom(8), "little") for _ in range(2))
        seed &= (1 << 64) - 1
        seed2 &= (1 << 64) - 1
        self.key = (seed & _M32, seed >> 32)
        self.counter = seed2 << 64

    def _block(self, counter):
        c = [(counter >> (32 * i)) & _M32 for i in range(4)]
        k0, k1 = self.key
        for _ in range(10):
            p0, p1 = 0xD2511F53 * c[0], 0xCD9E8D57 * c[2]
            c = [((p1 >> 32) ^ c[1] ^ k0) & _M32, p1 & _M32,
                 ((p0 >> 32) ^ c[3] ^ k1) & _M32, p0 & _M32]
            k0, k1 = (k0 + 0x9E3779B9) & _M32, (k1 + 0xBB67AE85) & _M32
        return c

    def reserve32(self, n):
        start = self.counter
        self.counter = (self.counter + (n + 3) // 4) % _U128

        def samples():
            ctr = start
            while True:
                yield from self._block(ctr)
                ctr = (ctr + 1) % _U128
        return samples()
