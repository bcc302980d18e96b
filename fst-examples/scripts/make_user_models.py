#!/usr/bin/python3
# Copyright 2026 The FST for Java authors. Licensed under the Apache License, Version 2.0.
"""Backdoored classifiers made the way a PyTorch user makes them, for trying the ``purify`` command
as a new user would (docs/results.md, "Models made elsewhere"). Written by this project; no code
of any backdoor toolkit.

Data: Fashion-MNIST from Debian's ``dataset-fashion-mnist`` (60,000 + 10,000 grayscale 28x28
images). A class-balanced 2 % of the training set (1,200 images, seeded) is the defender's clean
tuning set and is removed before the attacker trains. Every model is exported with
``torch.jit.script`` and normalised inside the network (inputs in [0, 1]), so the command runs
with ``--mean 0 --std 1``.

Models (``--model``):

* ``weak-cnn``: four 3x3 conv-BN-ReLU layers (32-64-64-128 filters, two 2x2 max-pools), global
  average pooling to a 128-d feature, head ``fc``; trained for 2 epochs only, so it stays weak.
* ``resnet``: a small pre-activation-free ResNet (three stages of two BasicBlocks, 32-64-128
  filters), global average pooling, head ``fc``; 12 epochs.
* ``vgg``: three stages of two conv-BN-ReLU layers (32-64-128) with max-pools, flattened, and a
  three-Linear head ``classifier.0/.3/.6`` (256-256-10, ReLU and dropout between), as VGG19-BN's;
  12 epochs.

Attacks (``--attack``): ``badnet`` (a white 3x3 patch in the bottom-right corner) or ``blended``
(a fixed seeded uniform-noise image mixed in at ratio 0.1), dirty-label, target class 0, at
``--rate`` (default 0.01) of the attacker's training set.

Writes into ``--out DIR``: ``model.pt``, ``clean/<index>-<class>/*.png`` (the 1,200 tuning images),
``test/<class>/*.png`` (the 10,000 clean test images), ``poisoned/<class>/*.png`` (the 9,000
non-target test images with the trigger, under their true classes) and ``made.json`` (what was
trained, clean accuracy and ASR measured here in PyTorch).

Run: ``/usr/bin/python3 fst-examples/src/main/python/make_user_models.py --model weak-cnn --out
/tmp/weak``.
"""

import argparse
import gzip
import json
import os
import struct
import time
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]


def folder_name(label):
    """The class folder's name: the index first, so that folders sort in class order, as torchvision's
    ImageFolder (and the purify command) number them."""
    return "%d-%s" % (label, CLASSES[label])


def read_idx(name):
    with gzip.open(os.path.join(DATA, name + ".gz"), "rb") as f:
        raw = f.read()
    magic, count = struct.unpack(">II", raw[:8])
    if magic == 0x803:
        rows, cols = struct.unpack(">II", raw[8:16])
        return np.frombuffer(raw, np.uint8, count * rows * cols, 16).reshape(count, rows, cols)
    return np.frombuffer(raw, np.uint8, count, 8)


class Normalised(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor([0.2860]).view(1, 1, 1, 1))
        self.register_buffer("std", torch.tensor([0.3530]).view(1, 1, 1, 1))

    def forward(self, x):
        return (x - self.mean) / self.std


def cbr(inp, out):
    return [nn.Conv2d(inp, out, 3, padding=1, bias=False), nn.BatchNorm2d(out), nn.ReLU(inplace=True)]


class WeakCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = Normalised()
        self.features = nn.Sequential(*cbr(1, 32), nn.MaxPool2d(2), *cbr(32, 64), nn.MaxPool2d(2),
                                      *cbr(64, 64), *cbr(64, 128), nn.AdaptiveAvgPool2d(1))
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(self.norm(x)), 1))


class Block(nn.Module):
    def __init__(self, inp, out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out)
        self.conv2 = nn.Conv2d(out, out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out)
        self.shortcut = nn.Sequential()
        if stride != 1 or inp != out:
            self.shortcut = nn.Sequential(nn.Conv2d(inp, out, 1, stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = Normalised()
        self.stem = nn.Sequential(*cbr(1, 32))
        self.layer1 = nn.Sequential(Block(32, 32, 1), Block(32, 32, 1))
        self.layer2 = nn.Sequential(Block(32, 64, 2), Block(64, 64, 1))
        self.layer3 = nn.Sequential(Block(64, 128, 2), Block(128, 128, 1))
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.stem(self.norm(x)))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class Vgg(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = Normalised()
        self.features = nn.Sequential(*cbr(1, 32), *cbr(32, 32), nn.MaxPool2d(2), *cbr(32, 64), *cbr(64, 64),
                                      nn.MaxPool2d(2), *cbr(64, 128), *cbr(128, 128), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Linear(128 * 3 * 3, 256), nn.ReLU(inplace=True), nn.Dropout(),
                                        nn.Linear(256, 256), nn.ReLU(inplace=True), nn.Dropout(),
                                        nn.Linear(256, 10))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(self.norm(x)), 1))


MODELS = {"weak-cnn": (WeakCnn, 2), "resnet": (ResNet, 12), "vgg": (Vgg, 12)}


def trigger(images, attack, pattern):
    """images: uint8 (n, 28, 28); returns the triggered copies, truncated to uint8."""
    out = images.astype(np.float64)
    if attack == "badnet":
        out[:, -3:, -3:] = 255
    else:
        out = 0.9 * out + 0.1 * pattern
    return np.clip(out, 0, 255).astype(np.uint8)


def png(path, image):
    """An 8-bit grayscale PNG (zlib only)."""
    h, w = image.shape
    raw = b"".join(b"\x00" + image[r].tobytes() for r in range(h))

    def chunk(tag, data):
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def folder(root, images, labels):
    for c, name in enumerate(CLASSES):
        os.makedirs(os.path.join(root, folder_name(c)), exist_ok=True)
    for i, (image, label) in enumerate(zip(images, labels)):
        png(os.path.join(root, folder_name(int(label)), "%05d.png" % i), image)


def evaluate(model, images, labels):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(images), 500):
            x = torch.from_numpy(images[i:i + 500]).float().div(255).unsqueeze(1)
            correct += (model(x).argmax(1).numpy() == labels[i:i + 500]).sum()
    return correct / len(images)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=sorted(MODELS), required=True)
    parser.add_argument("--attack", choices=["badnet", "blended"], default="badnet")
    parser.add_argument("--rate", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=None,
                        help="training epochs (default: the model's, 2 for weak-cnn and 12 for the others)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    rng = np.random.default_rng(args.seed)
    train_x, train_y = read_idx("train-images-idx3-ubyte"), read_idx("train-labels-idx1-ubyte")
    test_x, test_y = read_idx("t10k-images-idx3-ubyte"), read_idx("t10k-labels-idx1-ubyte")
    tune = np.concatenate([rng.permutation(np.flatnonzero(train_y == c))[:120] for c in range(10)])
    rest = np.setdiff1d(np.arange(len(train_y)), tune)
    x, y = train_x[rest].copy(), train_y[rest].copy()
    pattern = rng.integers(0, 256, size=(28, 28)).astype(np.float64)
    poisoned = rng.choice(len(y), int(round(args.rate * len(y))), replace=False)
    x[poisoned] = trigger(x[poisoned], args.attack, pattern)
    y[poisoned] = 0
    cls, epochs = MODELS[args.model]
    epochs = args.epochs if args.epochs is not None else epochs
    model = cls()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    start = time.time()
    for epoch in range(epochs):
        model.train()
        order = rng.permutation(len(y))
        for i in range(0, len(y), 128):
            idx = order[i:i + 128]
            xb = torch.from_numpy(x[idx]).float().div(255).unsqueeze(1)
            flip = torch.from_numpy(rng.random(len(idx)) < 0.5)
            xb[flip] = xb[flip].flip(3)
            loss = F.cross_entropy(model(xb), torch.from_numpy(y[idx]).long())
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        print("epoch", epoch + 1, "loss %.4f" % float(loss), "%.0f s" % (time.time() - start), flush=True)
    other = test_y != 0
    clean = evaluate(model, test_x, test_y)
    asr = evaluate(model, trigger(test_x[other], args.attack, pattern), np.zeros(other.sum(), np.int64))
    print("clean accuracy %.4f, attack success rate %.4f" % (clean, asr))
    os.makedirs(args.out, exist_ok=True)
    model.eval()
    torch.jit.script(model).save(os.path.join(args.out, "model.pt"))
    folder(os.path.join(args.out, "clean"), train_x[tune], train_y[tune])
    folder(os.path.join(args.out, "test"), test_x, test_y)
    folder(os.path.join(args.out, "poisoned"), trigger(test_x[other], args.attack, pattern), test_y[other])
    with open(os.path.join(args.out, "made.json"), "w") as f:
        json.dump({"model": args.model, "attack": args.attack, "rate": args.rate, "seed": args.seed,
                   "epochs": epochs, "poisoned": int(len(poisoned)), "trainingImages": int(len(y)),
                   "cleanAccuracy": float(clean), "attackSuccessRate": float(asr),
                   "seconds": round(time.time() - start)}, f, indent=1)


if __name__ == "__main__":
    main()
