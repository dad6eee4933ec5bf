"""HELP's per-device NB201 latency files (torch zip archives of plain lists) and the flat latency CSV."""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nasbench_lab.errors import DataFileError
from nasbench_lab.loaders import help_latency as H
from nasbench_lab.spaces.nb201 import NB201Space
from tests.conftest import shared_file

N = H.N_ARCHS


def torch_zip(path: Path, payload: bytes, root: str = "archive") -> Path:
    """A file laid out like torch.save's zip format: <root>/data.pkl and <root>/version."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{root}/data.pkl", payload)
        archive.writestr(f"{root}/version", b"3\n")
    return path


def save(path: Path, obj: object, root: str = "archive") -> Path:
    return torch_zip(path, pickle.dumps(obj, protocol=2), root)


@pytest.fixture(scope="module")
def strings() -> list[str]:
    space = NB201Space()
    return space.strings(space.all())


@pytest.fixture
def help_folder(tmp_path, strings):
    """A HELP-like folder whose lists are in a shuffled order given by its str_arch2idx."""
    position = np.random.default_rng(0).permutation(N)  # official index i is at list position position[i]
    save(tmp_path / H.INDEX_FILE, {s: int(position[i]) for i, s in enumerate(strings)})
    values = np.empty(N)
    values[position] = np.arange(N) / 10.0  # latency of official cell i: i / 10 ms
    save(tmp_path / "gold_6226.pt", values.tolist())
    save(tmp_path / "pixel2.pt", [int(v) for v in values], root="pixel2")  # whole ms as ints, another root
    return tmp_path


def test_folder_maps_help_positions_to_official_indices(help_folder):
    got = H.read_help_folder(help_folder)
    assert list(got) == ["gold_6226", "pixel2"]
    np.testing.assert_array_equal(got["gold_6226"], np.arange(N) / 10.0)
    np.testing.assert_array_equal(got["pixel2"], np.floor(np.arange(N) / 10.0))
    assert got["gold_6226"].dtype == np.float64
    assert list(H.read_help_folder(help_folder, devices=["pixel2"])) == ["pixel2"]
    assert H.metric_name("gold_6226") == "latency_gold_6226" and H.UNIT == "ms"


class Evil:
    """Unpickling this would run a shell command."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class StoragePickler(pickle.Pickler):
    """Writes a persistent id, as torch.save does for tensor storages."""

    def persistent_id(self, obj):
        return ("storage", "0") if obj == "TENSOR" else None


def storage_pickle() -> bytes:
    buf = io.BytesIO()
    StoragePickler(buf, protocol=2).dump([1.0, "TENSOR"])
    return buf.getvalue()


@pytest.mark.parametrize("make, match", [
    (lambda p: save(p, [Evil(p.with_suffix(".pwned"))]), r"asks for (posix|nt|os)\.system.*plain lists"),
    (lambda p: save(p, np.float64(1.0)), r"asks for numpy"),
    (lambda p: torch_zip(p, storage_pickle()), "holds a tensor storage"),
    (lambda p: p.write_bytes(save(p, [1.0] * N).read_bytes()[:500]), "not a readable torch zip archive"),
    (lambda p: torch_zip(p, pickle.dumps([1.0] * N, protocol=2)[:300]), "truncated or corrupted pickle"),
    (lambda p: save(p, [1.0] * 10), f"expected a list of {N} latencies, got a list of 10"),
    (lambda p: save(p, {"a": 1.0}), f"expected a list of {N} latencies, got a dict of 1"),
    (lambda p: save(p, ["1.0"] * N), "latencies must be numbers, found str"),
    (lambda p: save(p, [1.0] * (N - 1) + [float("nan")]), f"latency at position {N - 1} is nan"),
    (lambda p: p.write_bytes(b"not a zip"), "not a readable torch zip archive"),
    (lambda p: p, "file not found"),
    (lambda p: zipfile.ZipFile(p, "w").close(), r"expected one <root>/data.pkl .* found \[\]"),
])
def test_bad_device_file_is_one_line_error_naming_it(tmp_path, make, match):
    path = tmp_path / "dev.pt"
    make(path)
    with pytest.raises(DataFileError, match=match) as err:
        H.read_help_file(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value)
    assert not path.with_suffix(".pwned").exists()  # the malicious pickle's command never ran


def test_bad_index_file(tmp_path, strings):
    path = tmp_path / H.INDEX_FILE
    save(path, {s: 0 for s in strings})
    with pytest.raises(DataFileError, match="positions repeat"):
        H.read_help_index(path)
    save(path, {**{s: i for i, s in enumerate(strings[:-1])}, "|conv~0|+|x~0|y~1|+|a~0|b~1|c~2|": N - 1})
    with pytest.raises(DataFileError, match="unknown op 'conv'"):
        H.read_help_index(path)
    save(path, [0] * N)
    with pytest.raises(DataFileError, match=f"expected a dict of {N} architecture strings"):
        H.read_help_index(path)


def test_bad_folder(tmp_path, help_folder):
    with pytest.raises(DataFileError, match="no str_arch2idx.pt"):
        H.read_help_folder(tmp_path / "empty")
    with pytest.raises(DataFileError, match="no latency file for fpga; found: gold_6226, pixel2"):
        H.read_help_folder(help_folder, devices=["fpga"])


def write_csv(path: Path, strings: list[str], rows: int = N, bad: dict | None = None) -> Path:
    lines = ["index,arch_str,gold_6226_latency_ms,fpga_latency_ms"]
    lines += [f"{i},{strings[i]},{i / 10:g},{i % 7}" for i in range(rows)]
    for i, line in (bad or {}).items():
        lines[i + 1] = line
    path.write_text("\n".join(lines) + "\n")
    return path


def test_csv_reader(tmp_path, strings):
    got = H.read_latency_csv(write_csv(tmp_path / "lat.csv", strings))
    assert list(got) == ["fpga", "gold_6226"]
    np.testing.assert_array_equal(got["gold_6226"], np.arange(N) / 10)
    np.testing.assert_array_equal(got["fpga"], np.arange(N) % 7)


@pytest.mark.parametrize("rows, bad, match", [
    (N - 1, None, f"expected {N} rows of 4 fields, got {N - 1} rows"),
    (N, {5: "5,x,abc,1"}, "not a number"),
    (N, {5: "5,x,inf,1"}, "'inf' is not a number"),  # the shared CSV cell rules: plain decimals only
    (N, {5: "5,x,1_000,1"}, "'1_000' is not a number"),
    (N, {5: "6,x,1,1"}, "official NB201 index order"),
    (N, {5: "5,|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,1,1"}, "row 5 has arch_str"),
])
def test_bad_csv(tmp_path, strings, rows, bad, match):
    path = write_csv(tmp_path / "lat.csv", strings, rows, bad)
    with pytest.raises(DataFileError, match=match) as err:
        H.read_latency_csv(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value)


# ----------------------------------------------------------------------------------------- real files
def test_real_help_files_equal_the_shared_csv():
    folder = shared_file("nb201/HELP-latency")
    csv_path = shared_file("nb201/nb201_hw_latency.csv")
    from_help, from_csv = H.read_help_folder(folder), H.read_latency_csv(csv_path)
    assert list(from_help) == list(from_csv) and len(from_help) == 27
    assert {"1080ti_1", "gold_6226", "pixel3", "titan_rtx_256", "eyeriss", "fpga"} <= set(from_help)
    for device, values in from_help.items():
        assert values.shape == (N,) and values.dtype == np.float64
        # the CSV holds HELP's values printed with 6 significant digits: equal after the same rounding
        rounded = np.array([float(f"{v:.6g}") for v in values])
        np.testing.assert_array_equal(rounded, from_csv[device], err_msg=device)
    # the shared README's check: the CIFAR-100 optimum (index 9930) runs in 7.42 ms on the FPGA
    assert from_help["fpga"][9930] == pytest.approx(7.42, abs=0.005)
