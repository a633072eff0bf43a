"""Linear layers through oneDNN while generating on an x86 CPU.

Decoding multiplies a few rows (the group) by every weight matrix. For that shape
PyTorch's float32 `F.linear` on CPU goes to MKL's sgemm, which on the 2-core AMD EPYC
measured ran the student's LM head (8 x 576 by 576 x 49152) at 20 GFLOP/s, 22.4 ms, far
below what reading its 113 MB of weights allows; oneDNN, with the weight reordered once
into its blocked layout, ran the same product in 5.9 ms, and every shape of the student
2-4x faster when decoding and 1.3x faster at prefill sizes (benchmarks/bench_rollout.py
measures the whole step). The arithmetic is float32 either way (both within 4e-7 relative
of float64), only the order of the sums differs.

`OneDNNLinears` holds the reordered weights of a model and, inside `active()`, routes the
model's `nn.Linear` layers through them. A weight is reordered again only when it changed
(its tensor's version counter moves with every in-place update, an optimiser step
included), so a training run reorders once per step and an evaluation once. Reordering
copies the weights; when that copy would take more than `PACK_SHARE` of the machine's
memory the layers call oneDNN on the weights as they are (no copy, a smaller gain).

Anything the kernel does not cover falls back to `F.linear` per call: gradients, autocast,
another device or dtype. Modules that already carry their own `forward` (accelerate's
hooks) are left alone.
"""

from __future__ import annotations

import contextlib
import os
import platform
from collections.abc import Iterator
from functools import cache, partial

import torch
import torch.nn.functional as F
from torch import nn

# The largest share of physical memory the reordered copy of the weights may take.
PACK_SHARE = 0.125


@cache
def available() -> bool:
    """Whether this machine has the kernel: an x86 CPU (where it was measured faster) and
    a PyTorch built with oneDNN."""
    if platform.machine().lower() not in {"x86_64", "amd64"} or not torch.backends.mkldnn.is_available():
        return False
    try:
        x = torch.ones(2, 3)
        w = torch.ones(4, 3)
        packed = torch.ops.mkldnn._reorder_linear_weight(w, 2)
        out = torch.ops.mkldnn._linear_pointwise(x, packed, None, "none", [], "")
    except (AttributeError, RuntimeError, NotImplementedError):
        return False
    return bool(torch.equal(out, torch.full((2, 4), 3.0)))


def _memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def _forward(module: nn.Linear, weight: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    own = module.weight
    if (
        x.dtype != own.dtype
        or x.device.type != "cpu"
        or (torch.is_grad_enabled() and (x.requires_grad or own.requires_grad))
        or torch.is_autocast_enabled("cpu")
    ):
        return F.linear(x, own, module.bias)
    flat = x.reshape(-1, x.shape[-1])
    out = torch.ops.mkldnn._linear_pointwise(flat, weight, module.bias, "none", [], "")
    return out.view(*x.shape[:-1], out.shape[-1])


class OneDNNLinears:
    """The reordered weights of `model`'s float32 CPU linear layers (see the module
    docstring). `rows` is the batch size the layout is tuned for (any size works)."""

    def __init__(self, model: nn.Module, *, rows: int = 8):
        self.model, self.rows = model, rows
        self._weights: dict[nn.Linear, tuple[tuple[int, int], torch.Tensor]] = {}
        self.reorders = 0  # weights reordered so far (tests and benchmarks read it)

    def _layers(self) -> list[nn.Linear]:
        return [
            m
            for m in self.model.modules()
            if isinstance(m, nn.Linear)
            and "forward" not in m.__dict__
            and m.weight.device.type == "cpu"
            and m.weight.dtype == torch.float32
        ]

    def _pack(self, layers: list[nn.Linear]) -> bool:
        size = sum(m.weight.numel() * m.weight.element_size() for m in layers)
        return size <= PACK_SHARE * _memory_bytes()

    def _weight(self, module: nn.Linear, pack: bool) -> torch.Tensor:
        weight = module.weight.detach()
        if not pack:
            return weight
        key = (weight.data_ptr(), weight._version)
        held = self._weights.get(module)
        if held is None or held[0] != key:
            held = (key, torch.ops.mkldnn._reorder_linear_weight(weight, self.rows))
            self._weights[module] = held
            self.reorders += 1
        return held[1]

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """Route the model's linear layers through oneDNN until the block ends."""
        # Under autocast every call would take the plain path: reordering would be wasted.
        layers = self._layers() if available() and not torch.is_autocast_enabled("cpu") else []
        pack = self._pack(layers)
        for module in layers:
            module.__dict__["forward"] = partial(_forward, module, self._weight(module, pack))
        try:
            yield
        finally:
            for module in layers:
                module.__dict__.pop("forward", None)

    def release(self) -> None:
        """Drop the reordered weights (they are as large as the weights)."""
        self._weights.clear()
