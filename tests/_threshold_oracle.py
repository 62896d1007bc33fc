"""An oracle for threshold tasks that shares nothing with handnets' tables, proof or enumeration.

Outputs are computed from the operands with Python integers (a + b, a - b, a > b on the low bits,
popcount, 3a); validity from the numbers; networks are run by ``brute_force`` with Fractions,
step by step from the weights, written here again.
"""

from __future__ import annotations

import itertools
from fractions import Fraction


def oracle_outputs(name: str, operands: tuple[int, ...], n: int) -> list[int]:
    a = operands[0]
    b = operands[1] if len(operands) > 1 else 0
    if name == "add":
        value = a + b
        return [(value >> t) & 1 for t in range(n)]
    if name == "subtract":
        value = (a - b) % (1 << n)  # the bits a borrowing subtractor writes, whatever the sign
        return [(value >> t) & 1 for t in range(n)]
    if name == "compare":
        return [int(a % (1 << (t + 1)) > b % (1 << (t + 1))) for t in range(n)]
    if name == "parity":
        return [bin(a % (1 << (t + 1))).count("1") % 2 for t in range(n)]
    if name == "times3":
        return [((3 * a) >> t) & 1 for t in range(n)]
    raise AssertionError(name)


def oracle_valid(name: str, operands: tuple[int, ...], n: int) -> bool:
    top = [(v >> (n - 1)) & 1 for v in operands]
    if name == "add":
        return not any(top)
    if name == "subtract":
        return not any(top) and operands[0] >= operands[1]
    if name == "times3":
        return n >= 2 and (operands[0] >> (n - 2)) == 0
    return True


def words(inputs: int, n: int):
    """Every word of n symbols, each symbol a tuple of ``inputs`` bits."""
    for bits in itertools.product((0, 1), repeat=inputs * n):
        yield [tuple(bits[t * inputs + i] for i in range(inputs)) for t in range(n)]


def operands_of(word) -> tuple[int, ...]:
    return tuple(sum(symbol[i] << t for t, symbol in enumerate(word)) for i in range(len(word[0])))


def run(net, word) -> list[tuple[int, ...]]:
    """The network's outputs over a word, from its weights, in Fractions."""
    ge = net.threshold == "ge"
    fire = (lambda z: int(z >= 0)) if ge else (lambda z: int(z > 0))
    h = list(net.h0)
    out = []
    for x in word:
        h = [fire(sum((w * xi for w, xi in zip(wx, x)), Fraction(0)) + sum((w * hi for w, hi in zip(wh, h)), Fraction(0)) + b)
             for wx, wh, b in zip(net.W_xh, net.W_hh, net.b_h)]
        out.append(tuple(fire(sum((w * hi for w, hi in zip(wy, h)), Fraction(0)) + b) for wy, b in zip(net.W_hy, net.b_y)))
    return out


def brute_force(net, name: str, longest: int):
    """Per length n: (valid words, wrong valid words, right output digits, the shortest wrong word's length)."""
    rows = []
    for n in range(1, longest + 1):
        valid = wrong = right = 0
        for word in words(net.inputs, n):
            ops = operands_of(word)
            if not oracle_valid(name, ops, n):
                continue
            valid += 1
            got = [y[0] for y in run(net, word)]
            expected = oracle_outputs(name, ops, n)
            right += sum(g == e for g, e in zip(got, expected))
            wrong += got != expected
        rows.append((n, valid, wrong, right))
    return rows
