#!/usr/bin/python3
"""PyTorch CPU peer of aura-seq's training speed on sequential Fashion-MNIST.

Trains, on the CPU with an explicit thread count, either an LSTM classifier (last state -> Linear
-> 10 classes) or the seed's liquid cell as aura-seq's TrainableLiquidCell computes it:

    p   = U x + b,  a = V x + c                      (input-major weights: x @ U)
    tau = clamp(tauMin + softplus(a), tauMin, tauMax)
    s   = tanh(W h + p)
    h  <- h + dt (s - h / tau)                        one Euler unfold of dt per regular step
    logits = W_head h_T + b_head,  mean softmax cross-entropy

on 28 rows of 28 pixels / 255 per image, Adam (lr 1e-3), and reports training sequences per second
over a fixed number of timed batches after a warm-up, and optionally the test accuracy after some
epochs. It prints exactly one JSON object on stdout; progress, if any, goes to stderr.

    /usr/bin/python3 aura-bench/seq/torch_peer.py --model liquid --threads 1
    /usr/bin/python3 aura-bench/seq/torch_peer.py --model lstm --threads 2 --epochs 1

See README.md beside this file for every option and output key.
"""

import argparse
import gzip
import json
import math
import os
import platform
import struct
import sys
import time

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"
STEPS = 28
FEATURES = 28
CLASSES = 10


def fail(message):
    print("torch_peer.py: " + message, file=sys.stderr)
    sys.exit(2)


def parse_args(argv):
    p = argparse.ArgumentParser(description="PyTorch CPU peer: training speed on sequential Fashion-MNIST")
    p.add_argument("--model", choices=["lstm", "liquid"], required=True)
    p.add_argument("--threads", type=int, default=1, help="intra-op threads (torch.set_num_threads); default 1")
    p.add_argument("--interop-threads", type=int, default=None,
                   help="inter-op threads (torch.set_num_interop_threads); default: same as --threads")
    p.add_argument("--hidden", type=int, default=None, help="state size; default 128 (lstm) or 64 (liquid)")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--clip-norm", type=float, default=None,
                   help="global gradient-norm clipping; default 1.0 for liquid (as aura-seq's benchmark), off for lstm; 0 = off")
    p.add_argument("--warmup-batches", type=int, default=5)
    p.add_argument("--timed-batches", type=int, default=40)
    p.add_argument("--epochs", type=int, default=0, help="train this many epochs after the timing and report test accuracy")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--script", action="store_true",
                   help="liquid only: run the time loop as TorchScript (torch.jit.script) instead of eager Python")
    p.add_argument("--tau-min", type=float, default=0.02)
    p.add_argument("--tau-max", type=float, default=2.0)
    p.add_argument("--dt", type=float, default=0.02)
    p.add_argument("--input-scale", type=float, default=1.0)
    p.add_argument("--recurrent-scale", type=float, default=0.9)
    p.add_argument("--data", default=os.environ.get("FASHION_MNIST_DIR", DEFAULT_DATA),
                   help="directory of the IDX files (default $FASHION_MNIST_DIR or " + DEFAULT_DATA + ")")
    a = p.parse_args(argv)
    if a.threads < 1:
        p.error("--threads must be >= 1")
    if a.interop_threads is None:
        a.interop_threads = a.threads
    if a.interop_threads < 1:
        p.error("--interop-threads must be >= 1")
    if a.hidden is None:
        a.hidden = 128 if a.model == "lstm" else 64
    if a.hidden < 1 or a.batch < 1 or a.warmup_batches < 0 or a.timed_batches < 1 or a.epochs < 0:
        p.error("--hidden, --batch and --timed-batches must be >= 1; --warmup-batches and --epochs >= 0")
    if not a.lr > 0:
        p.error("--lr must be > 0")
    if a.clip_norm is None:
        a.clip_norm = 1.0 if a.model == "liquid" else 0.0
    if a.clip_norm < 0:
        p.error("--clip-norm must be >= 0")
    if not (0 < a.tau_min <= a.tau_max) or not (0 < a.dt <= a.tau_min):
        p.error("need 0 < tauMin <= tauMax and 0 < dt <= tauMin")
    if a.script and a.model != "liquid":
        p.error("--script applies to --model liquid only")
    return a


def read_idx(path, expected_dims):
    """An IDX file (gzip) as (dims, bytes); checks the magic number and the size."""
    if not os.path.isfile(path):
        fail(path + " not found: install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist) "
             "or pass --data DIR / set FASHION_MNIST_DIR")
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4:
        fail(path + ": too short for an IDX header")
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08 or ndim != expected_dims:
        fail("%s: not an unsigned-byte IDX file with %d dimensions (magic %02x %02x %d)" % (path, expected_dims, zero, dtype, ndim))
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    body = raw[4 + 4 * ndim:]
    if len(body) != math.prod(dims):
        fail("%s: %d data bytes, expected %d for dimensions %s" % (path, len(body), math.prod(dims), dims))
    return dims, body


def load_split(torch, directory, prefix):
    """Images as a float tensor [n, 28, 28] of pixels / 255 (rows are the time steps) and labels [n]."""
    idims, ibody = read_idx(os.path.join(directory, prefix + "-images-idx3-ubyte.gz"), 3)
    ldims, lbody = read_idx(os.path.join(directory, prefix + "-labels-idx1-ubyte.gz"), 1)
    if idims[0] != ldims[0] or idims[1:] != (STEPS, FEATURES):
        fail("%s: %s images and %s labels do not match 28 x 28 images with one label each" % (prefix, idims, ldims))
    x = torch.frombuffer(bytearray(ibody), dtype=torch.uint8).reshape(idims[0], STEPS, FEATURES).float().div_(255.0)
    y = torch.frombuffer(bytearray(lbody), dtype=torch.uint8).long()
    if int(y.max()) >= CLASSES:
        fail("%s: a label is %d, expected 0..9" % (prefix, int(y.max())))
    return x, y


def resting_tau_biases(h, tau_min, tau_max):
    """aura-core's LiquidCell.restingTimeConstantBiases: time constants log-uniform over
    [min(2.5 tauMin, tauMax), 0.75 tauMax] for a zero input, as softplus inverses."""
    lo = math.log(min(tau_max, 2.5 * tau_min))
    hi = math.log(max(math.exp(lo), 0.75 * tau_max))
    out = []
    for j in range(h):
        frac = 0.5 if h == 1 else j / (h - 1)
        tau = math.exp(lo + frac * (hi - lo))
        sp = max(tau - tau_min, 1e-4)
        out.append(sp if sp > 20 else math.log(math.expm1(sp)))
    return out


def build(torch, a):
    nn = torch.nn

    class LstmClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(FEATURES, a.hidden, batch_first=True)
            self.head = nn.Linear(a.hidden, CLASSES)

        def forward(self, x):
            _, (h, _) = self.lstm(x)
            return self.head(h[-1])

    def liquid_loop(p, a_, w, tau_min: float, tau_max: float, dt: float):
        # p, a_: time-major [steps, batch, H]; w: [H, H] input-major (h @ w is W h, weight (i, j) from h_i to unit j).
        tau = torch.clamp(tau_min + torch.nn.functional.softplus(a_), tau_min, tau_max)
        inv_tau = 1.0 / tau
        h = torch.zeros(p.shape[1], p.shape[2], dtype=p.dtype)
        for t in range(p.shape[0]):
            s = torch.tanh(torch.addmm(p[t], h, w))
            h = h + dt * (s - h * inv_tau[t])
        return h

    loop = torch.jit.script(liquid_loop) if a.script else liquid_loop

    class LiquidClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            hd = a.hidden
            self.U = nn.Parameter(torch.empty(FEATURES, hd))
            self.V = nn.Parameter(torch.empty(FEATURES, hd))
            self.W = nn.Parameter(torch.empty(hd, hd))
            self.b = nn.Parameter(torch.zeros(hd))
            self.c = nn.Parameter(torch.tensor(resting_tau_biases(hd, a.tau_min, a.tau_max), dtype=torch.float32))
            self.head = nn.Linear(hd, CLASSES)
            # aura-seq's scheme (same distributions, not the same draws): U Xavier-uniform x inputScale,
            # V normal(0, 0.5 / sqrt(in)), W orthogonal x recurrentScale, b 0, head Xavier-uniform, bias 0.
            with torch.no_grad():
                bound = a.input_scale * math.sqrt(6.0 / (FEATURES + hd))
                self.U.uniform_(-bound, bound)
                self.V.normal_(0.0, 0.5 / math.sqrt(FEATURES))
                nn.init.orthogonal_(self.W, gain=a.recurrent_scale)
                nn.init.xavier_uniform_(self.head.weight)
                self.head.bias.zero_()

        def forward(self, x):
            # The input projections of all steps in one product each; the recurrence runs step by step.
            xt = x.transpose(0, 1)
            p = torch.matmul(xt, self.U) + self.b
            a_ = torch.matmul(xt, self.V) + self.c
            return self.head(loop(p, a_, self.W, a.tau_min, a.tau_max, a.dt))

    return LstmClassifier() if a.model == "lstm" else LiquidClassifier()


def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def blas_library():
    """The BLAS shared library this process has loaded (the file /proc/self/maps names), or None.
    Debian's torch calls whichever libblas.so.3 the alternatives system (or LD_LIBRARY_PATH) points
    to: OpenBLAS, or the reference BLAS, some 30 times slower at these products."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as f:
            paths = {line.split()[-1] for line in f if line.rstrip().endswith(".so") or ".so." in line}
    except OSError:
        return None
    for key in ("openblas", "blis", "mkl", "atlas", "libblas"):
        hits = sorted(p for p in paths if key in os.path.basename(p).lower() or key in p.lower().split("/")[-2:-1])
        if hits:
            return os.path.realpath(hits[0])
    return None


def load_average():
    """The 1-minute load average when the timing starts (a busy machine slows the peer), or None."""
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def main(argv):
    a = parse_args(argv)
    # OpenBLAS (and an OpenMP or MKL runtime) reads its thread count when it loads and does not
    # follow torch.set_num_threads, so the count is fixed before torch is imported.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(a.threads)
    import torch  # after argument parsing, so that --help works without torch

    # Both before any parallel work: set_num_interop_threads fails once the pool has started.
    torch.set_num_interop_threads(a.interop_threads)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    blas = blas_library()
    if blas is not None and "openblas" not in blas.lower() and "mkl" not in blas.lower() and "blis" not in blas.lower():
        print("torch_peer.py: torch runs on %s, which looks like the reference BLAS; for a fair peer install "
              "OpenBLAS (apt-get install libopenblas0-pthread)" % blas, file=sys.stderr)
    x_train, y_train = load_split(torch, a.data, "train")
    x_test, y_test = load_split(torch, a.data, "t10k")
    model = build(torch, a)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    params = list(model.parameters())
    n = x_train.shape[0]
    gen = torch.Generator().manual_seed(a.seed)

    def step(xb, yb):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        if a.clip_norm > 0:
            torch.nn.utils.clip_grad_norm_(params, a.clip_norm)
        opt.step()
        return loss

    def batches():
        """Full batches of a fresh shuffled order, the last partial one included."""
        order = torch.randperm(n, generator=gen)
        for i in range(0, n, a.batch):
            idx = order[i:i + a.batch]
            yield x_train[idx], y_train[idx]

    # Speed: warm-up then timed batches on full batches of real data, each a whole training step.
    # Each batch is gathered before the clock starts, so the time is the step's alone.
    order = torch.randperm(n, generator=gen)
    need = a.warmup_batches + a.timed_batches
    timing = []
    for k in range(need):
        idx = order[(k * a.batch) % n:][:a.batch]
        if idx.shape[0] < a.batch:
            idx = torch.cat([idx, order[:a.batch - idx.shape[0]]])
        timing.append((x_train[idx].contiguous(), y_train[idx]))
    model.train()
    load = load_average()
    for xb, yb in timing[:a.warmup_batches]:
        step(xb, yb)
    t0 = time.perf_counter()
    for xb, yb in timing[a.warmup_batches:]:
        step(xb, yb)
    seconds = time.perf_counter() - t0

    out = {
        "peer": "pytorch",
        "model": a.model,
        "hidden": a.hidden,
        "threads": a.threads,
        "interopThreads": a.interop_threads,
        "batch": a.batch,
        "steps": STEPS,
        "features": FEATURES,
        "classes": CLASSES,
        "parameters": sum(p.numel() for p in params),
        "clipNorm": a.clip_norm,
        "script": a.script,
        "warmupBatches": a.warmup_batches,
        "timedBatches": a.timed_batches,
        "timedSeconds": round(seconds, 6),
        "sequencesPerSecond": round(a.timed_batches * a.batch / seconds, 1),
        "torchVersion": torch.__version__,
        "cpuModel": cpu_model(),
        "blas": blas,
        "loadAverage": load,
        "seed": a.seed,
    }
    if a.model == "liquid":
        out.update({"tauMin": a.tau_min, "tauMax": a.tau_max, "dt": a.dt, "unfolds": 1})

    if a.epochs > 0:
        # A fresh model from the same seed, so that the timing's steps do not count as training.
        torch.manual_seed(a.seed)
        model = build(torch, a)
        params = list(model.parameters())
        opt = torch.optim.Adam(params, lr=a.lr)
        epoch_seconds, epoch_loss = [], []
        for e in range(a.epochs):
            model.train()
            t0 = time.perf_counter()
            total, count = 0.0, 0
            for xb, yb in batches():
                total += float(step(xb, yb)) * yb.shape[0]
                count += yb.shape[0]
            epoch_seconds.append(round(time.perf_counter() - t0, 3))
            epoch_loss.append(round(total / count, 6))
            print("epoch %d: %.1f s, train loss %.4f" % (e + 1, epoch_seconds[-1], epoch_loss[-1]), file=sys.stderr)
        model.eval()
        correct = 0
        with torch.no_grad():
            for i in range(0, x_test.shape[0], 1000):
                correct += int((model(x_test[i:i + 1000]).argmax(1) == y_test[i:i + 1000]).sum())
        out.update({
            "epochs": a.epochs,
            "epochSeconds": epoch_seconds,
            "trainLoss": epoch_loss,
            "trainSequencesPerSecond": round(a.epochs * n / sum(epoch_seconds), 1),
            "testAccuracy": round(correct / x_test.shape[0], 6),
            "testSize": int(x_test.shape[0]),
        })
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
