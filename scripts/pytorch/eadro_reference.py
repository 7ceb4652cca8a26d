#!/usr/bin/env python3
"""PyTorch port of eadro-ts's Eadro (`reference` and `paper` variants), on the windows our harness exports.

NOT the official Eadro code (BEbillionaireUSD/Eadro): it is OUR tfjs model (src/models/eadro/) written
again in PyTorch, parameter by parameter (same names and shapes as our checkpoint's `param/<name>`
entries, our [in, out] weight layout used with plain matmuls), so that the two can be compared on
identical input (issue 5): does our tfjs Eadro learn as well as a PyTorch one, and how fast is each.

Modes (see scripts/pytorch/README.md):
  train     Adam, shuffled batches, validation-only checkpoint selection by mean(val F1, val HR@1)
            (src/models/eadro/train.ts), then test metrics and timings.
  time      training windows/s and inference microseconds per window on the first windows.
  check     one training-mode forward/backward on the batch of FIRST_STEP.json (written by
            scripts/pytorch/prepare.ts) with our initial weights: loss parts, every gradient, BatchNorm
            batch statistics and eval-mode logits compared with the tfjs values.
  selftest  torch-free: data, split, weights, names and shapes, the model's forward pass run with NumPy
            against FIRST_STEP.json, and the metrics on a hand case.

Python 3.8+, numpy; torch only for train/time/check (imported lazily), no DGL.

Tensor shapes: W windows, N services, T time steps (seconds), K KPIs, E log event types, B windows per
batch, R = B*N rows (window-major here: row b*N + n; our tfjs code is node-major, which only changes the
order of float sums), C conv filters, H GAT heads, D = GAT size per head.
"""
from __future__ import annotations

import argparse
import gzip
import io
import json
import math
import os
import platform
import sys
import time
from collections import OrderedDict

import numpy as np

FORMAT = "eadro-ts-pytorch-result/1"

DEFAULTS = {
    # The reference variant's config, as src/models/eadro/config.ts resolves it (used when no --init
    # checkpoint gives one; a checkpoint's own config always wins).
    "config": {
        "variant": "reference",
        "without": [],  # ours: the full model
        "kernelSize": 2,  # reference main.py metric/trace_kernel_sizes [2]
        "dilation": 1,  # reference model.py ConvNet dilation ** 0
        "kpiFilters": 64,  # paper §V-C; reference metric_hiddens [64]
        "traceFilters": 64,  # paper §V-C; reference trace_hiddens [64]
        "logDim": 16,  # reference main.py log_dim 16
        "fuseDim": 128,  # paper §V-C; reference fuse_dim 128
        "gatHidden": 64,  # reference main.py graph_hiddens [64]
        "gatHeads": 4,  # paper §V-C; reference attn_head 4
        "gatNegativeSlope": 0.2,  # reference main.py activation 0.2
        "gatHeadCombine": "max",  # reference model.py MaxPool1d(attn_head)
        "gatActivation": "none",  # DGL GATv2Conv activation=None
        "timeAttention": "tanh-score",  # reference model.py SelfAttention
        "batchNormBeforeChomp": True,  # reference ConvNet: Conv1d(padding) -> BN -> ReLU -> Chomp
        "batchNormEpsilon": 1e-5,  # PyTorch BatchNorm1d default
        "batchNormMomentum": 0.1,  # PyTorch BatchNorm1d default
        "detectHidden": 64,  # paper §V-C; reference detect_hiddens [64]
        "locateHidden": 64,  # paper §V-C; reference locate_hiddens [64]
        "detector": "softmax-ce",  # reference FullyConnected(.., 2) + CrossEntropyLoss
        "locateMask": "ground-truth",  # reference CrossEntropyLoss(ignore_index=-1)
        "edgeDirection": "caller->callee",  # reference preprocess/util.py edges
        # reference preprocess/util.py edge lists hold self-loops on some nodes and model.py builds its DGL
        # graph from them as given: kept, none added (config.ts SelfLoops)
        "selfLoops": "as-listed",
        "beta": 0.5,  # reference main.py alpha 0.5
        "learningRate": 1e-3,  # paper §V-C; reference lr
        "adamBeta1": 0.9,  # PyTorch Adam default
        "adamBeta2": 0.999,  # PyTorch Adam default
        "adamEpsilon": 1e-8,  # PyTorch Adam default
        "batchSize": 256,  # paper §V-C; reference batch_size
        "maxEpochs": 50,  # paper §V-C; reference epoches
        "patience": 10,  # reference patience 10, applied to validation (train.ts)
        "selectBy": "f1-hr1",  # ours (config.ts): mean of validation F1 and HR@1
    },
    # What the paper variant changes (config.ts eadroDefaults.paper), for runs without --init.
    "paperConfig": {
        "variant": "paper",
        "kernelSize": 3,  # paper §V-C "kernel size of three"
        "logDim": 64,  # paper §V-C "hidden size of all fully-connected layers is 64"
        "gatHidden": 128,  # paper §V-C "The GAT's hidden size ... 128"
        "gatActivation": "relu",  # paper §IV-B3 psi "usually ReLU"
        "timeAttention": "softmax-qkv",  # paper Eq. 2
        "batchNormBeforeChomp": False,  # ours: a causal conv has no right padding to chomp
        "detector": "sigmoid-bce",  # paper Eq. 4
        "locateMask": "predicted",  # paper §IV-C: samples predicted abnormal pass through the localizer
        "edgeDirection": "callee->caller",  # paper §IV-B1 "v_b has invoked v_a"
        "selfLoops": "every-node",  # ours (reference-code-notes §0.2)
    },
    "threshold": 0.5,  # methods/eadro.ts: a window is flagged when P(anomalous) >= 0.5
    "selectionThreshold": 0.5,  # selection-metrics.ts: flagged when P(anomalous) > 0.5 (validation)
    "hitRateKs": [1, 3, 5],  # paper Table III: HR@1, HR@3, HR@5
    "ndcgKs": [3, 5],  # src/evaluation/metrics.ts metricsDefaults
    "checkRtol": 2e-3,  # ours: float32 sums in another order (two libraries, two layouts) stay within this
    "checkAtol": 1e-6,  # ours: absolute floor for entries that are about zero
    "zeroGradNoise": 1e-3,  # ours: noise allowed on an exactly-zero gradient, relative to the largest gradient
    "warmupSteps": 3,  # ours: first steps pay for allocation, cudnn/kernel selection
    "inferenceBatch": 256,  # issue 5: inference timed at batch 256
    "inferRepeats": 3,  # ours: `time --epochs`: inference passes per run, median reported (as scripts/bench/eadro.ts)
}

# config.ts SelfLoops: `every-node` adds a loop to every node, `as-listed` keeps exactly the loops the edge
# list has, `none` drops them all. Configs stored before the three-way choice hold a boolean
# (true = every-node, false = none), as config.ts resolveEadroConfig reads them.
SELF_LOOPS = ("every-node", "as-listed", "none")


def self_loop_mode(value):
    """The config's `selfLoops` as one of SELF_LOOPS (booleans read as config.ts reads them)."""
    if value is True:
        return "every-node"
    if value is False:
        return "none"
    if value in SELF_LOOPS:
        return value
    raise NotImplementedError("not implemented in the PyTorch port: selfLoops = %r (supported: %s, or a boolean)" % (value, ", ".join(SELF_LOOPS)))


class InputError(Exception):
    """A problem with the input files: names the file, the field and what was expected."""

    def __init__(self, message, file=None, field=None, expected=None, found=None):
        parts = [message]
        if file is not None:
            parts.append("file: %s" % file)
        if field is not None:
            parts.append("field: %s" % field)
        if expected is not None:
            parts.append("expected: %s" % expected)
        if found is not None:
            parts.append("found: %s" % found)
        super().__init__("\n  ".join(parts))


# --------------------------------------------------------------------------------------------------
# Files (torch-free)
# --------------------------------------------------------------------------------------------------


def read_json(path):
    if not os.path.exists(path):
        raise InputError("Missing file.", file=path)
    try:
        with open(path, "r", encoding="utf-8") as f:
            return json.load(f)
    except ValueError as err:
        raise InputError("Invalid JSON.", file=path, found=str(err))


def write_json_atomic(path, value):
    """Write JSON through a temporary sibling and a rename, so a crash leaves the old file or the new."""
    path = os.path.abspath(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = "%s.tmp-%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, default=_json_default, allow_nan=False)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _json_default(x):
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return finite_or_none(float(x))
    if isinstance(x, np.ndarray):
        return [_json_default(v) if isinstance(v, (np.generic, np.ndarray)) else v for v in x.tolist()]
    raise TypeError("not JSON serialisable: %r" % type(x))


def finite_or_none(x):
    """JSON has no NaN: an undefined number is written as null."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def clean_numbers(value):
    """Replace NaN/inf by None recursively (allow_nan=False would refuse them)."""
    if isinstance(value, dict):
        return {k: clean_numbers(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_numbers(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return finite_or_none(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def load_array(directory, name):
    """`name`.npy, or `name`.npy.gz as prepare.ts --compress writes it."""
    plain = os.path.join(directory, name + ".npy")
    packed = plain + ".gz"
    if os.path.exists(plain):
        return np.load(plain, allow_pickle=False), plain
    if os.path.exists(packed):
        with open(packed, "rb") as f:
            raw = gzip.decompress(f.read())
        return np.load(io.BytesIO(raw), allow_pickle=False), packed
    raise InputError("Missing array in the window directory.", file=plain, expected="%s.npy or %s.npy.gz" % (name, name))


def load_windows(directory):
    """The `.npy` window directory (src/windows/export.ts): arrays checked against meta.json."""
    meta_file = os.path.join(directory, "meta.json")
    meta = read_json(meta_file)
    for key in ("nodes", "edges", "T", "metric_names", "event_num"):
        if key not in meta:
            raise InputError("meta.json lacks a field.", file=meta_file, field=key)
    N = len(meta["nodes"])
    T = int(meta["T"])
    K = len(meta["metric_names"])
    E = int(meta["event_num"])
    labels, labels_file = load_array(directory, "labels")
    if labels.ndim != 1:
        raise InputError("labels must be one-dimensional.", file=labels_file, field="shape", expected="[W]", found=str(list(labels.shape)))
    W = int(labels.shape[0])
    if "W" in meta and int(meta["W"]) != W:
        raise InputError("labels.npy does not match meta.json.", file=labels_file, field="W", expected=str(meta["W"]), found=str(W))
    arrays = {}
    for name, shape in (("logs", (W, N, E)), ("metrics", (W, N, T, K)), ("traces", (W, N, T, 1))):
        a, f = load_array(directory, name)
        if tuple(a.shape) != shape:
            raise InputError("Array shape does not match meta.json.", file=f, field="shape", expected=str(list(shape)), found=str(list(a.shape)))
        if a.dtype != np.float32:
            raise InputError("Array must be float32.", file=f, field="dtype", expected="<f4", found=str(a.dtype))
        bad = int(np.size(a) - np.count_nonzero(np.isfinite(a)))
        if bad:
            raise InputError("Array holds non-finite values.", file=f, expected="finite numbers", found="%d NaN/inf" % bad)
        arrays[name] = np.ascontiguousarray(a)
    labels = labels.astype(np.int64)
    if W and (labels.min() < -1 or labels.max() >= N):
        raise InputError("Label out of range.", file=labels_file, expected="-1 or a node index < %d" % N, found="[%d, %d]" % (labels.min(), labels.max()))
    edges = meta["edges"]
    if len(edges) != 2 or len(edges[0]) != len(edges[1]):
        raise InputError("edges must be [src[], dst[]] of equal length.", file=meta_file, field="edges")
    for v in list(edges[0]) + list(edges[1]):
        if not (isinstance(v, int) and 0 <= v < N):
            raise InputError("Edge endpoint out of range.", file=meta_file, field="edges", expected="node ids in [0, %d)" % N, found=str(v))
    return {
        "dir": os.path.abspath(directory),
        "meta": meta,
        "W": W,
        "N": N,
        "T": T,
        "K": K,
        "E": E,
        "logs": arrays["logs"],
        "metrics": arrays["metrics"],
        "traces": arrays["traces"],
        "labels": labels,
    }


def read_split(path, W):
    """SPLIT.json (prepare.ts): train / val / test indices and `selection` (checkpoint selection)."""
    split = read_json(path)
    out = {}
    for key in ("train", "val", "test"):
        if key not in split:
            raise InputError("Split lacks a part.", file=path, field=key, expected="a list of window indices")
        out[key] = _indices(split[key], W, path, key)
    out["selection"] = _indices(split.get("selection", split["val"]), W, path, "selection")
    if "W" in split and int(split["W"]) != W:
        raise InputError("Split was made for another window set.", file=path, field="W", expected=str(W), found=str(split["W"]))
    overlap = set(out["train"].tolist()) & (set(out["val"].tolist()) | set(out["test"].tolist()))
    if overlap:
        raise InputError("Split parts overlap.", file=path, field="train", expected="disjoint parts", found="%d shared windows" % len(overlap))
    if len(out["train"]) == 0:
        raise InputError("The training part is empty.", file=path, field="train", expected="at least one window")
    out["protocol"] = split.get("protocol")
    out["params"] = split.get("params")
    out["modelSelection"] = split.get("modelSelection", "validation")
    return out


def _indices(values, W, path, field):
    a = np.asarray(values, dtype=np.int64)
    if a.ndim != 1:
        raise InputError("Window indices must be a flat list.", file=path, field=field)
    if a.size and (a.min() < 0 or a.max() >= W):
        raise InputError("Window index out of range.", file=path, field=field, expected="integers in [0, %d)" % W, found="[%d, %d]" % (a.min(), a.max()))
    return a


def read_checkpoint(directory):
    """Our checkpoint (src/models/eadro/checkpoint.ts): metadata.json, weights.json (a tfjs
    weightsManifest), weights.bin (float32 little-endian, manifest order). Returns metadata, the
    parameters by name (without `param/`) and the BatchNorm running statistics by branch."""
    meta_file = os.path.join(directory, "metadata.json")
    weights_file = os.path.join(directory, "weights.json")
    bin_file = os.path.join(directory, "weights.bin")
    metadata = read_json(meta_file)
    if metadata.get("format") != "eadro-ts-checkpoint/1":
        raise InputError("Unknown checkpoint format.", file=meta_file, field="format", expected="eadro-ts-checkpoint/1", found=str(metadata.get("format")))
    manifest = read_json(weights_file)
    try:
        groups = manifest["weightsManifest"]
        entries = [e for g in groups for e in g["weights"]]
        paths = [p for g in groups for p in g["paths"]]
    except (KeyError, TypeError):
        raise InputError("weights.json is not a tfjs weightsManifest.", file=weights_file, field="weightsManifest")
    if paths != ["weights.bin"]:
        raise InputError("Unexpected weight files.", file=weights_file, field="paths", expected='["weights.bin"]', found=str(paths))
    if not os.path.exists(bin_file):
        raise InputError("Missing file.", file=bin_file)
    values = np.fromfile(bin_file, dtype="<f4")
    params = OrderedDict()
    bn = {}
    offset = 0
    for e in entries:
        if e.get("dtype", "float32") != "float32":
            raise InputError("Only float32 weights are supported.", file=weights_file, field=e.get("name"), found=str(e.get("dtype")))
        shape = tuple(int(s) for s in e["shape"])
        size = int(np.prod(shape)) if shape else 1
        if offset + size > values.size:
            raise InputError("Checkpoint weights are truncated.", file=bin_file, field=e["name"])
        arr = values[offset : offset + size].reshape(shape).astype(np.float32)
        offset += size
        kind, _, rest = e["name"].partition("/")
        if kind == "param":
            params[rest] = arr
        elif kind == "bn":
            branch, _, stat = rest.partition("/")
            bn.setdefault(branch, {})[stat] = arr
        # adam/* moments are not used: the port starts its own optimizer
    if offset != values.size:
        raise InputError("weights.bin is longer than weights.json says.", file=bin_file, expected="%d floats" % offset, found="%d floats" % values.size)
    return metadata, params, bn


# --------------------------------------------------------------------------------------------------
# Model description (torch-free): parameter names and shapes, graph, initial weights
# --------------------------------------------------------------------------------------------------


def uses(config, part):
    return part not in config.get("without", [])


SUPPORTED = {
    "timeAttention": ("tanh-score", "softmax-qkv"),
    "detector": ("softmax-ce", "sigmoid-bce"),
    "locateMask": ("ground-truth", "predicted"),
}


def check_supported(config):
    """The port covers both variants and their ablations; not our small-loss selection
    (labelNoiseForget > 0, train.ts smallLossTrainSet)."""
    for key, allowed in SUPPORTED.items():
        if config.get(key) not in allowed:
            raise NotImplementedError("not implemented in the PyTorch port: %s = %r (supported: %s)" % (key, config.get(key), ", ".join(allowed)))
    self_loop_mode(config.get("selfLoops"))
    if float(config.get("labelNoiseForget", 0) or 0) > 0:
        raise NotImplementedError("not implemented in the PyTorch port: labelNoiseForget = %r (small-loss selection)" % config.get("labelNoiseForget"))
    if config.get("gatHeadCombine") not in ("max", "mean") or config.get("gatActivation") not in ("none", "relu"):
        raise NotImplementedError("not implemented: gatHeadCombine/gatActivation %r/%r" % (config.get("gatHeadCombine"), config.get("gatActivation")))


def param_shapes(config, dims):
    """Names and shapes in checkpoint order, as model.ts paramSpecs makes them."""
    specs = OrderedDict()
    k = config["kernelSize"]

    def linear(name, fan_in, fan_out):
        specs[name + ".weight"] = (fan_in, fan_out)
        specs[name + ".bias"] = (fan_out,)

    def conv(name, cin, filters):
        linear(name + ".conv", k * cin, filters)
        specs[name + ".bn.gamma"] = (filters,)
        specs[name + ".bn.beta"] = (filters,)
        if config["timeAttention"] == "tanh-score":
            specs[name + ".attn.weight"] = (dims["T"], filters)
            specs[name + ".attn.bias"] = (dims["T"],)
        else:  # W_q | W_k | W_v side by side, no biases (model.ts)
            specs[name + ".attn.wqkv"] = (filters, 3 * filters)

    fuse_in = 0
    if uses(config, "traces"):
        conv("trace", 1, config["traceFilters"])
        fuse_in += config["traceFilters"]
    if uses(config, "logs"):
        linear("log.fc", dims["E"], config["logDim"])
        fuse_in += config["logDim"]
    if uses(config, "kpis"):
        conv("kpi", dims["K"], config["kpiFilters"])
        fuse_in += config["kpiFilters"]
    node_dim = config["fuseDim"] // 2
    graph_dim = config["gatHidden"]
    linear("fuse", fuse_in, config["fuseDim"])
    if uses(config, "graph"):
        hd = config["gatHeads"] * graph_dim
        for side in ("Src", "Dst"):
            specs["gat.w" + side] = (node_dim, hd)
            specs["gat.b" + side] = (hd,)
        specs["gat.attn"] = (config["gatHeads"], graph_dim)
    else:
        linear("nograph.fc", node_dim, graph_dim)
    linear("pool.gate", graph_dim, 1)
    linear("detect.fc1", graph_dim, config["detectHidden"])
    linear("detect.fc2", config["detectHidden"], 1 if config["detector"] == "sigmoid-bce" else 2)
    linear("locate.fc1", graph_dim, config["locateHidden"])
    linear("locate.fc2", config["locateHidden"], dims["N"])
    return specs


def bn_branches(config):
    out = []
    if uses(config, "kpis"):
        out.append(("kpi", config["kpiFilters"]))
    if uses(config, "traces"):
        out.append(("trace", config["traceFilters"]))
    return out


def model_edges(config, edges, direction):
    """Edges in the config's direction (model.ts createEadro reverses them when the data's differ)."""
    src, dst = list(edges[0]), list(edges[1])
    if direction is not None and direction != config["edgeDirection"]:
        src, dst = dst, src
    return [src, dst]


def graph_index(N, edges, self_loops):
    """Edge lists (source j, target i) of the dense adjacency, ordered by target then source, as
    layers/gatv2.ts denseAdjacency + adjacencyEdges make them (duplicates collapse). Self-loops as the
    config's `selfLoops` says (self_loop_mode): the given list's own loops are kept unless `none`, and
    `every-node` adds one to every node."""
    mode = self_loop_mode(self_loops)
    adj = np.zeros((N, N), dtype=np.int8)
    for s, d in zip(edges[0], edges[1]):
        if s == d and mode == "none":
            continue
        adj[d, s] = 1
    if mode == "every-node":
        np.fill_diagonal(adj, 1)
    dst, src = np.nonzero(adj)  # row-major: by target, then source
    return src.astype(np.int64), dst.astype(np.int64)


def init_params(config, dims, seed):
    """Initial weights with the distributions init.ts draws (PyTorch/DGL defaults), from NumPy's
    generator: the same distributions as our tfjs model, not the same values (use --init for those)."""
    rng = np.random.default_rng(seed)
    out = OrderedDict()
    shapes = param_shapes(config, dims)
    hd = config["gatHeads"] * config["gatHidden"]
    for name, shape in shapes.items():
        size = int(np.prod(shape))
        if name.endswith(".bn.gamma"):
            v = np.ones(shape)
        elif name.endswith(".bn.beta") or name.endswith(".attn.bias") or name in ("gat.bSrc", "gat.bDst"):
            v = np.zeros(shape)
        elif name.endswith(".attn.weight"):  # glorotUniform(fanIn = C, fanOut = 1)
            bound = math.sqrt(6.0 / (shape[1] + 1))
            v = rng.uniform(-bound, bound, size=shape)
        elif name in ("gat.wSrc", "gat.wDst"):  # xavierNormal(fanIn = node dim, fanOut = H*D), gain sqrt(2)
            v = rng.normal(0.0, math.sqrt(2.0) * math.sqrt(2.0 / (shape[0] + shape[1])), size=shape)
        elif name == "gat.attn":  # xavierNormal(fanIn = H*D, fanOut = D)
            v = rng.normal(0.0, math.sqrt(2.0) * math.sqrt(2.0 / (hd + config["gatHidden"])), size=shape)
        else:  # torchDefaultUniform, fan_in = the weight's first dimension ([in, out] layout; attn.wqkv: C)
            fan_in = shapes[name[: -len(".bias")] + ".weight"][0] if name.endswith(".bias") else shape[0]
            bound = 1.0 / math.sqrt(fan_in)
            v = rng.uniform(-bound, bound, size=shape)
        assert v.size == size
        out[name] = v.astype(np.float32)
    bn = {branch: {"mean": np.zeros(c, np.float32), "variance": np.ones(c, np.float32)} for branch, c in bn_branches(config)}
    return out, bn


def variant_config(variant):
    """The full config of a variant, as config.ts resolveEadroConfig({variant}) gives it."""
    config = dict(DEFAULTS["config"])
    if variant == "paper":
        config.update(DEFAULTS["paperConfig"])
    elif variant != "reference":
        raise InputError("Unknown Eadro variant.", field="--variant", expected="reference | paper", found=str(variant))
    return config


def resolve_model(data, init_dir, seed, variant=None):
    """Config, dims (edges in config direction), parameters and BN state: from our checkpoint when
    given (checked against the windows; `variant`, when given, must be the checkpoint's), else the
    variant's defaults (reference unless given) with fresh NumPy weights."""
    meta = data["meta"]
    if init_dir is not None:
        metadata, params, bn = read_checkpoint(init_dir)
        config = dict(DEFAULTS["config"])
        config.update(metadata["config"])
        if variant is not None and config.get("variant") != variant:
            raise InputError("The checkpoint is of another variant.", file=os.path.join(init_dir, "metadata.json"), field="config.variant", expected=variant, found=str(config.get("variant")))
        d = metadata["dims"]
        dims = {"N": int(d["N"]), "T": int(d["T"]), "K": int(d["K"]), "E": int(d["E"]), "edges": [list(d["edges"][0]), list(d["edges"][1])], "nodes": list(d.get("nodes", []))}
        meta_file = os.path.join(init_dir, "metadata.json")
        for key in ("N", "T", "K", "E"):
            if dims[key] != data[key]:
                raise InputError("Checkpoint dims do not match the windows.", file=meta_file, field="dims." + key, expected=str(data[key]), found=str(dims[key]))
        if dims["nodes"] and dims["nodes"] != list(meta["nodes"]):
            raise InputError("Checkpoint services differ from the windows'.", file=meta_file, field="dims.nodes", expected=str(meta["nodes"])[:200])
        expected = graph_index(data["N"], model_edges(config, meta["edges"], meta.get("edge_direction")), config["selfLoops"])
        found = graph_index(dims["N"], dims["edges"], config["selfLoops"])
        if not (np.array_equal(expected[0], found[0]) and np.array_equal(expected[1], found[1])):
            raise InputError("Checkpoint graph differs from the windows' graph.", file=meta_file, field="dims.edges", expected="%d edges as in meta.json" % len(expected[0]), found="%d edges" % len(found[0]))
        check_params(config, dims, params, bn, os.path.join(init_dir, "weights.json"))
        source = {"kind": "checkpoint", "dir": os.path.abspath(init_dir), "seed": metadata.get("seed")}
    else:
        config = variant_config(variant or "reference")
        dims = {"N": data["N"], "T": data["T"], "K": data["K"], "E": data["E"], "edges": model_edges(config, meta["edges"], meta.get("edge_direction")), "nodes": list(meta["nodes"])}
        params, bn = init_params(config, dims, seed)
        source = {"kind": "numpy-init", "seed": seed}
    check_supported(config)
    return config, dims, params, bn, source


def check_params(config, dims, params, bn, file):
    shapes = param_shapes(config, dims)
    missing = [n for n in shapes if n not in params]
    extra = [n for n in params if n not in shapes]
    if missing or extra:
        raise InputError("Checkpoint parameters do not fit the config.", file=file, field="param/*", expected="missing none, extra none", found="missing %s, extra %s" % (missing, extra))
    for n, s in shapes.items():
        if tuple(params[n].shape) != tuple(s):
            raise InputError("Checkpoint parameter has the wrong shape.", file=file, field="param/" + n, expected=str(list(s)), found=str(list(params[n].shape)))
    for branch, c in bn_branches(config):
        for stat in ("mean", "variance"):
            a = bn.get(branch, {}).get(stat)
            if a is None or a.shape != (c,):
                raise InputError("Checkpoint BatchNorm state missing or misshapen.", file=file, field="bn/%s/%s" % (branch, stat), expected="[%d]" % c)


# --------------------------------------------------------------------------------------------------
# The forward pass, written once against a small ops interface (NumPy for selftest, torch for the rest)
# --------------------------------------------------------------------------------------------------


class NumpyOps:
    """NumPy arrays (float64 by default): the selftest's reference forward, no gradients."""

    name = "numpy"

    def __init__(self, dtype=np.float64):
        self.dtype = dtype

    def asarray(self, a):
        return np.asarray(a, dtype=self.dtype)

    def index(self, idx):
        return np.asarray(idx, dtype=np.int64)

    def cat(self, xs, axis):
        return np.concatenate(xs, axis=axis)

    def pad_time(self, x, left, right):  # x [R, T, C]
        return np.pad(x, ((0, 0), (left, right), (0, 0)))

    def sum(self, x, axis, keepdims=False):
        return x.sum(axis=axis, keepdims=keepdims)

    def mean(self, x, axis, keepdims=False):
        return x.mean(axis=axis, keepdims=keepdims)

    def rsqrt(self, x):
        return 1.0 / np.sqrt(x)

    def softplus(self, x):
        return np.logaddexp(0.0, x)

    def swap_last(self, x):  # [R, T, C] -> [R, C, T]
        return np.swapaxes(x, -1, -2)

    def to_numpy(self, x):
        return np.asarray(x)

    def tanh(self, x):
        return np.tanh(x)

    def sigmoid(self, x):
        return 1.0 / (1.0 + np.exp(-x))

    def exp(self, x):
        return np.exp(x)

    def relu(self, x):
        return np.maximum(x, 0)

    def leaky_relu(self, x, slope):
        return np.where(x > 0, x, slope * x)

    def max_values(self, x, axis, keepdims=False):
        return x.max(axis=axis, keepdims=keepdims)

    def detach(self, x):
        return x

    def take(self, x, idx, axis):
        return np.take(x, idx, axis=axis)

    def index_add(self, x, axis, idx, size):
        """out[:, idx[e]] += x[:, e] (axis 1) into zeros with `size` entries on that axis."""
        assert axis == 1
        shape = list(x.shape)
        shape[1] = size
        out = np.zeros(shape, dtype=x.dtype)
        np.add.at(out, (slice(None), idx), x)
        return out

    def segment_max(self, x, axis, idx, size):
        """out[:, i] = max of x[:, e] over the e with idx[e] = i (axis 1); -inf where none."""
        assert axis == 1
        shape = list(x.shape)
        shape[1] = size
        out = np.full(shape, -np.inf, dtype=x.dtype)
        np.maximum.at(out, (slice(None), idx), x)
        return out

    def log_softmax(self, x, axis):
        m = x.max(axis=axis, keepdims=True)
        return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))

    def softmax(self, x, axis):
        return np.exp(self.log_softmax(x, axis))


class TorchOps:
    """torch tensors on one device and dtype, autograd-friendly."""

    name = "torch"

    def __init__(self, torch, device, dtype):
        self.torch = torch
        self.F = torch.nn.functional
        self.device = device
        self.dtype = dtype

    def asarray(self, a):
        return self.torch.as_tensor(np.asarray(a), dtype=self.dtype, device=self.device)

    def index(self, idx):
        return self.torch.as_tensor(np.asarray(idx, dtype=np.int64), device=self.device)

    def cat(self, xs, axis):
        return self.torch.cat(xs, dim=axis)

    def pad_time(self, x, left, right):  # x [R, T, C]: pad the last-but-one dim
        return self.F.pad(x, (0, 0, left, right))

    def sum(self, x, axis, keepdims=False):
        return x.sum(dim=axis, keepdim=keepdims)

    def mean(self, x, axis, keepdims=False):
        return x.mean(dim=axis, keepdim=keepdims)

    def rsqrt(self, x):
        return self.torch.rsqrt(x)

    def softplus(self, x):
        return self.F.softplus(x)

    def swap_last(self, x):
        return x.transpose(-1, -2)

    def to_numpy(self, x):
        return x.detach().double().cpu().numpy()

    def tanh(self, x):
        return self.torch.tanh(x)

    def sigmoid(self, x):
        return self.torch.sigmoid(x)

    def exp(self, x):
        return self.torch.exp(x)

    def relu(self, x):
        return self.torch.relu(x)

    def leaky_relu(self, x, slope):
        return self.F.leaky_relu(x, slope)

    def max_values(self, x, axis, keepdims=False):
        # max(dim) routes the gradient to one maximal entry, like MaxPool1d and our headMax
        return x.max(dim=axis, keepdim=keepdims)[0]

    def detach(self, x):
        return x.detach()

    def take(self, x, idx, axis):
        return x.index_select(axis, idx)

    def index_add(self, x, axis, idx, size):
        shape = list(x.shape)
        shape[axis] = size
        return self.torch.zeros(shape, dtype=x.dtype, device=x.device).index_add(axis, idx, x)

    def segment_max(self, x, axis, idx, size):
        shape = list(x.shape)
        shape[axis] = size
        index_shape = [1] * x.dim()
        index_shape[axis] = -1
        index = idx.view(index_shape).expand_as(x)
        out = self.torch.full(shape, float("-inf"), dtype=x.dtype, device=x.device)
        return out.scatter_reduce(axis, index, x, reduce="amax", include_self=True)

    def log_softmax(self, x, axis):
        return self.torch.log_softmax(x, dim=axis)

    def softmax(self, x, axis):
        return self.torch.softmax(x, dim=axis)


def conv_branch(ops, config, params, bn, name, x, training, stats):
    """Conv (taps fused into one matmul) -> BatchNorm -> ReLU -> chomp -> tanh time attention, as
    layers/causal-conv.ts and layers/time-attention.ts tanhScoreAttention. x: [R, T, Cin] -> [R, C]."""
    R, T, Cin = x.shape[0], x.shape[1], x.shape[2]
    k, d = config["kernelSize"], config["dilation"]
    pad = (k - 1) * d
    right = pad if config["batchNormBeforeChomp"] else 0
    t_out = T + right
    if pad == 0:
        cols = x.reshape(R * T, Cin)
    else:
        xp = ops.pad_time(x, pad, right)  # [R, pad + T + right, Cin]
        taps = [xp[:, j * d : j * d + t_out, :] for j in range(k)]  # tap j looks back (k-1-j)*d steps
        cols = ops.cat(taps, 2).reshape(R * t_out, k * Cin)  # row = j*Cin + c, our weight layout
    z = cols @ params[name + ".conv.weight"] + params[name + ".conv.bias"]  # [R*t_out, C]
    eps = config["batchNormEpsilon"]
    if training:
        mean = ops.mean(z, 0)
        var = ops.mean((z - mean) ** 2, 0)  # biased, as tf.moments / BatchNorm's normalisation
        xhat = (z - mean) * ops.rsqrt(var + eps)
        stats[name] = (mean, var, R * t_out)
    else:
        xhat = (z - bn[name]["mean"]) * ops.rsqrt(bn[name]["variance"] + eps)
    C = z.shape[1]
    y = ops.relu(xhat * params[name + ".bn.gamma"] + params[name + ".bn.beta"]).reshape(R, t_out, C)[:, :T, :]
    if config["timeAttention"] == "softmax-qkv":
        # paper Eq. 2, layers/time-attention.ts: softmax(Q K^T / sqrt(C)) V, then the mean over the T steps
        qkv = y.reshape(R * T, C) @ params[name + ".attn.wqkv"]  # [R*T, 3C]
        q = qkv[:, :C].reshape(R, T, C)
        k_ = qkv[:, C : 2 * C].reshape(R, T, C)
        v = qkv[:, 2 * C :].reshape(R, T, C)
        attn = ops.softmax((q @ ops.swap_last(k_)) * (1.0 / math.sqrt(C)), 2)  # [R, T, T]
        return ops.mean(attn @ v, 1)  # [R, C]
    w = params[name + ".attn.weight"]  # [T, C]
    score = ops.tanh(ops.sum(y * w.reshape(1, T, C), 2) + params[name + ".attn.bias"])  # [R, T], in (-1, 1)
    return ops.sum(y * score.reshape(R, T, 1), 1)  # [R, C]


def dense(params, name, x):
    return x @ params[name + ".weight"] + params[name + ".bias"]


def gatv2(ops, config, params, graph, nodes, B, N):
    """layers/gatv2.ts: for an edge j -> i and head h, e = a_h . LeakyReLU(W_dst h_i + b_dst + W_src h_j
    + b_src), alpha = softmax of e over i's in-edges, out_i = sum_j alpha (W_src h_j + b_src); a node
    without in-edges gets 0; heads combined by max (or mean), then the activation. nodes [B*N, Din]."""
    src_index, dst_index = graph
    H = config["gatHeads"]
    D = config["gatHidden"]
    n_edges = int(src_index.shape[0])
    if n_edges == 0:
        return ops.asarray(np.zeros((B * N, D)))
    src = (nodes @ params["gat.wSrc"] + params["gat.bSrc"]).reshape(B, N, H, D)
    dst = (nodes @ params["gat.wDst"] + params["gat.bDst"]).reshape(B, N, H, D)
    src_e = ops.take(src, src_index, 1)  # [B, nE, H, D]
    z = src_e + ops.take(dst, dst_index, 1)
    act = ops.leaky_relu(z, config["gatNegativeSlope"])
    e = ops.sum(act * params["gat.attn"].reshape(1, 1, H, D), 3)  # [B, nE, H]
    # The shift is a constant (zero gradient) that cancels exactly: the maximum over the in-edges of each
    # edge's TARGET, per window and head, as layers/gatv2.ts segmentMaxShift. A shift by the maximum over
    # ALL edges (this port until session 8) lets a target whose scores sit far below another's underflow
    # to a zero denominator: 0/0 = NaN. It did: 42 of 45 paper runs and 4 of 8 reference runs on the GPU
    # turned NaN in epoch 3-39, and early stopping then kept the last finite epoch.
    shift = ops.take(ops.segment_max(ops.detach(e), 1, dst_index, N), dst_index, 1)  # [B, nE, H]
    ex = ops.exp(e - shift)
    den = ops.take(ops.index_add(ex, 1, dst_index, N), dst_index, 1)  # per edge, its target's sum
    alpha = ex / den
    messages = src_e * alpha.reshape(B, n_edges, H, 1)
    out = ops.index_add(messages, 1, dst_index, N)  # [B, N, H, D]
    combined = ops.max_values(out, 2) if config["gatHeadCombine"] == "max" else ops.mean(out, 2)
    if config["gatActivation"] == "relu":
        combined = ops.relu(combined)
    return combined.reshape(B * N, D)


def forward(ops, config, params, bn, graph, logs, metrics, traces, training):
    """logs [B, N, E], metrics [B, N, T, K], traces [B, N, T, 1] -> detect logits [B, 2] (softmax-ce) or
    [B, 1] (sigmoid-bce), locate logits
    [B, N], fused H_F [B, D], and (training) the BatchNorm batch statistics per branch."""
    B, N = logs.shape[0], logs.shape[1]
    T = metrics.shape[2]
    stats = {}
    parts = []
    if uses(config, "traces"):
        parts.append(conv_branch(ops, config, params, bn, "trace", traces.reshape(B * N, T, 1), training, stats))
    if uses(config, "logs"):
        parts.append(dense(params, "log.fc", logs.reshape(B * N, logs.shape[2])))
    if uses(config, "kpis"):
        parts.append(conv_branch(ops, config, params, bn, "kpi", metrics.reshape(B * N, T, metrics.shape[3]), training, stats))
    fuse_in = parts[0] if len(parts) == 1 else ops.cat(parts, 1)
    pre = dense(params, "fuse", fuse_in)  # [R, 2E]
    half = config["fuseDim"] // 2
    nodes = pre[:, :half] * ops.sigmoid(pre[:, half:])  # GLU: [R, E]
    if uses(config, "graph"):
        g = gatv2(ops, config, params, graph, nodes, B, N)
    else:
        g = dense(params, "nograph.fc", nodes)
        if config["gatActivation"] == "relu":
            g = ops.relu(g)
    D = config["gatHidden"]
    gate = ops.softmax((g @ params["pool.gate.weight"] + params["pool.gate.bias"]).reshape(B, N), 1)  # over nodes
    fused = ops.sum(g.reshape(B, N, D) * gate.reshape(B, N, 1), 1)  # [B, D]
    detect = dense(params, "detect.fc2", ops.relu(dense(params, "detect.fc1", fused)))
    locate = dense(params, "locate.fc2", ops.relu(dense(params, "locate.fc1", fused)))
    return detect, locate, fused, stats


def detect_margin(config, detect):
    """loss.ts detectMargin: > 0 means flagged. sigmoid-bce: the logit [B, 1]; softmax-ce: l1 - l0. -> [B]"""
    if config["detector"] == "sigmoid-bce":
        return detect[:, 0]
    return detect[:, 1] - detect[:, 0]


def loss_parts(ops, config, detect, locate, labels):
    """loss.ts: the detector's loss (sigmoid-bce: BCE with logits, softplus(l) - l*y; softmax-ce: 2-class
    cross-entropy; both means over the batch) and the localizer's cross-entropy averaged over the masked
    windows (ground-truth: the faulty ones; predicted: the faulty ones the detector flags, a mask
    without gradient); total = beta*detect + (1-beta)*locate."""
    labels = np.asarray(labels, dtype=np.int64)
    B = labels.shape[0]
    N = locate.shape[1]
    faulty = (labels >= 0).astype(np.float64)
    onehot = np.zeros((B, N))
    onehot[np.arange(B)[labels >= 0], labels[labels >= 0]] = 1.0
    if config["detector"] == "sigmoid-bce":
        logit = detect[:, 0]
        detect_loss = ops.mean(ops.softplus(logit) - logit * ops.asarray(faulty), 0)
    else:
        target2 = np.stack([1.0 - faulty, faulty], axis=1)
        detect_loss = -ops.mean(ops.sum(ops.log_softmax(detect, 1) * ops.asarray(target2), 1), 0)
    nll = -ops.sum(ops.log_softmax(locate, 1) * ops.asarray(onehot), 1)  # [B]
    if config["locateMask"] == "predicted":
        mask = faulty * (ops.to_numpy(detect_margin(config, detect)) > 0)  # tf.step: 1 where margin > 0
    else:
        mask = faulty
    locate_loss = ops.sum(nll * ops.asarray(mask), 0) / max(float(mask.sum()), 1.0)
    beta = config["beta"]
    return beta * detect_loss + (1.0 - beta) * locate_loss, detect_loss, locate_loss


# --------------------------------------------------------------------------------------------------
# Metrics (NumPy; same formulas as src/evaluation/metrics.ts and selection-metrics.ts)
# --------------------------------------------------------------------------------------------------


def ratio(a, b):
    return None if b == 0 else a / b


def rank_descending(prob):
    """[B, N] -> node indices by descending probability; ties: lower index first (infer.ts)."""
    return np.argsort(-np.asarray(prob, dtype=np.float64), axis=1, kind="stable")


def detection_metrics(labels, flagged):
    truth = np.asarray(labels) >= 0
    pred = np.asarray(flagged, dtype=bool)
    tp = int(np.sum(truth & pred))
    fn = int(np.sum(truth & ~pred))
    fp = int(np.sum(~truth & pred))
    tn = int(np.sum(~truth & ~pred))
    mcc_den = (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)
    return {
        "det.tp": tp,
        "det.fp": fp,
        "det.fn": fn,
        "det.tn": tn,
        "det.precision": ratio(tp, tp + fp),
        "det.recall": ratio(tp, tp + fn),
        "det.f1": ratio(2 * tp, 2 * tp + fp + fn),
        "det.accuracy": ratio(tp + tn, tp + fp + fn + tn),
        "det.mcc": None if mcc_den == 0 else (tp * tn - fp * fn) / math.sqrt(mcc_den),
        "det.fpr": ratio(fp, fp + tn),
    }


def localization_metrics(labels, ranking, flagged):
    """HR@k and NDCG@k over ground-truth faulty windows: oracle (whatever the detector said) and
    end-to-end (a faulty window the detector missed is a miss)."""
    labels = np.asarray(labels)
    flagged = np.asarray(flagged, dtype=bool)
    out = {}
    faulty = np.nonzero(labels >= 0)[0]
    out["loc.faultyWindows"] = int(faulty.size)
    ranks = np.array([int(np.nonzero(ranking[i] == labels[i])[0][0]) + 1 if np.any(ranking[i] == labels[i]) else 10**9 for i in faulty])
    detected = flagged[faulty]
    for mode, weight in (("oracle", np.ones(faulty.size, dtype=bool)), ("e2e", detected)):
        for k in DEFAULTS["hitRateKs"]:
            hits = float(np.sum((ranks <= k) & weight)) if faulty.size else 0.0
            out["loc.%s.hr@%d" % (mode, k)] = ratio(hits, faulty.size)
        for k in DEFAULTS["ndcgKs"]:
            gains = np.where((ranks <= k) & weight, 1.0 / np.log2(ranks + 1.0), 0.0) if faulty.size else np.zeros(0)
            out["loc.%s.ndcg@%d" % (mode, k)] = ratio(float(gains.sum()), faulty.size)
    return out


def selection_metrics(anomaly_prob, ranking, labels):
    """selection-metrics.ts: F1 at P > 0.5 and oracle HR@1/HR@3 (NaN when undefined)."""
    labels = np.asarray(labels)
    flagged = np.asarray(anomaly_prob) > DEFAULTS["selectionThreshold"]
    truth = labels >= 0
    tp = int(np.sum(truth & flagged))
    fp = int(np.sum(~truth & flagged))
    fn = int(np.sum(truth & ~flagged))
    f1 = float("nan") if 2 * tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)
    faulty = np.nonzero(truth)[0]
    if faulty.size == 0:
        return {"f1": f1, "hr1": float("nan"), "hr3": float("nan")}
    top1 = ranking[faulty, 0] == labels[faulty]
    top3 = np.any(ranking[faulty, : min(3, ranking.shape[1])] == labels[faulty][:, None], axis=1)
    return {"f1": f1, "hr1": float(top1.mean()), "hr3": float(top3.mean())}


def selection_score(sel):
    f1 = sel["f1"] if math.isfinite(sel["f1"]) else 0.0
    hr1 = sel["hr1"] if math.isfinite(sel["hr1"]) else 0.0
    return (f1 + hr1) / 2.0


def test_metrics(labels, anomaly_prob, culprit_prob):
    ranking = rank_descending(culprit_prob)
    flagged = np.asarray(anomaly_prob) >= DEFAULTS["threshold"]
    out = detection_metrics(labels, flagged)
    out.update(localization_metrics(labels, ranking, flagged))
    return out


def compare(name, got, want, rtol, atol):
    """max abs and relative error of one tensor; pass when max|got - want| <= atol + rtol * max|want|."""
    got = np.asarray(got, dtype=np.float64).reshape(-1)
    want = np.asarray(want, dtype=np.float64).reshape(-1)
    if got.shape != want.shape:
        return {"name": name, "ok": False, "detail": "shape %s vs %s" % (got.shape, want.shape)}
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    max_abs = float(np.max(np.abs(got - want))) if want.size else 0.0
    return {"name": name, "ok": bool(max_abs <= atol + rtol * scale), "maxAbs": max_abs, "maxRel": max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else None), "scale": scale}


# --------------------------------------------------------------------------------------------------
# Shared bookkeeping
# --------------------------------------------------------------------------------------------------


def environment(torch=None, device=None):
    env = {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpuCount": os.cpu_count(),
        "argv": sys.argv,
        "startedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if torch is not None:
        env["torch"] = torch.__version__
        env["torchThreads"] = torch.get_num_threads()
        env["cudaAvailable"] = bool(torch.cuda.is_available())
        env["cudaVersion"] = getattr(torch.version, "cuda", None)
        if device is not None and str(device).startswith("cuda"):
            env["gpu"] = torch.cuda.get_device_name(device)
            env["cudnn"] = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    return env


def dataset_summary(data):
    meta = data["meta"]
    labels = data["labels"]
    return {
        "dir": data["dir"],
        "W": data["W"],
        "N": data["N"],
        "T": data["T"],
        "K": data["K"],
        "E": data["E"],
        "abnormalShare": float(np.mean(labels >= 0)) if data["W"] else None,
        "normalization": meta.get("normalization"),
        "edgeDirection": meta.get("edge_direction"),
        "edges": len(meta["edges"][0]),
        "provenance": meta.get("provenance"),
    }


# --------------------------------------------------------------------------------------------------
# torch side
# --------------------------------------------------------------------------------------------------


def import_torch():
    try:
        import torch  # noqa: WPS433 (lazy on purpose: selftest runs without torch)
    except ImportError as err:
        raise SystemExit("this mode needs PyTorch (import torch failed: %s); `selftest` runs without it" % err)
    return torch


def setup_torch(args):
    torch = import_torch()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
        try:
            torch.set_num_interop_threads(max(1, args.threads))
        except RuntimeError:
            pass  # only settable before the first parallel work; harmless when it was set
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("--device %s asked but torch.cuda.is_available() is False" % args.device)
    device = torch.device(args.device)
    torch.manual_seed(args.seed)
    return torch, device


def synchronize(torch, device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class TorchEadro:
    """The parameters (leaf tensors with gradients), BatchNorm running statistics and graph on a device."""

    def __init__(self, torch, device, dtype, config, dims, params, bn):
        self.torch = torch
        self.device = device
        self.config = config
        self.dims = dims
        self.ops = TorchOps(torch, device, dtype)
        self.params = OrderedDict((n, torch.tensor(np.asarray(v), dtype=dtype, device=device, requires_grad=True)) for n, v in params.items())
        self.bn = {b: {s: torch.tensor(np.asarray(v), dtype=dtype, device=device) for s, v in st.items()} for b, st in bn.items()}
        src, dst = graph_index(dims["N"], dims["edges"], config["selfLoops"])
        self.graph = (self.ops.index(src), self.ops.index(dst))

    def forward(self, batch, training):
        return forward(self.ops, self.config, self.params, self.bn, self.graph, batch["logs"], batch["metrics"], batch["traces"], training)

    def update_running_stats(self, stats):
        """PyTorch's BatchNorm update (unbiased variance), as causal-conv.ts updatedRunningStats."""
        m = self.config["batchNormMomentum"]
        with self.torch.no_grad():
            for branch, (mean, var, rows) in stats.items():
                s = self.bn[branch]
                s["mean"] = (1 - m) * s["mean"] + m * mean.detach()
                s["variance"] = (1 - m) * s["variance"] + m * var.detach() * (rows / max(1, rows - 1))

    def snapshot(self):
        return ({n: p.detach().clone() for n, p in self.params.items()}, {b: {s: v.clone() for s, v in st.items()} for b, st in self.bn.items()})

    def restore(self, snap):
        params, bn = snap
        with self.torch.no_grad():
            for n, p in self.params.items():
                p.copy_(params[n])
        self.bn = {b: {s: v.clone() for s, v in st.items()} for b, st in bn.items()}


class DeviceData:
    """All windows on the device once; a batch is an index_select (the same for every mode)."""

    def __init__(self, torch, device, dtype, data):
        self.torch = torch
        self.device = device
        self.logs = torch.as_tensor(data["logs"], device=device).to(dtype)
        self.metrics = torch.as_tensor(data["metrics"], device=device).to(dtype)
        self.traces = torch.as_tensor(data["traces"], device=device).to(dtype)
        self.labels = data["labels"]

    def batch(self, ids):
        idx = self.torch.as_tensor(np.asarray(ids, dtype=np.int64), device=self.device)
        return {"logs": self.logs.index_select(0, idx), "metrics": self.metrics.index_select(0, idx), "traces": self.traces.index_select(0, idx), "labels": self.labels[np.asarray(ids, dtype=np.int64)]}


def train_step(torch, model, optimizer, batch):
    total, detect_l, locate_l = None, None, None
    detect, locate, _, stats = model.forward(batch, True)
    total, detect_l, locate_l = loss_parts(model.ops, model.config, detect, locate, batch["labels"])
    optimizer.zero_grad(set_to_none=True)
    total.backward()
    optimizer.step()
    model.update_running_stats(stats)
    return total.detach(), detect_l.detach(), locate_l.detach()


def predict(torch, model, data_dev, ids, batch_size, with_loss=False):
    """Eval mode (running BatchNorm statistics): P(anomalous) [n], culprit softmax [n, N], mean loss."""
    probs, culprits = [], []
    loss_sum = 0.0
    with torch.no_grad():
        for start in range(0, len(ids), batch_size):
            part = ids[start : start + batch_size]
            batch = data_dev.batch(part)
            detect, locate, _, _ = model.forward(batch, False)
            probs.append(torch.sigmoid(detect_margin(model.config, detect)).double().cpu().numpy())  # softmax-ce: = softmax(detect)[:, 1]
            culprits.append(torch.softmax(locate, dim=1).double().cpu().numpy())
            if with_loss:
                total, _, _ = loss_parts(model.ops, model.config, detect, locate, batch["labels"])
                loss_sum += float(total) * len(part)
    n_nodes = model.dims["N"]
    anomaly = np.concatenate(probs) if probs else np.zeros(0)
    culprit = np.concatenate(culprits) if culprits else np.zeros((0, n_nodes))
    return anomaly, culprit, (loss_sum / len(ids) if (with_loss and len(ids)) else float("nan"))


def time_inference(torch, device, model, data_dev, ids, batch_size, cpu_us=None):
    """Microseconds per window of eval-mode forward passes at `batch_size` (data already on the
    device; one warm-up batch first; synchronised for cuda). With a list `cpu_us`, the process's CPU
    microseconds per window over the same timed passes (all threads) are appended to it."""
    if len(ids) == 0:
        return None
    with torch.no_grad():
        model.forward(data_dev.batch(ids[:batch_size]), False)
        synchronize(torch, device)
        c0, t0 = time.process_time(), time.perf_counter()
        for start in range(0, len(ids), batch_size):
            detect, locate, _, _ = model.forward(data_dev.batch(ids[start : start + batch_size]), False)
        synchronize(torch, device)
        seconds = time.perf_counter() - t0
        if cpu_us is not None:
            cpu_us.append((time.process_time() - c0) * 1e6 / len(ids))
    return seconds * 1e6 / len(ids)


def make_optimizer(torch, model):
    c = model.config
    return torch.optim.Adam(list(model.params.values()), lr=c["learningRate"], betas=(c["adamBeta1"], c["adamBeta2"]), eps=c["adamEpsilon"])


def run_train(args):
    torch, device = setup_torch(args)
    data = load_windows(args.windows)
    split = read_split(args.split, data["W"])
    config, dims, params, bn, source = resolve_model(data, args.init, args.seed, args.variant)
    config = dict(config, batchSize=args.batch_size, maxEpochs=args.epochs, patience=args.patience, learningRate=args.lr)
    model = TorchEadro(torch, device, torch.float32, config, dims, params, bn)
    data_dev = DeviceData(torch, device, torch.float32, data)
    optimizer = make_optimizer(torch, model)
    rng = np.random.default_rng(args.seed)
    train_ids = split["train"]
    sel_ids = split["selection"]
    history = []
    diverged = None
    best = None
    best_score, best_loss, best_epoch, since = None, None, 0, 0
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(train_ids)
        sums = None
        synchronize(torch, device)
        t0 = time.perf_counter()
        for start in range(0, len(order), args.batch_size):
            ids = order[start : start + args.batch_size]
            losses = train_step(torch, model, optimizer, data_dev.batch(ids))
            weighted = torch.stack(losses) * len(ids)
            sums = weighted if sums is None else sums + weighted
        synchronize(torch, device)
        train_seconds = time.perf_counter() - t0
        sums = (sums / len(order)).cpu().numpy()
        if not np.all(np.isfinite(sums)):
            # A NaN/Inf loss poisons every later epoch: stop, keep the selected epoch, and say so.
            diverged = epoch
            history.append({"epoch": epoch, "trainLoss": float(sums[0]), "trainDetectLoss": float(sums[1]), "trainLocateLoss": float(sums[2]), "trainSeconds": train_seconds, "diverged": True})
            sys.stderr.write("epoch %d: training loss is not finite; stopped (selected epoch %d kept)\n" % (epoch, best_epoch))
            break
        val_loss, sel = float("nan"), {"f1": float("nan"), "hr1": float("nan"), "hr3": float("nan")}
        if len(sel_ids):
            anomaly, culprit, val_loss = predict(torch, model, data_dev, sel_ids, args.batch_size, with_loss=True)
            sel = selection_metrics(anomaly, rank_descending(culprit), data["labels"][sel_ids])
        score = selection_score(sel)
        improved = len(sel_ids) == 0 or best_score is None or score > best_score or (score == best_score and best_loss is not None and val_loss < best_loss)
        if improved:
            best_score, best_loss, best_epoch, since = score, val_loss, epoch, 0
            best = model.snapshot()
        else:
            since += 1
        log = {
            "epoch": epoch,
            "trainLoss": float(sums[0]),
            "trainDetectLoss": float(sums[1]),
            "trainLocateLoss": float(sums[2]),
            "valLoss": val_loss,
            "valF1": sel["f1"],
            "valHR1": sel["hr1"],
            "valHR3": sel["hr3"],
            "trainSeconds": train_seconds,
            "windowsPerSecond": len(order) / train_seconds if train_seconds > 0 else None,
            "improved": improved,
        }
        history.append(log)
        sys.stderr.write("epoch %d: train loss %.4f, val loss %.4f, val F1 %.3f, val HR@1 %.3f, %.0f windows/s%s\n" % (epoch, log["trainLoss"], val_loss, sel["f1"], sel["hr1"], log["windowsPerSecond"] or 0, " *" if improved else ""))
        if not improved and since >= args.patience:
            break
    if best is None:
        raise SystemExit("training diverged in epoch 1 (loss not finite): no epoch to select")
    model.restore(best)
    test_ids = split["test"]
    anomaly, culprit, test_loss = predict(torch, model, data_dev, test_ids, args.batch_size, with_loss=True)
    metrics = test_metrics(data["labels"][test_ids], anomaly, culprit) if len(test_ids) else {}
    infer_us = time_inference(torch, device, model, data_dev, test_ids, DEFAULTS["inferenceBatch"])
    epoch_seconds = [h["trainSeconds"] for h in history if not h.get("diverged")]
    result = {
        "format": FORMAT,
        "mode": "train",
        "device": str(device),
        "environment": environment(torch, device),
        "threads": torch.get_num_threads(),
        "dataset": dataset_summary(data),
        "split": {"protocol": split["protocol"], "params": split["params"], "modelSelection": split["modelSelection"], "train": len(train_ids), "selection": len(sel_ids), "test": len(test_ids)},
        "model": {"source": source, "config": config, "parameters": int(sum(int(np.prod(s)) for s in param_shapes(config, dims).values())), "edges": int(model.graph[0].shape[0])},
        "seed": args.seed,
        "epochsRun": len(history),
        "bestEpoch": best_epoch,
        "divergedAtEpoch": diverged,
        "history": history,
        "timings": {
            "epochSecondsMean": float(np.mean(epoch_seconds)) if epoch_seconds else None,
            "epochSecondsMedian": float(np.median(epoch_seconds)) if epoch_seconds else None,
            "trainWindowsPerSecondMedian": float(np.median([h["windowsPerSecond"] for h in history if h.get("windowsPerSecond")])) if any(h.get("windowsPerSecond") for h in history) else None,
            "inferenceMicrosecondsPerWindow": infer_us,
            "inferenceBatch": DEFAULTS["inferenceBatch"],
        },
        "testLoss": test_loss,
        "metrics": metrics,
        # Per test window (split order), so that other metrics (PR-AUC, per-kind rates) can be computed
        # by src/evaluation on exactly these outputs: P(anomalous) and the 5 services ranked first.
        "predictions": {
            "windows": [int(w) for w in test_ids],
            "anomalyProbability": [float(p) for p in anomaly],
            "top5": rank_descending(culprit)[:, :5].tolist() if len(test_ids) else [],
        },
    }
    write_json_atomic(args.out, clean_numbers(result))
    print(json.dumps(clean_numbers({"bestEpoch": best_epoch, "epochs": len(history), "metrics": {k: metrics.get(k) for k in ("det.precision", "det.recall", "det.f1", "loc.e2e.hr@1", "loc.e2e.hr@3", "loc.e2e.hr@5", "loc.oracle.hr@1")}, "timings": result["timings"]}), indent=2))
    return 0


def run_time(args):
    torch, device = setup_torch(args)
    data = load_windows(args.windows)
    config, dims, params, bn, source = resolve_model(data, args.init, args.seed, args.variant)
    model = TorchEadro(torch, device, torch.float32, config, dims, params, bn)
    data_dev = DeviceData(torch, device, torch.float32, data)
    optimizer = make_optimizer(torch, model)
    W, B = data["W"], args.batch_size
    if W == 0:
        raise InputError("No windows to time.", file=os.path.join(args.windows, "labels.npy"))
    if args.epochs is not None:
        return run_time_epochs(args, torch, device, data, config, dims, source, model, data_dev, optimizer)
    batches = [np.arange(s * B, (s + 1) * B) % W for s in range(DEFAULTS["warmupSteps"] + args.steps)]  # the first windows, wrapping
    for ids in batches[: DEFAULTS["warmupSteps"]]:
        train_step(torch, model, optimizer, data_dev.batch(ids))
    synchronize(torch, device)
    t0 = time.perf_counter()
    step_seconds = []
    for ids in batches[DEFAULTS["warmupSteps"] :]:
        s0 = time.perf_counter()
        train_step(torch, model, optimizer, data_dev.batch(ids))
        synchronize(torch, device)
        step_seconds.append(time.perf_counter() - s0)
    seconds = time.perf_counter() - t0
    infer_ids = np.arange(min(W, max(B, args.steps * B) ))
    infer_us = time_inference(torch, device, model, data_dev, infer_ids, B)
    result = {
        "format": FORMAT,
        "mode": "time",
        "device": str(device),
        "environment": environment(torch, device),
        "threads": torch.get_num_threads(),
        "dataset": dataset_summary(data),
        "model": {"source": source, "parameters": int(sum(int(np.prod(s)) for s in param_shapes(config, dims).values()))},
        "batchSize": B,
        "warmupSteps": DEFAULTS["warmupSteps"],
        "steps": args.steps,
        "timings": {
            "trainWindowsPerSecond": args.steps * B / seconds if seconds > 0 else None,
            "trainStepSecondsMedian": float(np.median(step_seconds)) if step_seconds else None,
            "inferenceMicrosecondsPerWindow": infer_us,
            "inferenceWindows": int(infer_ids.size),
        },
        "note": "synchronised after every timed step (cuda); data resident on the device; batches are the first windows, wrapping",
    }
    write_json_atomic(args.out, clean_numbers(result))
    print(json.dumps(clean_numbers(result["timings"]), indent=2))
    return 0


def run_time_epochs(args, torch, device, data, config, dims, source, model, data_dev, optimizer):
    """`time --split S --epochs E` (eadro bench --vs-pytorch): E full epochs over the split's training
    windows (NumPy-shuffled per epoch, batch B, the last batch partial as train.ts does), each timed
    wall-clock and CPU; then `--infer-repeats` eval-mode passes over the `--infer-part` windows at batch
    256 (median reported, every pass kept). Warm-up steps (untimed) come first, on training windows."""
    if args.split is None:
        raise InputError("time --epochs needs the split whose training windows it times.", field="--split", expected="SPLIT.json from prepare.ts or eadro bench --vs-pytorch")
    split = read_split(args.split, data["W"])
    train_ids = split["train"]
    infer_ids = split[args.infer_part]
    if len(infer_ids) == 0:
        raise InputError("The split part to time inference on is empty.", file=args.split, field=args.infer_part, expected="at least one window")
    B = args.batch_size
    rng = np.random.default_rng(args.seed)
    warm = rng.permutation(train_ids)
    for w in range(DEFAULTS["warmupSteps"]):
        ids = np.take(warm, np.arange(w * B, (w + 1) * B) % len(warm))
        train_step(torch, model, optimizer, data_dev.batch(ids))
    for _ in range(args.warmup_epochs):  # untimed full epochs (eadro bench --vs-pytorch: as many as ours takes)
        order = rng.permutation(train_ids)
        for start in range(0, len(order), B):
            train_step(torch, model, optimizer, data_dev.batch(order[start : start + B]))
    synchronize(torch, device)
    epochs = []
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(train_ids)
        c0, t0 = time.process_time(), time.perf_counter()
        for start in range(0, len(order), B):
            train_step(torch, model, optimizer, data_dev.batch(order[start : start + B]))
        synchronize(torch, device)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        epochs.append({"epoch": epoch, "windows": int(len(order)), "seconds": wall, "cpuSeconds": cpu, "windowsPerSecond": len(order) / wall if wall > 0 else None})
    infer_runs, infer_cpu = [], []
    for _ in range(args.infer_repeats):
        infer_runs.append(time_inference(torch, device, model, data_dev, infer_ids, DEFAULTS["inferenceBatch"], cpu_us=infer_cpu))
    total_windows = sum(e["windows"] for e in epochs)
    total_seconds = sum(e["seconds"] for e in epochs)
    result = {
        "format": FORMAT,
        "mode": "time-epochs",
        "device": str(device),
        "environment": environment(torch, device),
        "threads": torch.get_num_threads(),
        "dataset": dataset_summary(data),
        "split": {"train": int(len(train_ids)), "inferPart": args.infer_part, "infer": int(len(infer_ids))},
        "model": {"source": source, "variant": config.get("variant"), "selfLoops": self_loop_mode(config.get("selfLoops")), "edges": int(model.graph[0].shape[0]), "parameters": int(sum(int(np.prod(s)) for s in param_shapes(config, dims).values()))},
        "batchSize": B,
        "warmupSteps": DEFAULTS["warmupSteps"],
        "warmupEpochs": args.warmup_epochs,
        "epochs": epochs,
        "timings": {
            # windows/s over all timed epochs (wall); per-epoch figures in `epochs`
            "trainWindowsPerSecond": total_windows / total_seconds if total_seconds > 0 else None,
            "trainWindowsPerCpuSecond": total_windows / sum(e["cpuSeconds"] for e in epochs) if sum(e["cpuSeconds"] for e in epochs) > 0 else None,
            # microseconds per window, eval mode, batch 256: median of the passes, every pass kept
            "inferenceMicrosecondsPerWindow": float(np.median(infer_runs)),
            "inferenceMicrosecondsPerWindowRuns": infer_runs,
            "inferenceCpuMicrosecondsPerWindow": float(np.median(infer_cpu)),
            "inferenceBatch": DEFAULTS["inferenceBatch"],
            "inferenceWindows": int(len(infer_ids)),
        },
        "note": "full epochs over the split's training windows after untimed warm-up steps; data resident on the device; inference over the split part named, batch 256",
    }
    write_json_atomic(args.out, clean_numbers(result))
    print(json.dumps(clean_numbers(result["timings"]), indent=2))
    return 0


def read_first_step(path, data, config, dims):
    fs = read_json(path)
    if fs.get("format") != "eadro-ts-first-step/1":
        raise InputError("Unknown first-step format.", file=path, field="format", expected="eadro-ts-first-step/1", found=str(fs.get("format")))
    windows = _indices(fs["windows"], data["W"], path, "windows")
    if not np.array_equal(np.asarray(fs["labels"], dtype=np.int64), data["labels"][windows]):
        raise InputError("First-step labels differ from the windows' labels.", file=path, field="labels", expected="labels.npy at the batch's windows")
    shapes = param_shapes(config, dims)
    if set(fs["grads"].keys()) != set(shapes.keys()):
        raise InputError("First-step gradients do not name the model's parameters.", file=path, field="grads", expected=", ".join(shapes), found=", ".join(fs["grads"]))
    for n, s in shapes.items():
        if tuple(fs["grads"][n]["shape"]) != tuple(s):
            raise InputError("First-step gradient has the wrong shape.", file=path, field="grads." + n, expected=str(list(s)), found=str(fs["grads"][n]["shape"]))
    return fs, windows


def forward_checks(ops, to_numpy, config, params, bn, graph, batch, fs, rtol, atol, grads=None):
    """Compare a forward (and, when `grads` is given, the gradients) with the tfjs values."""
    checks = []
    detect, locate, _, stats = forward(ops, config, params, bn, graph, batch["logs"], batch["metrics"], batch["traces"], True)
    total, dl, ll = loss_parts(ops, config, detect, locate, batch["labels"])
    faulty = np.asarray(batch["labels"]) >= 0
    masked = faulty & (to_numpy(detect_margin(config, detect)) > 0) if config["locateMask"] == "predicted" else faulty
    # Informational: how many windows the localizer loss averaged over (0 would leave it untested).
    checks.append({"name": "locate.maskedWindows", "ok": True, "found": int(masked.sum()), "expected": None, "detail": "%s mask, %d faulty in the batch" % (config["locateMask"], int(faulty.sum()))})
    for name, got, want in (("loss.total", total, fs["losses"]["total"]), ("loss.detect", dl, fs["losses"]["detect"]), ("loss.locate", ll, fs["losses"]["locate"])):
        checks.append(compare(name, to_numpy(got), want, rtol, atol))
    checks.append(compare("train.detectLogits", to_numpy(detect), fs["train"]["detectLogits"]["values"], rtol, atol))
    checks.append(compare("train.locateLogits", to_numpy(locate), fs["train"]["locateLogits"]["values"], rtol, atol))
    for branch, want in sorted(fs["bnBatch"].items()):
        mean, var, rows = stats[branch]
        checks.append(compare("bn.%s.mean" % branch, to_numpy(mean), want["mean"], rtol, atol))
        checks.append(compare("bn.%s.variance" % branch, to_numpy(var), want["variance"], rtol, atol))
        checks.append({"name": "bn.%s.rows" % branch, "ok": rows == want["rows"], "found": rows, "expected": want["rows"]})
    if grads is not None:
        grads(total)
    edetect, elocate, _, _ = forward(ops, config, params, bn, graph, batch["logs"], batch["metrics"], batch["traces"], False)
    checks.append(compare("eval.detectLogits", to_numpy(edetect), fs["eval"]["detectLogits"]["values"], rtol, atol))
    checks.append(compare("eval.locateLogits", to_numpy(elocate), fs["eval"]["locateLogits"]["values"], rtol, atol))
    return checks


def run_check(args):
    torch, device = setup_torch(args)
    dtype = torch.float64 if args.dtype == "float64" else torch.float32
    data = load_windows(args.windows)
    if args.init is None:
        raise SystemExit("check needs --init (the checkpoint prepare.ts wrote beside FIRST_STEP.json)")
    config, dims, params, bn, source = resolve_model(data, args.init, args.seed, args.variant)
    fs, windows = read_first_step(args.batch, data, config, dims)
    model = TorchEadro(torch, device, dtype, config, dims, params, bn)
    data_dev = DeviceData(torch, device, dtype, data)
    batch = data_dev.batch(windows)
    grad_checks = []

    grad_scale = max(float(np.max(np.abs(np.asarray(g["values"], dtype=np.float64)))) for g in fs["grads"].values())

    def backward(total):
        total.backward()
        for name, p in model.params.items():
            g = p.grad if p.grad is not None else torch.zeros_like(p)
            got = g.detach().double().cpu().numpy()
            c = compare("grad." + name, got, fs["grads"][name]["values"], args.rtol, args.atol)
            if name.endswith(".conv.bias") and not c["ok"]:
                # A bias right before training-mode BatchNorm has an exact gradient of zero (the batch mean
                # removes it): both sides hold rounding noise, which is only required to be small.
                noise = max(float(np.max(np.abs(got))), c["scale"])
                c.update(ok=noise <= DEFAULTS["zeroGradNoise"] * grad_scale, exactlyZero=True, noise=noise)
            grad_checks.append(c)

    checks = forward_checks(model.ops, lambda t: t.detach().double().cpu().numpy(), config, model.params, model.bn, model.graph, batch, fs, args.rtol, args.atol, grads=backward)
    checks += grad_checks
    ok = all(c["ok"] for c in checks)
    worst = max((c for c in checks if c.get("maxRel") is not None), key=lambda c: c["maxRel"], default=None)
    result = {
        "format": FORMAT,
        "mode": "check",
        "ok": ok,
        "device": str(device),
        "dtype": args.dtype,
        "environment": environment(torch, device),
        "threads": torch.get_num_threads(),
        "dataset": dataset_summary(data),
        "model": {"source": source},
        "batch": {"file": os.path.abspath(args.batch), "windows": int(len(windows)), "tfjsBackend": fs.get("backend")},
        "tolerance": {"rtol": args.rtol, "atol": args.atol, "rule": "max|torch - tfjs| <= atol + rtol * max|tfjs| per tensor"},
        "worst": worst,
        "checks": checks,
    }
    write_json_atomic(args.out, clean_numbers(result))
    for c in checks:
        print("%-34s %s  maxAbs %-10s maxRel %s" % (c["name"], "ok  " if c["ok"] else "FAIL", _fmt(c.get("maxAbs")), _fmt(c.get("maxRel"))))
    print("check %s (%d tensors, worst %s maxRel %s)" % ("PASSED" if ok else "FAILED", len(checks), worst["name"] if worst else "-", _fmt(worst["maxRel"] if worst else None)))
    return 0 if ok else 1


def _fmt(x):
    return "-" if x is None else "%.3g" % x


# --------------------------------------------------------------------------------------------------
# selftest (torch-free)
# --------------------------------------------------------------------------------------------------


def hand_case_checks():
    """Metrics on a hand-made case with known answers (the same case test/scripts/pytorch.test.ts
    feeds to src/evaluation/metrics.ts)."""
    labels = np.array([-1, -1, 0, 1, 2, 2])
    flagged = np.array([False, True, True, False, True, True])
    culprit = np.array(
        [
            [0.4, 0.3, 0.2, 0.1],
            [0.1, 0.2, 0.3, 0.4],
            [0.7, 0.1, 0.1, 0.1],  # culprit 0 first
            [0.1, 0.6, 0.2, 0.1],  # culprit 1 first, but the detector missed it
            [0.5, 0.1, 0.3, 0.1],  # culprit 2 second
            [0.3, 0.3, 0.1, 0.3],  # culprit 2 fourth (ties: lower index first)
        ]
    )
    ranking = rank_descending(culprit)
    got = detection_metrics(labels, flagged)
    got.update(localization_metrics(labels, ranking, flagged))
    expected = {
        "det.tp": 3,
        "det.fp": 1,
        "det.fn": 1,
        "det.tn": 1,
        "det.precision": 0.75,
        "det.recall": 0.75,
        "det.f1": 0.75,
        "loc.oracle.hr@1": 0.5,
        "loc.oracle.hr@3": 0.75,
        "loc.oracle.hr@5": 1.0,
        "loc.e2e.hr@1": 0.25,
        "loc.e2e.hr@3": 0.5,
        "loc.e2e.hr@5": 0.75,
    }
    checks = []
    for k, v in expected.items():
        checks.append({"name": "metrics." + k, "ok": got[k] is not None and abs(got[k] - v) < 1e-12, "found": got[k], "expected": v})
    # GATv2's softmax shift must be per target: two self-looped nodes whose scores differ by 2,400 (float64
    # underflows past ~745) keep their own features; a shift by the global maximum gives 0/0 = NaN.
    gat_config = {"gatHeads": 1, "gatHidden": 1, "gatNegativeSlope": 0.2, "gatHeadCombine": "max", "gatActivation": "none"}
    gat_params = {"gat.wSrc": np.ones((1, 1)), "gat.bSrc": np.zeros(1), "gat.wDst": np.ones((1, 1)), "gat.bDst": np.zeros(1), "gat.attn": np.ones((1, 1))}
    gat_out = gatv2(NumpyOps(np.float64), gat_config, gat_params, graph_index(2, [[0, 1], [0, 1]], True), np.array([[1000.0], [-1000.0]]), 1, 2)
    checks.append({"name": "gat.per-target-shift", "ok": bool(np.all(np.isfinite(gat_out)) and np.allclose(gat_out.reshape(-1), [1000.0, -1000.0])), "found": gat_out.reshape(-1).tolist(), "expected": [1000.0, -1000.0]})
    # Self-loops (config.ts SelfLoops): the list's own loop on node 0 is kept by `as-listed` (the reference
    # variant: the official edge lists hold such loops), dropped by `none`; `every-node` adds all three.
    listed = [[0, 1, 2, 1], [0, 2, 1, 1]]  # loops 0->0 and 1->1 listed; edges 1->2, 2->1
    for mode, want in (("as-listed", [(0, 0), (1, 1), (2, 1), (1, 2)]), ("none", [(2, 1), (1, 2)]), ("every-node", [(0, 0), (1, 1), (2, 1), (1, 2), (2, 2)]), (False, [(2, 1), (1, 2)]), (True, [(0, 0), (1, 1), (2, 1), (1, 2), (2, 2)])):
        gs, gd = graph_index(3, listed, mode)
        found = sorted(zip(gs.tolist(), gd.tolist()))
        checks.append({"name": "graph.self-loops.%s" % str(mode).lower(), "ok": found == sorted(want), "found": found, "expected": sorted(want)})
    sel = selection_metrics(np.where(flagged, 0.9, 0.1), ranking, labels)
    checks.append({"name": "selection.f1", "ok": abs(sel["f1"] - 0.75) < 1e-12, "found": sel["f1"], "expected": 0.75})
    checks.append({"name": "selection.hr1", "ok": abs(sel["hr1"] - 0.5) < 1e-12, "found": sel["hr1"], "expected": 0.5})
    return checks, got


def run_selftest(args):
    checks = []
    data = load_windows(args.windows)
    checks.append({"name": "windows", "ok": True, "detail": "W=%d N=%d T=%d K=%d E=%d" % (data["W"], data["N"], data["T"], data["K"], data["E"])})
    split = None
    if args.split is not None:
        split = read_split(args.split, data["W"])
        checks.append({"name": "split", "ok": True, "detail": "train %d, selection %d, test %d" % (len(split["train"]), len(split["selection"]), len(split["test"]))})
        meta_split = data["meta"].get("split")
        if isinstance(meta_split, dict) and "train" in meta_split:
            same = all(list(meta_split.get(k, [])) == split[k].tolist() for k in ("train", "val", "test"))
            checks.append({"name": "split.matches-meta", "ok": same, "detail": "SPLIT.json equals meta.json's split"})
    config, dims, params, bn, source = resolve_model(data, args.init, args.seed, args.variant)  # checks names, shapes, dims, graph
    shapes = param_shapes(config, dims)
    checks.append({"name": "weights", "ok": True, "detail": "%s: %d tensors, %d parameters" % (source["kind"], len(params), sum(int(np.prod(s)) for s in shapes.values()))})
    fresh, fresh_bn = init_params(config, dims, args.seed)
    checks.append({"name": "init.shapes", "ok": all(tuple(fresh[n].shape) == tuple(s) for n, s in shapes.items()), "detail": "NumPy initial weights have the checkpoint's shapes"})
    src, dst = graph_index(dims["N"], dims["edges"], config["selfLoops"])
    checks.append({"name": "graph", "ok": True, "detail": "%d edges (%s, self-loops %s)" % (src.size, config["edgeDirection"], config["selfLoops"])})
    forward_summary = None
    if args.batch is not None:
        if args.init is None:
            raise SystemExit("selftest --batch needs --init (the checkpoint prepare.ts wrote beside FIRST_STEP.json)")
        fs, windows = read_first_step(args.batch, data, config, dims)
        edges_fs = fs.get("edges")
        if edges_fs is not None:
            fsrc, fdst = graph_index(dims["N"], edges_fs, config["selfLoops"])
            checks.append({"name": "graph.matches-first-step", "ok": bool(np.array_equal(fsrc, src) and np.array_equal(fdst, dst)), "detail": "edges tfjs computed on"})
        ops = NumpyOps(np.float64)
        p64 = OrderedDict((n, v.astype(np.float64)) for n, v in params.items())
        bn64 = {b: {s: v.astype(np.float64) for s, v in st.items()} for b, st in bn.items()}
        batch = {"logs": data["logs"][windows].astype(np.float64), "metrics": data["metrics"][windows].astype(np.float64), "traces": data["traces"][windows].astype(np.float64), "labels": data["labels"][windows]}
        fchecks = forward_checks(ops, lambda a: np.asarray(a), config, p64, bn64, (src, dst), batch, fs, args.rtol, args.atol)
        for c in fchecks:
            c["name"] = "numpy-forward." + c["name"]
        checks += fchecks
        forward_summary = {"windows": int(len(windows)), "worstRel": max((c["maxRel"] for c in fchecks if c.get("maxRel") is not None), default=None)}
    hand, hand_values = hand_case_checks()
    checks += hand
    ok = all(c["ok"] for c in checks)
    result = {
        "format": FORMAT,
        "mode": "selftest",
        "ok": ok,
        "environment": environment(),
        "dataset": dataset_summary(data),
        "config": config,
        "parameterShapes": {n: list(s) for n, s in shapes.items()},
        "forward": forward_summary,
        "handCase": hand_values,
        "checks": checks,
    }
    if args.out is not None:
        write_json_atomic(args.out, clean_numbers(result))
    print(json.dumps(clean_numbers(result), indent=2))
    return 0 if ok else 1


# --------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------


def build_parser():
    c = DEFAULTS["config"]
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode")
    sub.required = True

    def common(sp, needs_init=False):
        sp.add_argument("--windows", required=True, help="the .npy window directory prepare.ts --pack wrote")
        sp.add_argument("--init", required=needs_init, default=None, help="our checkpoint directory (weights.json, weights.bin, metadata.json)")
        sp.add_argument("--seed", type=int, default=0, help="seed of shuffling and of NumPy initial weights (without --init)")
        sp.add_argument("--variant", choices=("reference", "paper"), default=None, help="without --init: the variant to build (default reference); with --init: must be the checkpoint's")

    def torch_flags(sp):
        sp.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N")
        sp.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (CPU)")
        sp.add_argument("--out", required=True, help="RESULT.json")

    t = sub.add_parser("train", help="train, select on validation, test")
    common(t)
    t.add_argument("--split", required=True)
    t.add_argument("--epochs", type=int, default=c["maxEpochs"])
    t.add_argument("--batch-size", type=int, default=c["batchSize"])
    t.add_argument("--lr", type=float, default=c["learningRate"])
    t.add_argument("--patience", type=int, default=c["patience"])
    torch_flags(t)

    tm = sub.add_parser("time", help="training windows/s and inference us/window")
    common(tm)
    tm.add_argument("--steps", type=int, default=20)
    tm.add_argument("--batch-size", type=int, default=c["batchSize"])
    tm.add_argument("--split", default=None, help="with --epochs: SPLIT.json whose training windows are timed")
    tm.add_argument("--epochs", type=int, default=None, help="time this many full epochs over the split's training windows (instead of --steps)")
    tm.add_argument("--infer-part", choices=("test", "val", "train", "selection"), default="test", help="with --epochs: the split part inference is timed on")
    tm.add_argument("--warmup-epochs", type=int, default=0, help="with --epochs: untimed full epochs after the warm-up steps")
    tm.add_argument("--infer-repeats", type=int, default=DEFAULTS["inferRepeats"], help="with --epochs: inference passes (median reported)")
    torch_flags(tm)

    ck = sub.add_parser("check", help="one step against the tfjs values of FIRST_STEP.json")
    common(ck, needs_init=True)
    ck.add_argument("--batch", required=True, help="FIRST_STEP.json from prepare.ts")
    ck.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    ck.add_argument("--rtol", type=float, default=DEFAULTS["checkRtol"])
    ck.add_argument("--atol", type=float, default=DEFAULTS["checkAtol"])
    torch_flags(ck)

    st = sub.add_parser("selftest", help="torch-free checks of data, split, weights, forward (NumPy) and metrics")
    common(st)
    st.add_argument("--split", default=None)
    st.add_argument("--batch", default=None, help="FIRST_STEP.json: also run the NumPy forward against it")
    st.add_argument("--rtol", type=float, default=DEFAULTS["checkRtol"])
    st.add_argument("--atol", type=float, default=DEFAULTS["checkAtol"])
    st.add_argument("--out", default=None)
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    for flag in ("threads", "epochs", "batch_size", "steps", "patience", "infer_repeats", "warmup_epochs"):
        v = getattr(args, flag, None)
        if v is not None and v < (0 if flag in ("patience", "warmup_epochs") else 1):
            raise SystemExit("--%s must be a positive integer" % flag.replace("_", "-"))
    try:
        if args.mode == "train":
            return run_train(args)
        if args.mode == "time":
            return run_time(args)
        if args.mode == "check":
            return run_check(args)
        return run_selftest(args)
    except InputError as err:
        sys.stderr.write("%s\n" % err)
        return 2
    except NotImplementedError as err:
        sys.stderr.write("%s\n" % err)
        return 3


if __name__ == "__main__":
    sys.exit(main())
