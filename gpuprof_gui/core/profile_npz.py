"""A profile as numpy columns in one ``.npz``: the convert worker's hand-off to the window.

The same content as our JSON format (:mod:`gpuprof_gui.core.serialize`), but
the big numeric columns -- the call tree and the functions' numbers -- travel
as raw ``.npy`` members instead of JSON text. For a 20,000-function cProfile
dump (84,000 tree nodes) that is 3.6 MB written in about 15 ms and read in
about 40 ms, against 7.7 MB of JSON taking 0.6 s to write and 0.3 s to read
(benchmarks/open_big_profile.py).

The reader trusts nothing: members load with ``allow_pickle=False``, each
must have the dtype its column needs, and the rest is checked by the same
code that checks a JSON profile (:func:`serialize.profile_from_dict`), so a
misbehaving worker can make loading fail but not crash the window.
"""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np

from gpuprof_gui.core.importers.errors import ProfileFormatError
from gpuprof_gui.core.model import Profile
from gpuprof_gui.core.serialize import _OPTIONAL_TREE_COLUMNS, _TREE_COLUMNS, profile_from_dict, profile_to_dict

SUFFIX = ".npz"

_META = "meta"  # member holding the JSON form, less the columns stored as arrays
_FUNC_PREFIX = "functions."
_TREE_PREFIX = "tree."
_TREE_DTYPES = {**_TREE_COLUMNS, **_OPTIONAL_TREE_COLUMNS}
# Function columns become arrays only where every value has one Python type,
# so the round trip gives back the same values *and* the same types (a None,
# or an int among floats, keeps the column in the JSON part).
_FUNC_DTYPES = {float: np.dtype(np.float64), int: np.dtype(np.int64)}


def dump_profile_npz(profile: Profile, path: str | os.PathLike) -> None:
    """Write ``profile`` to ``path`` (a hand-off file: not atomic, not fsynced)."""
    obj = profile_to_dict(profile)
    obj["tree"] = {}  # the columns go below, as arrays
    arrays: dict[str, np.ndarray] = {}
    for name, values in list(obj["functions"].items()):
        column = _homogeneous_column(values)
        if column is not None:
            arrays[_FUNC_PREFIX + name] = column
            del obj["functions"][name]
    tree = profile.tree
    for name in _TREE_DTYPES:
        column = getattr(tree, name)
        if column is not None:
            arrays[_TREE_PREFIX + name] = np.ascontiguousarray(column, dtype=_TREE_DTYPES[name])
    arrays[_META] = np.frombuffer(json.dumps(obj, separators=(",", ":")).encode(), dtype=np.uint8)
    with open(path, "wb") as fh:
        # numpy 2's stubs let **arrays fill savez's allow_pickle: bool too; no key here is that name.
        np.savez(fh, **arrays)  # type: ignore[arg-type]


def _homogeneous_column(values: list) -> np.ndarray | None:
    kinds = {type(v) for v in values}
    if len(kinds) != 1:
        return None
    dtype = _FUNC_DTYPES.get(kinds.pop())  # bool, str and None are not in the table
    if dtype is None:
        return None
    try:
        return np.asarray(values, dtype=dtype)
    except OverflowError:  # an int beyond int64 stays in the JSON part
        return None


def load_profile_npz(path: str | os.PathLike) -> Profile:
    """Read a file written by :func:`dump_profile_npz`; ProfileFormatError if it is not one."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            members = {name: npz[name] for name in npz.files}
    except (OSError, ValueError, EOFError, MemoryError, zipfile.BadZipFile) as exc:
        raise ProfileFormatError(f"The converted profile cannot be read ({exc}).") from exc
    meta = members.pop(_META, None)
    if meta is None or meta.dtype != np.uint8 or meta.ndim != 1:
        raise ProfileFormatError("The converted profile is damaged (no description).")
    try:
        obj = json.loads(meta.tobytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProfileFormatError(f"The converted profile is damaged ({exc}).") from exc
    if not isinstance(obj, dict) or not isinstance(obj.get("functions"), dict):
        raise ProfileFormatError("The converted profile is damaged (no function table).")
    tree = obj.setdefault("tree", {})
    if not isinstance(tree, dict):
        raise ProfileFormatError("The converted profile is damaged (no call tree).")
    for key, column in members.items():
        if key.startswith(_FUNC_PREFIX) and column.ndim == 1 and column.dtype in _FUNC_DTYPES.values():
            obj["functions"][key[len(_FUNC_PREFIX) :]] = column.tolist()
        elif (
            key.startswith(_TREE_PREFIX)
            and column.ndim == 1
            and column.dtype == _TREE_DTYPES.get(key[len(_TREE_PREFIX) :])
        ):
            tree[key[len(_TREE_PREFIX) :]] = column
        else:
            raise ProfileFormatError(f"The converted profile is damaged (unexpected column {key!r}).")
    return profile_from_dict(obj)
