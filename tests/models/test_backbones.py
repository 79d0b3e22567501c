"""Denoiser backbones: shapes, determinism, time use, and the tree-aligned convolution."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from slopscope import SlopscopeError
from slopscope.diffusion import get_family
from slopscope.models import build_denoiser

V, D = 5, 16
FAMILIES = ["masked", "uniform", "gaussian"]
BACKBONES = ["transformer", "unet"]


def _inputs(fam, batch=6, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x0 = torch.randint(0, V, (batch, D), generator=gen)
    t = torch.rand(batch, generator=gen) * 0.9 + 0.05
    return fam.corrupt(x0, t, gen), t


@pytest.mark.parametrize("backbone", BACKBONES)
@pytest.mark.parametrize("family", FAMILIES)
def test_every_backbone_serves_every_family(backbone, family):
    fam = get_family(family, v=V, d=D, **({} if family == "masked" else {"chain_length": 10}))
    net = build_denoiser(fam, backbone, seed=0)
    x_t, t = _inputs(fam)
    out = net(x_t, t)
    assert out.shape == (6, D, V) and torch.isfinite(out).all()
    fam.loss(net, torch.randint(0, V, (6, D)), torch.Generator().manual_seed(0)).backward()
    assert all(p.grad is not None for p in net.parameters())


@pytest.mark.parametrize("backbone", BACKBONES)
def test_initialisation_is_a_function_of_the_seed_only(backbone):
    fam = get_family("masked", v=V, d=D)
    torch.manual_seed(123)  # the global RNG must not matter
    a = build_denoiser(fam, backbone, seed=4).state_dict()
    torch.manual_seed(999)
    b = build_denoiser(fam, backbone, seed=4).state_dict()
    c = build_denoiser(fam, backbone, seed=5).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


@pytest.mark.parametrize("backbone", BACKBONES)
def test_time_is_used_only_by_families_that_need_it(backbone):
    masked = build_denoiser(get_family("masked", v=V, d=D), backbone, seed=0)
    uniform = build_denoiser(get_family("uniform", v=V, d=D), backbone, seed=0)
    x = torch.randint(0, V, (3, D))
    t1, t2 = torch.full((3,), 0.2), torch.full((3,), 0.8)
    assert masked.time is None and torch.equal(masked(x, t1), masked(x, t2))
    assert not torch.allclose(uniform(x, t1), uniform(x, t2))


@pytest.mark.parametrize("backbone", BACKBONES)
def test_every_output_position_sees_every_input_position(backbone):
    """Bidirectional context: d output[0] / d embedding[i] is non-zero for every i."""
    net = build_denoiser(get_family("uniform", v=V, d=D), backbone, seed=0)
    captured = {}

    def keep(module, inputs, output):
        output.retain_grad()
        captured["embedding"] = output

    net.embed.register_forward_hook(keep)
    out = net(torch.randint(0, V, (1, D)), torch.full((1,), 0.5))
    out[0, 0].sum().backward()
    assert (captured["embedding"].grad[0].abs().sum(-1) > 0).all()


def test_unet_down_block_is_a_kernel_equals_stride_convolution():
    net = build_denoiser(get_family("masked", v=V, d=D), "unet", seed=0, branching=2, width=8)
    down = net.downs[0]
    h = torch.randn(3, D, 8)
    normed = down.norm(h)
    # Linear over the flattened (s, C) block == conv1d with weight[out, in, tap]
    weight = down.conv.weight.view(8, 2, 8).permute(0, 2, 1)
    conv = F.conv1d(normed.transpose(1, 2), weight, down.conv.bias, stride=2).transpose(1, 2)
    torch.testing.assert_close(down.conv(normed.reshape(3, D // 2, 16)), conv)
    assert len(net.downs) == len(net.ups) == 4  # one block per grammar level (2**4 = 16)


def test_unet_needs_d_to_be_a_power_of_the_branching():
    with pytest.raises(SlopscopeError, match="d=12 is not a power of branching=2"):
        build_denoiser(get_family("masked", v=V, d=12), "unet")
    net = build_denoiser(get_family("masked", v=V, d=27), "unet", branching=3, width=16)
    assert len(net.downs) == 3


def test_bad_backbone_options_are_rejected():
    fam = get_family("masked", v=V, d=D)
    with pytest.raises(SlopscopeError, match="backbone='mlp'"):
        build_denoiser(fam, "mlp")
    with pytest.raises(SlopscopeError, match="width=30 is not divisible by heads=4"):
        build_denoiser(fam, width=30, heads=4)
    with pytest.raises(SlopscopeError, match="bad option for backbone"):
        build_denoiser(fam, depth=3)


def test_default_models_are_small_cpu_models():
    fam = get_family("masked", v=16, d=16)
    sizes = {b: sum(p.numel() for p in build_denoiser(fam, b).parameters()) for b in BACKBONES}
    assert 50_000 < sizes["transformer"] < 200_000  # 103k at width 64, 2 layers
    assert 50_000 < sizes["unet"] < 300_000  # 221k at width 64


def test_the_registry_holds_networks_and_controls_and_a_backbone_takes_what_it_needs():
    from types import SimpleNamespace

    from slopscope.models import MODELS

    assert [name for name, m in MODELS.items() if not m.trains] == ["oracle"]
    assert MODELS["oracle"].needs_grammar and not MODELS["unet"].needs_grammar
    grammar = SimpleNamespace(s=3)
    assert MODELS["unet"].options_for({"width": 8}, grammar) == {"width": 8, "branching": 3}
    assert MODELS["unet"].options_for({"branching": 2}, grammar) == {"branching": 2}
    assert MODELS["unet"].options_for({}, None) == {}
    assert MODELS["transformer"].options_for({}, grammar) == {}
