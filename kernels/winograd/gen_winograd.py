#!/usr/bin/env python3
"""gen_winograd.py - the Winograd F(m x m, 3 x 3) matrices of vconv, derived
in exact rational arithmetic (fractions), and the C code of their 1-D
transforms.

  python3 kernels/winograd/gen_winograd.py > kernels/winograd/winograd-tables.h
      writes the generated header (stdlib only).
  /usr/bin/python3 kernels/winograd/gen_winograd.py --compare [--trials N]
      simulates each candidate point set in float32 with numpy and prints
      its error (how the points below were chosen; see the README).

Derivation (Toom-Cook; Lavin & Gray 2016, Barabasz et al. 2020). For
F(m, r) take alpha = m + r - 1 points: alpha - 1 finite points p_j and
infinity. The linear convolution s = h * g of a polynomial h of degree
m - 1 and g of degree r - 1 (s of degree alpha - 1) is computed exactly by
evaluating h and g at the points, multiplying, and interpolating:

    s = W [ (V_m h) . (V_r g) ]

V_m[j][i] = p_j^i (alpha x m) and V_r[j][k] = p_j^k (alpha x r); the row of
infinity holds the leading coefficient (0 ... 0 1). W is the interpolation:
s(x) = sum_j s(p_j) L_j(x) + s_inf M(x), with L_j the Lagrange basis of the
finite points and M(x) = prod_j (x - p_j) (zero at every finite point,
monic of degree alpha - 1), so column j of W holds the coefficients of L_j
and the last column those of M. The correlation y_i = sum_k g_k d_{i+k}
(what a convolution layer computes) is the transpose of d -> s, hence

    y = A^T [ (G g) . (B^T d) ],   A^T = V_m^T,  G = V_r,  B^T = W^T.

L_j = prod_{l != j} (x - p_l) / f_j with f_j = prod_{l != j} (p_j - p_l):
the 1 / f_j factors are moved from B^T into G (row j of G divided by f_j),
so B^T holds the coefficients of prod_{l != j} (x - p_l) and A^T plain
powers. Where a point is a fraction, its B^T row and its A^T column are
scaled by the smallest integer that clears their denominators (so every
entry of B^T and A^T is an exact integer in float arithmetic), G taking
the inverse scales. G is applied once, in double precision, at create, so
its awkward fractions (1/6, 16/45, ...) cost no accuracy at run time. The
2-D transforms are nested: V = B^T d B, U = G g G^T, Y = A^T (U . V) A.

Error: rounding in B^T d B and A^T M A is amplified by the size of the
matrix entries; large points (+-2, +-3 ...) make large powers in A^T and
large coefficients in B^T, small ones (+-1/2) the same in the other
matrix. --compare measures it; the chosen sets are in VARIANTS.
"""

import sys
from fractions import Fraction as Fr
from math import gcd

R = 3  # kernel size of the F(m x m, 3 x 3) variants (VARIANTS)

# The chosen points (finite ones; infinity is always the last point),
# from --compare (3000 tiles x 64 channels of N(0,1) in float32; error =
# |y - exact| / sum |x w|, max and RMS over outputs):
#   F(2x2): {0, +-1}                     max 7.9e-8  rms 1.7e-8 (the only
#           sensible choice; {0, +-1/2} is 3x worse)
#   F(4x4): {0, +-2/3, +-3/2}            max 4.6e-7  rms 5.3e-8
#           {0, +-3/4, +-4/3}            max 3.9e-7  rms 6.3e-8
#           {0, +-1/2, +-2}              max 7.6e-7  rms 7.5e-8
#           {0, +-1, +-2} (Lavin, oneDNN) max 1.9e-6  rms 1.2e-7
#           {0, +-2/3, +-3/2} kept: 2.2x lower RMS and 4x lower max error
#           than the usual points, for 18 + 12 operations a 1-D transform
#           instead of 13 + 10 (its constants are not powers of two)
#   F(6x6): {0, +-1, +-2, +-1/2}         max 3.3e-6  rms 2.5e-7
#           {0, +-1, +-1/2, +-5/2}       max 5.2e-6  rms 2.9e-7
#           {0, +-1, +-1/2, +-3/2}       max 3.3e-6  rms 3.3e-7
#           {0, +-1, +-2, +-2/3}         max 3.5e-6  rms 3.4e-7
#           ... (sets with 1/4, 3 or no +-1 are 4x to 60x worse)
VARIANTS = {
    2: [Fr(0), Fr(1), Fr(-1)],
    4: [Fr(0), Fr(2, 3), Fr(-2, 3), Fr(3, 2), Fr(-3, 2)],
    6: [Fr(0), Fr(1), Fr(-1), Fr(2), Fr(-2), Fr(1, 2), Fr(-1, 2)],
}

# The F(m x m, 5 x 5) variants (AlexNet conv2): each on the points of the
# 3x3 variant of the same alpha, so that B^T (which depends on the points
# only) and with it the input transform is that variant's, shared by the
# ISA files: F(2x2, 5x5) on F(4x4, 3x3)'s alpha = 6 points, F(4x4, 5x5) on
# F(6x6, 3x3)'s alpha = 8 ones. Only A^T (m rows) and G (r columns)
# differ. m -> the 3x3 variant whose points (and B^T) it takes.
VARIANTS_R5 = {2: 4, 4: 6}

# Candidates for --compare.
COMPARE_SETS = {
    4: [
        ("0,+-1,+-2", [0, 1, -1, 2, -2]),
        ("0,+-1,+-1/2", [0, 1, -1, Fr(1, 2), Fr(-1, 2)]),
        ("0,+-1,2,-1/2", [0, 1, -1, 2, Fr(-1, 2)]),
        ("0,+-1,1/2,-2", [0, 1, -1, Fr(1, 2), -2]),
        ("0,+-1,+-3", [0, 1, -1, 3, -3]),
        ("0,+-1,+-3/2", [0, 1, -1, Fr(3, 2), Fr(-3, 2)]),
        ("0,+-1/2,+-2", [0, Fr(1, 2), Fr(-1, 2), 2, -2]),
        ("0,+-1/2,+-3/2", [0, Fr(1, 2), Fr(-1, 2), Fr(3, 2), Fr(-3, 2)]),
        ("0,+-2/3,+-3/2", [0, Fr(2, 3), Fr(-2, 3), Fr(3, 2), Fr(-3, 2)]),
        ("0,+-1/2,+-1", [0, Fr(1, 2), Fr(-1, 2), 1, -1]),
        ("0,+-3/4,+-4/3", [0, Fr(3, 4), Fr(-3, 4), Fr(4, 3), Fr(-4, 3)]),
        ("0,+-2/3,+-2", [0, Fr(2, 3), Fr(-2, 3), 2, -2]),
        ("0,+-1/2,+-4/3", [0, Fr(1, 2), Fr(-1, 2), Fr(4, 3), Fr(-4, 3)]),
    ],
    6: [
        ("0,+-1,+-2,+-1/2", [0, 1, -1, 2, -2, Fr(1, 2), Fr(-1, 2)]),
        ("0,+-1,+-2,+-3", [0, 1, -1, 2, -2, 3, -3]),
        ("0,+-1,+-1/2,+-3/2", [0, 1, -1, Fr(1, 2), Fr(-1, 2), Fr(3, 2),
                               Fr(-3, 2)]),
        ("0,+-1,+-2,+-1/4", [0, 1, -1, 2, -2, Fr(1, 4), Fr(-1, 4)]),
        ("0,+-1,+-1/2,+-1/4", [0, 1, -1, Fr(1, 2), Fr(-1, 2), Fr(1, 4),
                               Fr(-1, 4)]),
        ("0,+-1,+-3/2,+-2/3", [0, 1, -1, Fr(3, 2), Fr(-3, 2), Fr(2, 3),
                               Fr(-2, 3)]),
        ("0,+-1,+-2,+-3/2", [0, 1, -1, 2, -2, Fr(3, 2), Fr(-3, 2)]),
        ("0,+-1/2,+-2,+-3/2", [0, Fr(1, 2), Fr(-1, 2), 2, -2, Fr(3, 2),
                               Fr(-3, 2)]),
        ("0,+-1/2,+-2,+-2/3", [0, Fr(1, 2), Fr(-1, 2), 2, -2, Fr(2, 3),
                               Fr(-2, 3)]),
        ("0,+-1,+-2,+-2/3", [0, 1, -1, 2, -2, Fr(2, 3), Fr(-2, 3)]),
        ("0,+-2/3,+-3/2,+-1/2", [0, Fr(2, 3), Fr(-2, 3), Fr(3, 2),
                                 Fr(-3, 2), Fr(1, 2), Fr(-1, 2)]),
        ("0,+-2/3,+-3/2,+-2", [0, Fr(2, 3), Fr(-2, 3), Fr(3, 2),
                               Fr(-3, 2), 2, -2]),
        ("0,+-1,+-2/3,+-2", [0, 1, -1, Fr(2, 3), Fr(-2, 3), 2, -2]),
        ("0,+-1,+-3/4,+-2", [0, 1, -1, Fr(3, 4), Fr(-3, 4), 2, -2]),
        ("0,+-1,+-1/2,+-5/2", [0, 1, -1, Fr(1, 2), Fr(-1, 2), Fr(5, 2),
                               Fr(-5, 2)]),
    ],
    2: [
        ("0,+-1", [0, 1, -1]),
        ("0,1,2", [0, 1, 2]),
        ("0,+-1/2", [0, Fr(1, 2), Fr(-1, 2)]),
    ],
}


# ------------------------------------------------------------ polynomials

def poly_mul(a, b):
    r = [Fr(0)] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            r[i + j] += x * y
    return r


def poly_from_roots(roots):
    """Coefficients (ascending powers) of prod (x - r)."""
    p = [Fr(1)]
    for r in roots:
        p = poly_mul(p, [-Fr(r), Fr(1)])
    return p


def clear_denominators(vals):
    """The smallest positive integer that makes every value an integer
    (the LCM of the denominators): a B^T row or an A^T column scaled by it
    has exact integer entries, and G (applied in double at create) takes
    the inverse."""
    s = 1
    for x in vals:
        d = Fr(x).denominator
        s = s * d // gcd(s, d)
    return Fr(s)


def matrices(m, points, R=R):
    """A^T (m x n), G (n x R), B^T (n x n) as lists of Fractions, n = m +
    R - 1 (R: the kernel size)."""
    pts = [Fr(p) for p in points]
    n = m + R - 1
    assert len(pts) == n - 1, (m, points)
    assert len(set(pts)) == len(pts), points
    AT = [[Fr(0)] * n for _ in range(m)]
    G = []
    BT = []
    for j in range(n - 1):
        col = [pts[j] ** i for i in range(m)]
        a = clear_denominators(col)  # A^T column j times a
        for i in range(m):
            AT[i][j] = col[i] * a
        others = [pts[l] for l in range(n - 1) if l != j]
        f = Fr(1)
        for q in others:
            f *= pts[j] - q
        row = poly_from_roots(others) + [Fr(0)]  # degree n - 2, padded
        b = clear_denominators(row)  # B^T row j times b
        BT.append([x * b for x in row])
        G.append([pts[j] ** k / (f * a * b) for k in range(R)])
    AT[m - 1][n - 1] = Fr(1)
    BT.append(poly_from_roots(pts))  # M(x): degree n - 1, monic
    BT[-1] = [x * clear_denominators(BT[-1]) for x in BT[-1]]
    G.append([Fr(1 if k == R - 1 else 0) / clear_denominators(
        poly_from_roots(pts)) for k in range(R)])
    return AT, G, BT


def check(m, AT, G, BT, R=R):
    """The identity y = A^T[(G g).(B^T d)] on the basis vectors, exactly."""
    n = m + R - 1
    for k in range(R):
        for t in range(n):
            # g = e_k, d = e_t: y_i = [t == i + k]
            for i in range(m):
                v = sum(AT[i][j] * G[j][k] * BT[j][t] for j in range(n))
                want = Fr(1 if t == i + k else 0)
                assert v == want, (m, i, k, t, v)


# ------------------------------------------------------ code generation

def cfloat(x):
    """A C float literal of an exact dyadic or small rational."""
    v = float(x)
    if Fr(v) == x:
        s = repr(v)
    else:
        s = "%.9g" % v
    if "e" not in s and "." not in s:
        s += ".0"
    return s + "f"


class Emitter:
    """Straight-line code for y = M x with M a small exact matrix: the
    operations of the includer's vector type (WT_ADD, WT_SUB, WT_MUL by a
    constant, WT_FMA(a, c, b) = a * c + b), temporaries declared as WT_T."""

    def __init__(self):
        self.lines = []
        self.ntmp = 0
        self.ops = 0

    def tmp(self):
        self.ntmp += 1
        return "t%d" % (self.ntmp - 1)

    def combo(self, terms, dest=None):
        """sum c * v over terms [(c, v)] into a new temporary (or dest):
        start from a term with c = 1 if there is one (no multiply), else
        from a multiply; then an add, a subtract or an FMA a term."""
        terms = [(c, v) for c, v in terms if c != 0]
        assert terms
        first = next((i for i, (c, _) in enumerate(terms) if c == 1), None)
        if first is None:
            first = next((i for i, (c, _) in enumerate(terms) if c != -1), 0)
        c0, v0 = terms.pop(first)
        if c0 == 1:
            expr = v0
        elif c0 == -1:
            expr = "WT_SUB(WT_ZERO, %s)" % v0
            self.ops += 1
        else:
            expr = "WT_MUL(%s, %s)" % (v0, cfloat(c0))
            self.ops += 1
        for c, v in terms:
            if c == 1:
                expr = "WT_ADD(%s, %s)" % (expr, v)
            elif c == -1:
                expr = "WT_SUB(%s, %s)" % (expr, v)
            else:
                expr = "WT_FMA(%s, %s, %s)" % (v, cfloat(c), expr)
            self.ops += 1
        if dest is None:
            t = self.tmp()
            self.lines.append("WT_T %s = %s;" % (t, expr))
            return t
        self.lines.append("%s = %s;" % (dest, expr))
        return dest

    def assign(self, dest, src):
        self.lines.append("%s = %s;" % (dest, src))


def gen_rows(M, inp, out, em):
    """y = M x where rows may come in +- pairs: row b = s * (-1)^k row a
    (the rows of B^T for points p and -p). A pair costs the even part E,
    the odd part O, then E + O and s (E - O)."""
    n_out, n_in = len(M), len(M[0])
    done = [False] * n_out
    for a in range(n_out):
        if done[a]:
            continue
        partner = None
        for b in range(a + 1, n_out):
            if done[b]:
                continue
            for s in (1, -1):
                if all(M[b][k] == s * (-1) ** k * M[a][k] for k in range(n_in)):
                    ev = [(M[a][k], inp(k)) for k in range(0, n_in, 2)
                          if M[a][k] != 0]
                    od = [(M[a][k], inp(k)) for k in range(1, n_in, 2)
                          if M[a][k] != 0]
                    if ev and od:
                        partner = (b, s)
                        break
            if partner:
                break
        if partner:
            b, s = partner
            ev = [(M[a][k], inp(k)) for k in range(0, n_in, 2)]
            od = [(M[a][k], inp(k)) for k in range(1, n_in, 2)]
            E = em.combo(ev)
            O = em.combo(od)
            em.assign(out(a), "WT_ADD(%s, %s)" % (E, O))
            if s == 1:
                em.assign(out(b), "WT_SUB(%s, %s)" % (E, O))
            else:
                em.assign(out(b), "WT_SUB(%s, %s)" % (O, E))
            em.ops += 2
            done[a] = done[b] = True
        else:
            terms = [(M[a][k], inp(k)) for k in range(n_in)]
            if sum(1 for c, _ in terms if c != 0) == 1 and \
                    [c for c, _ in terms if c != 0][0] == 1:
                em.assign(out(a), [v for c, v in terms if c != 0][0])
            else:
                em.combo(terms, dest=out(a))
            done[a] = True


def gen_cols(M, inp, out, em):
    """y = M x where columns may come in +- pairs: column b = (-1)^i
    column a (the columns of A^T for points p and -p): the pair is first
    reduced to S = x_a + x_b (even rows) and D = x_a - x_b (odd rows)."""
    n_out, n_in = len(M), len(M[0])
    used = [False] * n_in
    avail = {}  # column -> (even-row vector, odd-row vector)
    for a in range(n_in):
        if used[a]:
            continue
        for b in range(a + 1, n_in):
            if used[b]:
                continue
            if all(M[i][b] == (-1) ** i * M[i][a] for i in range(n_out)) and \
                    any(M[i][a] != 0 for i in range(n_out)):
                S = em.tmp()
                D = em.tmp()
                em.lines.append("WT_T %s = WT_ADD(%s, %s);" % (S, inp(a), inp(b)))
                em.lines.append("WT_T %s = WT_SUB(%s, %s);" % (D, inp(a), inp(b)))
                em.ops += 2
                avail[a] = (S, D)
                used[a] = used[b] = True
                break
    for i in range(n_out):
        terms = []
        for k in range(n_in):
            if k in avail:
                terms.append((M[i][k], avail[k][i % 2]))
            elif not used[k]:
                terms.append((M[i][k], inp(k)))
        em.combo(terms, dest=out(i))


def emit_variant(w, tag, m, r, pts, share):
    """The tables and 1-D transforms of F(m x m, r x r) on points pts, as
    WINO_<tag>_* and wino_<tag>_*; share: the tag of the variant whose B^T
    this one's equals (its BT_1D is that one's), or None."""
    n = m + r - 1
    AT, G, BT = matrices(m, pts, r)
    check(m, AT, G, BT, r)
    if share is not None:
        m0 = int(share[1:])
        assert matrices(m0, pts)[2] == BT, (tag, share)
    low = tag.lower()
    w("/* ------------------------------------------------ F(%dx%d, %dx%d),"
      " alpha = %d */\n\n" % (m, m, r, r, n))
    w("/* points: %s, infinity */\n" % ", ".join(str(p) for p in pts))
    w("#define WINO_%s_POINTS \"%s, inf\"\n" % (tag, ", ".join(str(p) for p in pts)))

    def table(name, M):
        w("/* %s exactly:\n" % name)
        for row in M:
            w(" *   [%s]\n" % ", ".join("%6s" % str(x) for x in row))
        w(" */\n")

    table("A^T (%dx%d)" % (m, n), AT)
    table("G (%dx%d)" % (n, r), G)
    if share is None:
        table("B^T (%dx%d)" % (n, n), BT)
    else:
        w("/* B^T (%dx%d): F(%sx%s, 3x3)'s (the same points) */\n" %
          (n, n, share[1:], share[1:]))
    for name, M in (("at", AT), ("g", G), ("bt", BT)):
        w("static const double wino_%s_%s[%d][%d] = {\n" % (low, name, len(M), len(M[0])))
        for row in M:
            w("    {%s},\n" % ", ".join(repr(float(x)) for x in row))
        w("};\n")
    w("\n")
    todo = (("AT", AT, gen_cols),)
    if share is None:
        todo = (("BT", BT, gen_rows),) + todo
    else:
        w("/* y = B^T x: F(%sx%s, 3x3)'s */\n#define WINO_%s_BT_1D() WINO_%s_BT_1D()\n\n"
          % (share[1:], share[1:], tag, share))
    for name, M, gen in todo:
        em = Emitter()
        gen(M, lambda k: "X(%d)" % k, lambda i: "Y(%d)" % i, em)
        w("/* %s: %d operations */\n" % ("y = B^T x" if name == "BT" else "y = A^T x", em.ops))
        w("#define WINO_%s_%s_1D() \\\n    do { \\\n" % (tag, name))
        for line in em.lines:
            w("        %s \\\n" % line)
        w("    } while (0)\n\n")


def gen_header(out):
    w = out.write
    w("/*\n * winograd-tables.h - GENERATED by kernels/winograd/gen_winograd.py;"
      " do not edit.\n *\n *   python3 kernels/winograd/gen_winograd.py >"
      " kernels/winograd/winograd-tables.h\n *\n")
    w(" * The matrices of F(m x m, 3 x 3) and F(m x m, 5 x 5) (points and\n"
      " * derivation: the generator's docstring) and the straight-line code of\n"
      " * their 1-D transforms. For each m (tag F<m>; F<m>R5 for 5 x 5):\n"
      " *   WINO_F<m>_POINTS       the finite points (infinity is the last)\n"
      " *   wino_f<m>_at, _g, _bt  A^T (m x alpha), G (alpha x r), B^T (alpha x\n"
      " *                          alpha) as exact doubles\n"
      " *   WINO_F<m>_BT_1D()      Y(j) = sum_i B^T[j][i] X(i), j < alpha\n"
      " *   WINO_F<m>_AT_1D()      Y(j) = sum_i A^T[j][i] X(i), j < m\n"
      " * The code macros are written in the includer's vector type and\n"
      " * operations, which it defines first: WT_T, WT_ADD(a, b), WT_SUB(a, b),\n"
      " * WT_MUL(a, c) = a * c, WT_FMA(a, c, b) = a * c + b (c a float\n"
      " * constant), WT_ZERO, and X(i), Y(j) for its inputs and outputs.\n"
      " * Everything here is static const data or a macro: safe to include\n"
      " * from files of any ISA.\n */\n")
    w("#ifndef VCONV_WINOGRAD_TABLES_H\n#define VCONV_WINOGRAD_TABLES_H\n\n")
    for m in sorted(VARIANTS):
        emit_variant(w, "F%d" % m, m, R, VARIANTS[m], None)
    for m in sorted(VARIANTS_R5):
        emit_variant(w, "F%dR5" % m, m, 5, VARIANTS[VARIANTS_R5[m]],
                     "F%d" % VARIANTS_R5[m])
    w("#endif\n")


# ------------------------------------------------------------ comparison

def compare(trials):
    import numpy as np
    rng = np.random.default_rng(1)
    ic = 64
    print("F(m x m, 3x3) in float32 (numpy), %d tiles x %d channels of N(0,1);"
          % (trials, ic))
    print("error = |y - exact| / sum|x w| per output: max and RMS over outputs\n")
    for m in sorted(COMPARE_SETS):
        n = m + R - 1
        print("F(%dx%d):" % (m, m))
        for label, pts in COMPARE_SETS[m]:
            AT, G, BT = matrices(m, [Fr(p) for p in pts])
            check(m, AT, G, BT)
            at = np.array([[float(x) for x in r] for r in AT])
            g_ = np.array([[float(x) for x in r] for r in G])
            bt = np.array([[float(x) for x in r] for r in BT])
            at32, bt32 = at.astype(np.float32), bt.astype(np.float32)
            worst, sq, cnt = 0.0, 0.0, 0
            for _ in range(trials):
                d = rng.standard_normal((ic, n, n))
                w = rng.standard_normal((ic, R, R))
                d32 = d.astype(np.float32)
                w32 = w.astype(np.float32)
                d64 = d32.astype(np.float64)
                w64 = w32.astype(np.float64)
                exact = np.zeros((m, m))
                mag = np.zeros((m, m))
                for i in range(m):
                    for j in range(m):
                        pr = d64[:, i:i + R, j:j + R] * w64
                        exact[i, j] = pr.sum()
                        mag[i, j] = np.abs(pr).sum()
                U = np.einsum("ab,cbd,ed->cae", g_, w64, g_).astype(np.float32)
                V = np.einsum("ab,cbd,ed->cae", bt32, d32, bt32,
                              dtype=np.float32)
                M = np.zeros((n, n), dtype=np.float32)
                for c in range(ic):
                    M = (M + U[c] * V[c]).astype(np.float32)
                Y = (at32 @ M @ at32.T).astype(np.float32)
                e = np.abs(Y.astype(np.float64) - exact) / mag
                worst = max(worst, e.max())
                sq += (e ** 2).sum()
                cnt += e.size
            print("  %-22s max %.3g  rms %.3g" % (label, worst, (sq / cnt) ** 0.5))
        print()


if __name__ == "__main__":
    if "--compare" in sys.argv:
        t = 2000
        if "--trials" in sys.argv:
            t = int(sys.argv[sys.argv.index("--trials") + 1])
        compare(t)
    else:
        gen_header(sys.stdout)
