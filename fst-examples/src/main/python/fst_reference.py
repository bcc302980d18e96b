#!/usr/bin/python3
# Copyright 2026 The FST for Java authors. Licensed under the Apache License, Version 2.0.
"""Feature Shift Tuning in plain PyTorch: the Python side of the speed comparison (issue 7).

Written by this project from the paper and docs/algorithm.md, not taken from any other code base.
It does the same work as ``dev.fst.FeatureShiftTuner`` with the lab's models:

* the tuning images come from a CIFAR-10 binary file (one label byte, then 3,072 bytes of R, G and
  B planes per image), scaled to [0, 1] without normalisation, as the lab feeds them;
* per epoch: a seeded shuffle, random crop after zero padding 4 and a horizontal flip with
  probability 0.5 (``--augment crop-flip``, the default), mini-batches of 128 (last one partial);
* the head (the last Linear) is re-initialised U(-1/sqrt(d), 1/sqrt(d)) after W0 is copied;
* loss = mean cross-entropy + alpha * <W, W0>; SGD with momentum 0.9 (PyTorch semantics), no
  weight decay, the cosine rate lr * (1 + cos(pi * e / E)) / 2 per 0-based epoch e;
* after every step W is rescaled to ||W0||_F; every epoch records its mean loss and accuracy.

Prints one JSON line: the timing of the whole purification (data pipeline and bookkeeping
included), images per second, peak resident memory and the per-epoch losses.

Run with Debian's interpreter, which sees python3-torch: ``/usr/bin/python3 fst_reference.py
--data tuning.bin --model small-cnn``.
"""

import argparse
import json
import math
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv3(inp, out, stride=1):
    return nn.Conv2d(inp, out, 3, stride=stride, padding=1, bias=False)


class SmallCnn(nn.Module):
    """The lab's small CNN: four 3x3 conv-BN-ReLU layers, two max-pools, global average pool."""

    def __init__(self, classes):
        super().__init__()
        self.features = nn.Sequential(
            conv3(3, 32), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            conv3(32, 64), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            conv3(64, 64), nn.BatchNorm2d(64), nn.ReLU(),
            conv3(64, 128), nn.BatchNorm2d(128), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(128, classes)
        # the lab builds this network with DJL's default initialisation: weights N(0, 2 / fan_in),
        # biases zero (its ResNet-18 uses PyTorch's default, as below)
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def forward(self, x):
        return self.head(self.features(x))


class BasicBlock(nn.Module):
    def __init__(self, inp, out, stride):
        super().__init__()
        self.main = nn.Sequential(conv3(inp, out, stride), nn.BatchNorm2d(out), nn.ReLU(),
                                  conv3(out, out), nn.BatchNorm2d(out))
        project = inp != out or stride != 1
        self.shortcut = (nn.Sequential(nn.Conv2d(inp, out, 1, stride=stride, bias=False), nn.BatchNorm2d(out))
                         if project else nn.Identity())

    def forward(self, x):
        return F.relu(self.main(x) + self.shortcut(x))


class ResNet18(nn.Module):
    """The lab's CIFAR-style ResNet-18: 3x3 stem, no max-pool, BasicBlocks 2-2-2-2, Linear(512, C)."""

    def __init__(self, classes):
        super().__init__()
        layers = [conv3(3, 64), nn.BatchNorm2d(64), nn.ReLU()]
        inp = 64
        for stage in range(4):
            out = 64 << stage
            for unit in range(2):
                layers.append(BasicBlock(inp, out, 2 if stage > 0 and unit == 0 else 1))
                inp = out
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(512, classes)

    def forward(self, x):
        return self.head(self.features(x))


MODELS = {"small-cnn": SmallCnn, "resnet18": ResNet18}


def read_cifar_binary(path):
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size == 0 or raw.size % 3073 != 0:
        raise ValueError(f"{path}: {raw.size} bytes is not a whole number of 3,073-byte CIFAR-10 records")
    records = raw.reshape(-1, 3073)
    return records[:, 1:].reshape(-1, 3, 32, 32).copy(), records[:, 0].astype(np.int64)


class TuningImages(torch.utils.data.Dataset):
    """Per-image augmentation, the way a PyTorch training script usually feeds a DataLoader."""

    def __init__(self, pixels, labels, augment):
        self.pixels = torch.from_numpy(pixels)
        self.labels = torch.from_numpy(labels)
        self.padding = 4 if augment == "crop-flip" else 0
        self.flip = augment in ("crop-flip", "flip")

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        x = self.pixels[i].float().div_(255)
        if self.padding:
            p = self.padding
            x = F.pad(x, (p, p, p, p))
            top = int(torch.randint(0, 2 * p + 1, (1,)))
            left = int(torch.randint(0, 2 * p + 1, (1,)))
            x = x[:, top:top + 32, left:left + 32]
        if self.flip and torch.rand(1).item() < 0.5:
            x = x.flip(2)
        return x, self.labels[i]


def purify(model, images, args):
    """Runs FST in place and returns the per-epoch (loss, accuracy) records."""
    head = model.head
    w0 = head.weight.detach().clone()
    n0 = w0.norm()
    bound = 1 / math.sqrt(head.weight.shape[1])
    with torch.no_grad():
        head.weight.uniform_(-bound, bound)
        head.bias.uniform_(-bound, bound)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=0)
    loader = torch.utils.data.DataLoader(images, batch_size=args.batch_size, shuffle=True,
                                         num_workers=args.workers, drop_last=False)
    history = []
    for epoch in range(args.epochs):
        for group in optimizer.param_groups:
            group["lr"] = args.lr * (1 + math.cos(math.pi * epoch / args.epochs)) / 2
        model.train()
        loss_sum, correct, seen, batches = 0.0, 0, 0, 0
        for x, y in loader:
            x = x.to(args.device, non_blocking=True)
            y = y.to(args.device, non_blocking=True)
            logits = model(x)
            loss = F.cross_entropy(logits, y) + args.alpha * (head.weight * w0).sum()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                head.weight.mul_(n0 / head.weight.norm())
            value = loss.item()
            if not math.isfinite(value):
                raise FloatingPointError(f"the loss is {value} in epoch {epoch + 1}")
            loss_sum += value
            correct += int((logits.argmax(1) == y).sum())
            seen += len(y)
            batches += 1
        history.append((loss_sum / batches, correct / seen))
    return history


def matmul_rate(n, device, budget_seconds=3.0):
    """Best float32 rate of n x n matrix products in FLOP/s (2 n^3 per product): one warm-up, then
    products until the time budget is spent (at least two), the fastest one counted."""
    a = torch.rand(n, n, device=device) * 2 - 1
    b = torch.rand(n, n, device=device) * 2 - 1
    float((a @ b)[0, 0])
    best, spent, count = 0.0, 0.0, 0
    while count < 2 or spent < budget_seconds:
        start = time.perf_counter()
        float((a @ b)[0, 0])
        seconds = time.perf_counter() - start
        best, spent, count = max(best, 2.0 * n ** 3 / seconds), spent + seconds, count + 1
    return best


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", help="CIFAR-10 binary file of tuning images (required unless --matmul)")
    parser.add_argument("--matmul", type=int, metavar="N",
                        help="only measure the float32 N x N matrix-multiply rate and print it")
    parser.add_argument("--model", choices=sorted(MODELS), default="small-cnn")
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--alpha", type=float, default=0.2)
    parser.add_argument("--augment", choices=["crop-flip", "flip", "none"], default="crop-flip")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--profile", metavar="FILE",
                        help="write the autograd profiler's operator trace of the purification (Chrome JSON)")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1 or args.classes < 2:
        parser.error("--epochs and --batch-size must be >= 1 and --classes >= 2")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if args.matmul:
        print(json.dumps({"side": "pytorch", "matmulFlopsPerSecond": matmul_rate(args.matmul, args.device),
                          "torch": torch.__version__}))
        return
    if not args.data:
        parser.error("--data is required")
    pixels, labels = read_cifar_binary(args.data)
    if labels.max() >= args.classes:
        parser.error(f"label {labels.max()} is out of range for {args.classes} classes")
    model = MODELS[args.model](args.classes).to(args.device)
    profiler = torch.autograd.profiler.profile() if args.profile else None
    if profiler:
        profiler.__enter__()
    start = time.perf_counter()
    history = purify(model, TuningImages(pixels, labels, args.augment), args)
    if profiler:
        profiler.__exit__(None, None, None)
        profiler.export_chrome_trace(args.profile)
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    device = torch.cuda.get_device_name() if args.device.startswith("cuda") else "cpu"
    print(json.dumps({
        "side": "pytorch",
        "model": args.model,
        "images": len(labels),
        "epochs": args.epochs,
        "seconds": seconds,
        "imagesPerSecond": len(labels) * args.epochs / seconds,
        "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "epochLoss": [h[0] for h in history],
        "epochAccuracy": [h[1] for h in history],
        "threads": torch.get_num_threads(),
        "workers": args.workers,
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "runtime": f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.workers} loader workers,"
                   f" Python {sys.version.split()[0]}, device {device}",
    }))


if __name__ == "__main__":
    main(sys.argv[1:])
