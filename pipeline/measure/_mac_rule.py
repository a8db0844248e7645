"""The MAC-counting rule: which traced aten ops count, and how many multiply-accumulates each is.

The rule. One MAC is one product that is accumulated into a sum of products: the inner loop of a
convolution (plain, grouped, depthwise, dilated, transposed; module or functional), a linear layer
and every matrix product (`matmul`, `mm`, `bmm`, `addmm`, `baddbmm`, `einsum`,
`scaled_dot_product_attention`). That is what papers mean by "FLOPs" when they publish
multiply-accumulates, and what dominates the arithmetic of these models.

Everything else counts zero MACs, on purpose, and is listed in `ZERO_MAC_OPS` by category:
normalisation, activations, softmax, element-wise arithmetic, reductions, pooling, resampling,
data movement and random numbers. None of these multiplies-and-accumulates (a mean is additions,
`a * b` is one product that is not summed with others), BatchNorm folds into the preceding conv at
deployment, and counting them with made-up weights (fvcore's defaults count 5 per LayerNorm element
and 4 per bilinear output) would mix units into a number we name "MACs". Their cost is real but
memory-bound; the coverage audit reports their share of the run time instead.

An op in neither table is "unsupported": the counter cannot see it and it may hide MACs. The
coverage audit lists those with call counts and time share.

Handles receive the traced graph's values (`torch._C.Value`) and return a MAC count. Counting from
the OUTPUT shape times the contracted length handles broadcasting and 1-D operands uniformly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

Handle = Callable[[list[Any], list[Any]], int]


def _shape(value: Any) -> list[int]:
    shape = value.type().sizes() if value.isCompleteTensor() else None
    if shape is None:
        raise ValueError(f"traced value {value.debugName()!r} has no complete shape")
    return list(shape)


def _matmul_like(left: int) -> Handle:
    """A matrix product whose left operand is `inputs[left]` (…, n, k): output elements × k."""

    def handle(inputs: list[Any], outputs: list[Any]) -> int:
        k = _shape(inputs[left])[-1]
        return math.prod(_shape(outputs[0])) * k

    return handle


def linear_macs(inputs: list[Any], outputs: list[Any]) -> int:
    """`aten::linear(x, weight, bias)`: every output element is a dot product of length in_features."""
    weight = _shape(inputs[1])
    return math.prod(_shape(outputs[0])) * weight[-1]


def conv_macs_from_shapes(x: Sequence[int], weight: Sequence[int], out: Sequence[int], transposed: bool) -> int:
    """MACs of a convolution: each weight element meets one position per output (input if transposed).

    `weight` is (C_out, C_in/groups, *k) for a plain conv and (C_in, C_out/groups, *k) for a
    transposed one, so `prod(weight)` already includes the effect of groups.
    """
    positions = x[2:] if transposed else out[2:]
    return int(x[0] * math.prod(weight) * math.prod(positions))


def _conv_handle(transposed_index: int | None, always_transposed: bool = False) -> Handle:
    def handle(inputs: list[Any], outputs: list[Any]) -> int:
        if transposed_index is None:
            transposed = always_transposed
        else:
            transposed = bool(inputs[transposed_index].toIValue())
        return conv_macs_from_shapes(_shape(inputs[0]), _shape(inputs[1]), _shape(outputs[0]), transposed)

    return handle


def einsum_macs_from_equation(equation: str, shapes: Sequence[Sequence[int]]) -> int:
    """MACs of an einsum contracted pairwise from left to right (torch's order without opt_einsum).

    Each pairwise step costs the product of the sizes of every index in either operand; a
    single-operand einsum (a transpose or a sum) costs nothing.
    """
    equation = equation.replace(" ", "")
    lhs, _, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum {equation!r}: {len(terms)} terms for {len(shapes)} operands")
    sizes: dict[str, int] = {}
    expanded: list[str] = []
    ellipsis_rank = max((len(s) - len(t.replace("...", "")) for t, s in zip(terms, shapes) if "..." in t), default=0)
    # Ellipsis dimensions become upper-case letters, right-aligned and broadcast like torch does.
    spare = [chr(ord("A") + i) for i in range(ellipsis_rank)]
    for term, shape in zip(terms, shapes):
        if "..." in term:
            rank = len(shape) - len(term.replace("...", ""))
            term = term.replace("...", "".join(spare[ellipsis_rank - rank :]))
        if len(term) != len(shape):
            raise ValueError(f"einsum {equation!r}: term {term!r} does not match shape {list(shape)}")
        for letter, size in zip(term, shape):
            sizes[letter] = max(sizes.get(letter, 1), int(size))
        expanded.append(term)
    if "->" in equation:
        output = rhs.replace("...", "".join(spare))
    else:
        counts = {c: lhs.count(c) for c in set(lhs.replace(".", "").replace(",", ""))}
        output = "".join(spare) + "".join(sorted(c for c, n in counts.items() if n == 1))
    if len(expanded) == 1:
        return 0
    macs = 0
    current = expanded[0]
    for i, term in enumerate(expanded[1:], start=1):
        joined = set(current) | set(term)
        macs += math.prod(sizes[c] for c in joined)
        needed = set(output).union(*(set(t) for t in expanded[i + 1 :]))
        current = "".join(c for c in sorted(joined) if c in needed)
    return macs


def einsum_macs(inputs: list[Any], outputs: list[Any]) -> int:
    equation = inputs[0].toIValue()
    operands = list(inputs[1].node().inputs())
    return einsum_macs_from_equation(equation, [_shape(v) for v in operands])


def sdpa_macs(inputs: list[Any], outputs: list[Any]) -> int:
    """`softmax(q kᵀ) v`: L·S·E for the scores plus L·S·Ev for the weighted sum, per batch×head.

    A causal mask is counted as full attention: what an implementation skips is its business.
    """
    q, k, v = (_shape(inputs[i]) for i in range(3))
    batch = math.prod(_shape(outputs[0])[:-2])
    length, source = q[-2], k[-2]
    return batch * length * source * (q[-1] + v[-1])


# Ops that multiply-accumulate, and their counting handles.
MAC_HANDLES: dict[str, Handle] = {
    "aten::_convolution": _conv_handle(transposed_index=6),
    "aten::convolution": _conv_handle(transposed_index=6),
    "aten::conv1d": _conv_handle(None),
    "aten::conv2d": _conv_handle(None),
    "aten::conv3d": _conv_handle(None),
    "aten::conv_transpose1d": _conv_handle(None, always_transposed=True),
    "aten::conv_transpose2d": _conv_handle(None, always_transposed=True),
    "aten::conv_transpose3d": _conv_handle(None, always_transposed=True),
    "aten::linear": linear_macs,
    "aten::matmul": _matmul_like(0),
    "aten::mm": _matmul_like(0),
    "aten::bmm": _matmul_like(0),
    "aten::addmm": _matmul_like(1),
    "aten::baddbmm": _matmul_like(1),
    "aten::einsum": einsum_macs,
    "aten::scaled_dot_product_attention": sdpa_macs,
}

# Ops that count zero MACs by the rule above, by category (the audit groups run time this way).
ZERO_MAC_OPS: dict[str, tuple[str, ...]] = {
    "normalization": (
        "batch_norm", "group_norm", "layer_norm", "instance_norm", "native_layer_norm", "rms_norm",
        "normalize",
    ),
    "activation": (
        "relu", "relu_", "gelu", "gelu_", "sigmoid", "sigmoid_", "tanh", "hardswish", "hardswish_",
        "hardsigmoid", "leaky_relu", "leaky_relu_", "silu", "silu_", "elu", "softplus", "relu6",
        "hardtanh", "hardtanh_", "clamp", "clamp_", "clamp_min", "clamp_min_", "clamp_max",
    ),
    "softmax": ("softmax", "log_softmax", "_softmax"),
    "elementwise": (
        "add", "add_", "sub", "sub_", "rsub", "mul", "mul_", "div", "div_", "neg", "pow", "sqrt",
        "rsqrt", "exp", "log", "abs", "reciprocal", "square", "where", "masked_fill", "masked_fill_",
        "eq", "ne", "lt", "le", "gt", "ge", "floor", "floor_divide", "remainder", "sign", "addcmul",
        "addcdiv", "lerp",
    ),
    "reduction": (
        "sum", "mean", "amax", "amin", "max", "min", "norm", "linalg_vector_norm", "std", "var",
        "argmax", "cumsum", "logsumexp", "prod",
    ),
    "pooling": ("avg_pool1d", "avg_pool2d", "max_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
                "adaptive_max_pool2d", "max_pool2d_with_indices"),
    "resampling": ("upsample_bilinear2d", "upsample_nearest2d", "upsample_bicubic2d", "grid_sampler",
                   "pixel_shuffle", "pixel_unshuffle"),
    "data movement": (
        "view", "reshape", "permute", "transpose", "t", "flatten", "unflatten", "squeeze", "unsqueeze",
        "unsqueeze_", "contiguous", "cat", "stack", "chunk", "split", "split_with_sizes", "unbind",
        "select", "slice", "narrow", "expand", "expand_as", "repeat", "repeat_interleave", "flip", "roll",
        "pad", "constant_pad_nd", "reflection_pad2d", "replication_pad2d", "copy_", "clone", "to",
        "type_as", "detach", "index", "index_select", "gather", "unfold", "im2col", "col2im", "diagonal",
        "tril", "triu", "dropout", "feature_dropout", "alpha_dropout", "view_as", "movedim", "size",
        "zeros", "zeros_like", "ones", "ones_like", "full", "full_like", "empty", "empty_like",
        "new_zeros", "new_ones", "new_full", "new_empty", "arange", "linspace", "eye", "fill_", "zero_",
        "Int", "ScalarImplicit", "scalar_tensor", "masked_select", "meshgrid",
    ),
    "random": ("rand", "randn", "rand_like", "randn_like", "bernoulli", "bernoulli_", "normal_", "uniform_"),
}

ZERO_MAC_CATEGORY: dict[str, str] = {
    f"aten::{name}": category for category, names in ZERO_MAC_OPS.items() for name in names
}

# The profiler sees a module conv as `aten::conv2d` → `aten::convolution` → `aten::_convolution`,
# the tracer only as `aten::_convolution`: name both the same so their rows merge.
PROFILER_ALIASES: dict[str, str] = {
    name: "aten::_convolution"
    for name in (
        "aten::conv1d", "aten::conv2d", "aten::conv3d", "aten::convolution",
        "aten::conv_transpose1d", "aten::conv_transpose2d", "aten::conv_transpose3d",
    )
}

COUNTED = "counted"
ZERO_BY_RULE = "zero by rule"
UNSUPPORTED = "unsupported"


def op_status(op: str) -> str:
    """`counted`, `zero by rule` or `unsupported` for an aten op name such as `aten::softmax`."""
    if op in MAC_HANDLES:
        return COUNTED
    if op in ZERO_MAC_CATEGORY:
        return ZERO_BY_RULE
    return UNSUPPORTED


def op_category(op: str) -> str:
    """The op's row group in the audit: `MACs`, a zero-MAC category, or `unsupported`."""
    if op in MAC_HANDLES:
        return "MACs"
    return ZERO_MAC_CATEGORY.get(op, UNSUPPORTED)
