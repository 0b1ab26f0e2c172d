"""Reading TF's recorded fixtures stored as one .npz per op family: keys "case/field" hold
the per-case arrays, keys without a "/" arrays shared by every case."""

import numpy as np


def load_npz_cases(path):
    """`(top, cases)` of the .npz at `path`: `top` maps the keys without a "/" to their arrays,
    `cases` maps each case name to its `{field: array}`."""
    with np.load(path) as z:
        top, cases = {}, {}
        for key in z.files:
            if "/" not in key:
                top[key] = z[key]
                continue
            case, field = key.split("/", 1)
            cases.setdefault(case, {})[field] = z[key]
    return top, cases
