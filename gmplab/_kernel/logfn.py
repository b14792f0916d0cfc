"""The kernel's natural logarithm: glibc's ``log`` written into the event loop.

Every exponential draw is ``-log(u)`` for a uniform ``u`` in (0, 1] (``rng.uniform_open``), two
per goroutine on the busy paths (its service time, the next arrival). Through libm, the log
was 9-10% of the `go` kernel's samples and about 16% of `central`'s (README, Speed).

``log_open`` is the same computation inline. It is a port of the algorithm glibc has used
since 2.28, from Arm's optimized-routines (Szabolcs Nagy; MIT licensed there): a 128-entry
table of (1/c, log c) around which a degree-5 polynomial corrects (``T``, ``A``), and a
degree-11 polynomial with a hi/lo split for inputs within about 1/16 of 1 (``B``). It follows
glibc 2.36's x86-64 FMA build (``__ieee754_log_fma``, the variant this machine's libm runs)
operation by operation: every fused multiply-add the compiler formed there is an explicit
``_fma`` here (LLVM's ``llvm.fma``, exact also where the hardware lacks FMA), every other
operation is a separate IEEE add or multiply in the same order (numba neither reassociates
nor contracts without ``fastmath``). The constants are that build's ``__log_data``, read
from the running library, bit for bit. So the kernel's draws, and every result, are what
libm's log gave (``tests/test_logfn.py`` compares the two bit for bit over random draws and
the edges of every branch; the golden results pin them).

Inlining it did not make the kernel faster in a way the paired runs could resolve: no change
for `go`, 1.5 to 4% for `central` (README, Speed: the sixth pass). The time was the
computation, a chain of dependent operations, not the call. It is kept because the draws'
logarithms no longer depend on which libm, or which variant of it, a machine loads (the
lognormal draw's ``exp`` and ``cos`` still do).

Since the seventh pass (README, Speed) the exponential draws do not call it at the draw: the
generator's buffer (rng.py) computes 64 logs at a time, by ``log_table`` (the main branch on
its own, without a branch, so the fill's loop vectorises) and by ``log_open`` for the few
within 1/16 of 1. ``log_open`` at the draw is left to the lognormal draw and to the
generator with its buffer switched off.

Only the two branches a log of ``u`` in (0, 1] can take are ported (a normal positive
double, near 1 or not); anything else (0, a negative number, a subnormal, infinity, NaN)
goes to libm's log unchanged.
"""

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from .jit import hot_helper


@intrinsic
def _fma(typingctx, a, b, c):
    """a * b + c with one rounding (LLVM's llvm.fma: vfmadd on x86-64 with FMA, else libm's
    exact fma)."""
    if not all(isinstance(v, types.Float) and v.bitwidth == 64 for v in (a, b, c)):
        return None
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        d = ir.DoubleType()
        fn = builder.module.declare_intrinsic("llvm.fma", [d], ir.FunctionType(d, [d, d, d]))
        return builder.call(fn, args)

    return sig, codegen


@intrinsic
def _bits(typingctx, x):
    """The IEEE bits of a float64 as a uint64 (asuint64)."""
    if not (isinstance(x, types.Float) and x.bitwidth == 64):
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.uint64(types.float64), codegen


@intrinsic
def _from_bits(typingctx, u):
    """The float64 with the given IEEE bits (asdouble)."""
    if not isinstance(u, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.uint64), codegen


def _f(bits: int) -> float:
    return float(np.array([bits], dtype=np.uint64).view(np.float64)[0])


# __log_data of glibc 2.36 (x86-64), bit for bit
LN2HI = _f(0x3FE62E42FEFA3800)  # ln 2, the high part (its low bits zero, so k * LN2HI is exact)
LN2LO = _f(0x3D2EF35793C76730)  # ln 2 - LN2HI
# the polynomial for log(1 + r), |r| < about 1/256, after the table's reduction
A0 = _f(0xBFE0000000000001)
A1 = _f(0x3FD555555551305B)
A2 = _f(0xBFCFFFFFFFEB4590)
A3 = _f(0x3FC999B324F10111)
A4 = _f(0xBFC55575E506C89F)
# the polynomial for log(x) with x within about 1/16 of 1 (B0 = -0.5)
B0 = _f(0xBFE0000000000000)
B1 = _f(0x3FD5555555555577)
B2 = _f(0xBFCFFFFFFFFFFDCB)
B3 = _f(0x3FC999999995DD0C)
B4 = _f(0xBFC55555556745A7)
B5 = _f(0x3FC24924A344DE30)
B6 = _f(0xBFBFFFFFA4423D65)
B7 = _f(0x3FBC7184282AD6CA)
B8 = _f(0xBFB999EB43B068FF)
B9 = _f(0x3FB78182F7AFD085)
B10 = _f(0xBFB5521375D145CD)
TWO_POW_27 = 134217728.0  # splits r into a high part of 26 bits and the rest (r * 2**27 is exact)

# T[2 i] = 1/c and T[2 i + 1] = log(c) for the i-th of 128 subintervals of [0x1.6p-1, 0x1.6p0)
# fmt: off
T = np.array([
    0x3ff734f0c3e0de9f, 0xbfd7cc7f79e69000, 0x3ff713786a2ce91f, 0xbfd76feec20d0000,
    0x3ff6f26008fab5a0, 0xbfd713e31351e000, 0x3ff6d1a61f138c7d, 0xbfd6b85b38287800,
    0x3ff6b1490bc5b4d1, 0xbfd65d5590807800, 0x3ff69147332f0cba, 0xbfd602d076180000,
    0x3ff6719f18224223, 0xbfd5a8ca86909000, 0x3ff6524f99a51ed9, 0xbfd54f4356035000,
    0x3ff63356aa8f24c4, 0xbfd4f637c36b4000, 0x3ff614b36b9ddc14, 0xbfd49da7fda85000,
    0x3ff5f66452c65c4c, 0xbfd445923989a800, 0x3ff5d867b5912c4f, 0xbfd3edf439b0b800,
    0x3ff5babccb5b90de, 0xbfd396ce448f7000, 0x3ff59d61f2d91a78, 0xbfd3401e17bda000,
    0x3ff5805612465687, 0xbfd2e9e2ef468000, 0x3ff56397cee76bd3, 0xbfd2941b3830e000,
    0x3ff54725e2a77f93, 0xbfd23ec58cda8800, 0x3ff52aff42064583, 0xbfd1e9e129279000,
    0x3ff50f22dbb2bddf, 0xbfd1956d2b48f800, 0x3ff4f38f4734ded7, 0xbfd141679ab9f800,
    0x3ff4d843cfde2840, 0xbfd0edd094ef9800, 0x3ff4bd3ec078a3c8, 0xbfd09aa518db1000,
    0x3ff4a27fc3e0258a, 0xbfd047e65263b800, 0x3ff4880524d48434, 0xbfcfeb224586f000,
    0x3ff46dce1b192d0b, 0xbfcf474a7517b000, 0x3ff453d9d3391854, 0xbfcea4443d103000,
    0x3ff43a2744b4845a, 0xbfce020d44e9b000, 0x3ff420b54115f8fb, 0xbfcd60a22977f000,
    0x3ff40782da3ef4b1, 0xbfccc00104959000, 0x3ff3ee8f5d57fe8f, 0xbfcc202956891000,
    0x3ff3d5d9a00b4ce9, 0xbfcb81178d811000, 0x3ff3bd60c010c12b, 0xbfcae2c9ccd3d000,
    0x3ff3a5242b75dab8, 0xbfca45402e129000, 0x3ff38d22cd9fd002, 0xbfc9a877681df000,
    0x3ff3755bc5847a1c, 0xbfc90c6d69483000, 0x3ff35dce49ad36e2, 0xbfc87120a645c000,
    0x3ff34679984dd440, 0xbfc7d68fb4143000, 0x3ff32f5cceffcb24, 0xbfc73cb83c627000,
    0x3ff3187775a10d49, 0xbfc6a39a9b376000, 0x3ff301c8373e3990, 0xbfc60b3154b7a000,
    0x3ff2eb4ebb95f841, 0xbfc5737d76243000, 0x3ff2d50a0219a9d1, 0xbfc4dc7b8fc23000,
    0x3ff2bef9a8b7fd2a, 0xbfc4462c51d20000, 0x3ff2a91c7a0c1bab, 0xbfc3b08abc830000,
    0x3ff293726014b530, 0xbfc31b996b490000, 0x3ff27dfa5757a1f5, 0xbfc2875490a44000,
    0x3ff268b39b1d3bbf, 0xbfc1f3b9f879a000, 0x3ff2539d838ff5bd, 0xbfc160c8252ca000,
    0x3ff23eb7aac9083b, 0xbfc0ce7f57f72000, 0x3ff22a012ba940b6, 0xbfc03cdc49fea000,
    0x3ff2157996cc4132, 0xbfbf57bdbc4b8000, 0x3ff201201dd2fc9b, 0xbfbe370896404000,
    0x3ff1ecf4494d480b, 0xbfbd17983ef94000, 0x3ff1d8f5528f6569, 0xbfbbf9674ed8a000,
    0x3ff1c52311577e7c, 0xbfbadc79202f6000, 0x3ff1b17c74cb26e9, 0xbfb9c0c3e7288000,
    0x3ff19e010c2c1ab6, 0xbfb8a646b372c000, 0x3ff18ab07bb670bd, 0xbfb78d01b3ac0000,
    0x3ff1778a25efbcb6, 0xbfb674f145380000, 0x3ff1648d354c31da, 0xbfb55e0e6d878000,
    0x3ff151b990275fdd, 0xbfb4485cdea1e000, 0x3ff13f0ea432d24c, 0xbfb333d94d6aa000,
    0x3ff12c8b7210f9da, 0xbfb22079f8c56000, 0x3ff11a3028ecb531, 0xbfb10e4698622000,
    0x3ff107fbda8434af, 0xbfaffa6c6ad20000, 0x3ff0f5ee0f4e6bb3, 0xbfadda8d4a774000,
    0x3ff0e4065d2a9fce, 0xbfabbcece4850000, 0x3ff0d244632ca521, 0xbfa9a1894012c000,
    0x3ff0c0a77ce2981a, 0xbfa788583302c000, 0x3ff0af2f83c636d1, 0xbfa5715e67d68000,
    0x3ff09ddb98a01339, 0xbfa35c8a49658000, 0x3ff08cabaf52e7df, 0xbfa149e364154000,
    0x3ff07b9f2f4e28fb, 0xbf9e72c082eb8000, 0x3ff06ab58c358f19, 0xbf9a55f152528000,
    0x3ff059eea5ecf92c, 0xbf963d62cf818000, 0x3ff04949cdd12c90, 0xbf9228fb8caa0000,
    0x3ff038c6c6f0ada9, 0xbf8c317b20f90000, 0x3ff02865137932a9, 0xbf8419355daa0000,
    0x3ff0182427ea7348, 0xbf781203c2ec0000, 0x3ff008040614b195, 0xbf60040979240000,
    0x3fefe01ff726fa1a, 0x3f6feff384900000, 0x3fefa11cc261ea74, 0x3f87dc41353d0000,
    0x3fef6310b081992e, 0x3f93cea3c4c28000, 0x3fef25f63ceeadcd, 0x3f9b9fc114890000,
    0x3feee9c8039113e7, 0x3fa1b0d8ce110000, 0x3feeae8078cbb1ab, 0x3fa58a5bd001c000,
    0x3fee741aa29d0c9b, 0x3fa95c8340d88000, 0x3fee3a91830a99b5, 0x3fad276aef578000,
    0x3fee01e009609a56, 0x3fb07598e598c000, 0x3fedca01e577bb98, 0x3fb253f5e30d2000,
    0x3fed92f20b7c9103, 0x3fb42edd8b380000, 0x3fed5cac66fb5cce, 0x3fb606598757c000,
    0x3fed272caa5ede9d, 0x3fb7da76356a0000, 0x3fecf26e3e6b2ccd, 0x3fb9ab434e1c6000,
    0x3fecbe6da2a77902, 0x3fbb78c7bb0d6000, 0x3fec8b266d37086d, 0x3fbd431332e72000,
    0x3fec5894bd5d5804, 0x3fbf0a3171de6000, 0x3fec26b533bb9f8c, 0x3fc067152b914000,
    0x3febf583eeece73f, 0x3fc147858292b000, 0x3febc4fd75db96c1, 0x3fc2266ecdca3000,
    0x3feb951e0c864a28, 0x3fc303d7a6c55000, 0x3feb65e2c5ef3e2c, 0x3fc3dfc33c331000,
    0x3feb374867c9888b, 0x3fc4ba366b7a8000, 0x3feb094b211d304a, 0x3fc5933928d1f000,
    0x3feadbe885f2ef7e, 0x3fc66acd2418f000, 0x3feaaf1d31603da2, 0x3fc740f8ec669000,
    0x3fea82e63fd358a7, 0x3fc815c0f51af000, 0x3fea5740ef09738b, 0x3fc8e92954f68000,
    0x3fea2c2a90ab4b27, 0x3fc9bb3602f84000, 0x3fea01a01393f2d1, 0x3fca8bed1c2c0000,
    0x3fe9d79f24db3c1b, 0x3fcb5b515c01d000, 0x3fe9ae2505c7b190, 0x3fcc2967ccbcc000,
    0x3fe9852ef297ce2f, 0x3fccf635d5486000, 0x3fe95cbaeea44b75, 0x3fcdc1bd3446c000,
    0x3fe934c69de74838, 0x3fce8c01b8cfe000, 0x3fe90d4f2f6752e6, 0x3fcf5509c0179000,
    0x3fe8e6528effd79d, 0x3fd00e6c121fb800, 0x3fe8bfce9fcc007c, 0x3fd071b80e93d000,
    0x3fe899c0dabec30e, 0x3fd0d46b9e867000, 0x3fe87427aa2317fb, 0x3fd13687334bd000,
    0x3fe84f00acb39a08, 0x3fd1980d67234800, 0x3fe82a49e8653e55, 0x3fd1f8ffe0cc8000,
    0x3fe8060195f40260, 0x3fd2595fd7636800, 0x3fe7e22563e0a329, 0x3fd2b9300914a800,
    0x3fe7beb377dcb5ad, 0x3fd3187210436000, 0x3fe79baa679725c2, 0x3fd377266dec1800,
    0x3fe77907f2170657, 0x3fd3d54ffbaf3000, 0x3fe756cadbd6130c, 0x3fd432eee32fe000,
], dtype=np.uint64).view(np.float64).copy()
# fmt: on

ONE_BITS = np.uint64(0x3FF0000000000000)
NEAR1_LO = np.uint64(0x3FEE000000000000)  # the bits of 1 - 2**-4
NEAR1_SPAN = np.uint64(0x3090000000000)  # bits(1 + 0x1.09p-4) - bits(1 - 2**-4)
OFF = np.uint64(0x3FE6000000000000)  # the bits of 0x1.6p-1: the table's reduction starts here


@hot_helper
def log_open(x):
    """log(x), bit for bit what glibc 2.36's FMA build of ``log`` returns (module docstring).
    Written for x in (0, 1], the uniform draws; any x is answered (libm's log for the rest)."""
    ix = _bits(x)
    if ix - NEAR1_LO < NEAR1_SPAN:
        # x within about 1/16 of 1: log(1 + r) by the long polynomial, its leading terms
        # r - r * r / 2 kept in two parts (hi, lo) so the small r loses nothing
        if ix == ONE_BITS:
            return 0.0
        r = x - 1.0
        r2 = r * r
        r3 = r * r2
        pa = _fma(r2, B3, _fma(r, B2, B1))
        pb = _fma(r2, B6, _fma(r, B5, B4))
        pc = _fma(r3, B10, _fma(r2, B9, _fma(r, B8, B7)))
        p = _fma(_fma(pc, r3, pb), r3, pa)
        t = _fma(r, TWO_POW_27, r)
        rhi = _fma(-TWO_POW_27, r, t)  # r rounded to its high 26 bits
        rlo = r - rhi
        rhi2 = rhi * rhi
        hi = _fma(rhi2, B0, r)
        lo = _fma(rhi2, B0, r - hi)
        lo = _fma(B0 * rlo, r + rhi, lo)
        return hi + _fma(p, r3, lo)
    if (ix >> np.uint64(48)) - np.uint64(0x10) >= np.uint64(0x7FE0):
        return np.log(x)  # zero, negative, subnormal, infinity or NaN: libm's answer
    return log_table(x)


@hot_helper
def log_table(x):
    """log_open's main branch alone: x a normal positive double not within about 1/16 of 1.
    Without a branch, so a loop of independent calls vectorises (rng.py's buffer fill)."""
    # x = 2**k z with z in [0x1.6p-1, 0x1.6p0); z = c (1 + r) with c the table's point near z
    ix = _bits(x)
    tmp = ix - OFF
    i = (tmp >> np.uint64(45)) & np.uint64(127)
    z = _from_bits(ix - (tmp & np.uint64(0xFFF0000000000000)))
    invc = T[np.uint64(2) * i]
    logc = T[np.uint64(2) * i + np.uint64(1)]
    # k (|k| < 1100) by way of int32, whose conversion to double has a vector instruction
    kd = np.float64(np.int32(np.int64(tmp) >> np.int64(52)))
    r = _fma(z, invc, -1.0)
    w = _fma(kd, LN2HI, logc)
    hi = w + r
    lo = _fma(kd, LN2LO, (w - hi) + r)
    r2 = r * r
    r3 = r * r2
    q = _fma(_fma(r, A4, A3), r2, _fma(r, A2, A1))
    return _fma(r3, q, _fma(r2, A0, lo)) + hi
