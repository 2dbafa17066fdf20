#!/usr/bin/python3
"""Checks that torch_peer.py's liquid model computes what aura-seq's LiquidClassifier computes:
reads LiquidPeerDump's output (stdin), loads its weights into the peer's model, and compares the
logits, the loss and every gradient. Exits 1 when an element differs by more than 1e-5 of the
largest element (float rounding is about 1e-7). Use check-liquid-peer.sh, which runs both."""

import sys

import torch

sys.path.insert(0, __import__("os").path.dirname(__file__))
import torch_peer  # noqa: E402

H, F, C, T, B = 64, 28, 10, 28, 3


def main():
    torch.set_num_threads(1)
    d = {}
    for line in sys.stdin:
        name, *values = line.split()
        d[name] = torch.tensor([float(v) for v in values], dtype=torch.float32)
    model = torch_peer.build(torch, torch_peer.parse_args(["--model", "liquid"]))
    # (name, peer parameter, Java shape, the peer stores the transpose); Java's weights are input-major.
    params = [("liquid.U", model.U, (F, H), False), ("liquid.V", model.V, (F, H), False), ("liquid.W", model.W, (H, H), False),
              ("liquid.b", model.b, (H,), False), ("liquid.c", model.c, (H,), False),
              ("head.W", model.head.weight, (H, C), True), ("head.b", model.head.bias, (C,), False)]
    with torch.no_grad():
        for name, p, shape, transposed in params:
            w = d[name].view(*shape)
            p.copy_(w.t() if transposed else w)
    z = model(d["x"].view(T, B, F).transpose(0, 1))
    loss = torch.nn.functional.cross_entropy(z, torch.tensor([1, 4, 7]))
    loss.backward()
    checks = [("logits", z.detach(), d["z"].view(B, C)), ("loss", loss.detach().view(1), d["loss"])]
    for name, p, shape, transposed in params:
        checks.append(("grad " + name, p.grad.t() if transposed else p.grad, d["g:" + name].view(*shape)))
    worst = 0.0
    for name, ours, java in checks:
        err = float((ours - java).abs().max()) / max(float(java.abs().max()), 1e-30)
        worst = max(worst, err)
        print("%-14s max |peer - aura| / max |aura| = %.2e" % (name, err))
    if worst > 1e-5:
        print("MISMATCH: the peer does not compute aura-seq's liquid classifier", file=sys.stderr)
        sys.exit(1)
    print("ok: the peer's liquid classifier matches aura-seq's (logits, loss, all gradients)")


if __name__ == "__main__":
    main()
