"""xgboost 1.x pickles in today's xgboost: convert the legacy binary tree model to the JSON model format.

A Booster pickled by xgboost 1.0-1.x (NB301's surrogates were written in 2020) holds a memory
snapshot ``b"CONFIG-offset:" + int64 length + binary model + JSON config``. xgboost 3 no longer
reads the binary part, so it is parsed here (layout below, checked on pickles written by
xgboost 1.2.1) and rewritten into the JSON schema of the installed xgboost, taken from a
template model, which xgboost then loads as usual.

Binary layout (little-endian): optional ``b"binf"``; LearnerModelParam (136 bytes: base_score
f32, num_feature u32, num_class i32, contain_extra_attrs i32, contain_eval_metrics i32, major
and minor version u32, 27 reserved i32); objective and booster names (u64 length + bytes);
GBTreeModelParam (160 bytes, num_trees i32 first); per tree a TreeParam (148 bytes: num_roots,
num_nodes, num_deleted, max_depth, num_feature, size_leaf_vector, 31 reserved; all i32), then
num_nodes nodes of 20 bytes (parent i32 with the is-left bit 31, left i32, right i32, split
index u32 with the default-left bit 31, split condition or leaf value f32) and num_nodes
statistics of 16 bytes (loss change, hessian sum, base weight f32, leaf child count i32);
then num_trees i32 tree-info entries.
"""

from __future__ import annotations

import json
import struct

import numpy as np

from nasbench_lab.errors import DataFileError

SNAPSHOT_HEADER = b"CONFIG-offset:"
_NODE = np.dtype([("parent", "<i4"), ("left", "<i4"), ("right", "<i4"), ("sindex", "<u4"), ("info", "<f4")])
_STAT = np.dtype([("loss", "<f4"), ("hess", "<f4"), ("weight", "<f4"), ("children", "<i4")])
_REGRESSION = {"reg:squarederror", "reg:linear"}  # identity link: prediction = base_score + leaves


class _Reader:
    def __init__(self, data: bytes, source: str):
        self.data, self.pos, self.source = data, 0, source

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise DataFileError(f"{self.source}: legacy xgboost model is truncated at byte {self.pos}")
        out = self.data[self.pos: self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))

    def string(self) -> str:
        (n,) = self.unpack("<Q")
        if n > 1 << 20:
            raise DataFileError(f"{self.source}: implausible string length {n} in a legacy xgboost model")
        return self.take(n).decode("utf-8", errors="replace")


def binary_model(raw: bytes, source: str = "model") -> bytes:
    """The legacy binary model inside a 1.x memory snapshot (or ``raw`` itself when it is one)."""
    if raw.startswith(SNAPSHOT_HEADER):
        start = len(SNAPSHOT_HEADER) + 8
        (length,) = struct.unpack("<q", raw[len(SNAPSHOT_HEADER): start])
        if length <= 0 or start + length > len(raw):
            raise DataFileError(f"{source}: damaged xgboost snapshot header (model length {length})")
        return raw[start: start + length]
    return raw


def parse_legacy(raw: bytes, source: str = "model") -> dict:
    """Trees and parameters of a legacy binary gbtree regression model."""
    r = _Reader(binary_model(raw, source), source)
    if r.data[:4] == b"binf":
        r.take(4)
    base_score, num_feature, num_class = r.unpack("<fIi")
    r.take(136 - 12)
    objective, booster = r.string(), r.string()
    if booster != "gbtree":
        raise DataFileError(f"{source}: legacy booster {booster!r} is not supported (only gbtree)")
    if objective not in _REGRESSION or num_class > 1:
        raise DataFileError(f"{source}: legacy objective {objective!r} is not supported (only squared-error "
                            "regression, which NB301 uses)")
    (num_trees,) = r.unpack("<i")
    r.take(160 - 4)
    trees = []
    for _ in range(num_trees):
        _, num_nodes, num_deleted, _, tree_features, _ = r.unpack("<6i")
        r.take(148 - 24)
        if not 0 < num_nodes < 1 << 24:
            raise DataFileError(f"{source}: implausible node count {num_nodes} in a legacy xgboost tree")
        nodes = np.frombuffer(r.take(num_nodes * _NODE.itemsize), dtype=_NODE)
        stats = np.frombuffer(r.take(num_nodes * _STAT.itemsize), dtype=_STAT)
        trees.append({"nodes": nodes, "stats": stats, "num_deleted": num_deleted, "num_feature": tree_features})
    return {"base_score": float(base_score), "num_feature": int(num_feature), "objective": "reg:squarederror",
            "trees": trees}


def booster_from_legacy(raw: bytes, source: str = "model"):
    """An xgboost Booster equal to a legacy (xgboost 1.x) binary model or memory snapshot."""
    import xgboost as xgb

    model = parse_legacy(raw, source)
    n_feat = model["num_feature"]
    template = xgb.train({"objective": "reg:squarederror", "max_depth": 1, "nthread": 1},
                         xgb.DMatrix(np.zeros((2, n_feat), dtype=np.float32), label=[0.0, 1.0]), 1)
    doc = json.loads(template.save_raw("json"))
    learner = doc["learner"]
    param = learner["learner_model_param"]
    base = f"{model['base_score']:.9E}"
    param["base_score"] = f"[{base}]" if str(param.get("base_score", "")).startswith("[") else base
    param["boost_from_average"] = "0"
    param["num_feature"] = str(n_feat)
    gbm = learner["gradient_booster"]["model"]
    proto = gbm["trees"][0]
    trees = []
    for i, t in enumerate(model["trees"]):
        nodes, stats = t["nodes"], t["stats"]
        n = len(nodes)
        tree = dict(proto)
        tree.update({
            "id": i,
            "base_weights": stats["weight"].astype(float).tolist(),
            "default_left": ((nodes["sindex"] >> 31) & 1).astype(int).tolist(),
            "left_children": nodes["left"].astype(int).tolist(),
            "right_children": nodes["right"].astype(int).tolist(),
            "parents": (nodes["parent"].astype(np.int64) & 0x7FFFFFFF).astype(int).tolist(),
            "split_indices": (nodes["sindex"] & 0x7FFFFFFF).astype(int).tolist(),
            "split_conditions": nodes["info"].astype(float).tolist(),
            "split_type": [0] * n,
            "loss_changes": stats["loss"].astype(float).tolist(),
            "sum_hessian": stats["hess"].astype(float).tolist(),
        })
        for key in ("categories", "categories_nodes", "categories_segments", "categories_sizes"):
            if key in proto:
                tree[key] = []
        tree["tree_param"] = {**proto["tree_param"], "num_deleted": str(t["num_deleted"]),
                              "num_feature": str(n_feat), "num_nodes": str(n)}
        if "leaf_child_counts" in proto:
            tree["leaf_child_counts"] = stats["children"].astype(int).tolist()
        trees.append(tree)
    gbm["trees"] = trees
    gbm["tree_info"] = [0] * len(trees)
    gbm["gbtree_model_param"] = {**gbm["gbtree_model_param"], "num_trees": str(len(trees))}
    if "num_parallel_tree" in gbm["gbtree_model_param"]:
        gbm["gbtree_model_param"]["num_parallel_tree"] = "1"
    if "iteration_indptr" in gbm:
        gbm["iteration_indptr"] = list(range(len(trees) + 1))
    booster = xgb.Booster()
    try:
        booster.load_model(bytearray(json.dumps(doc).encode()))
    except xgb.core.XGBoostError as exc:
        raise DataFileError(f"{source}: converted legacy model was refused by xgboost "
                            f"{xgb.__version__}: {str(exc).splitlines()[0][:200]}") from None
    return booster
