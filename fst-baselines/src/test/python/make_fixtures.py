"""Generates the TorchScript fixtures used by fst-baselines' own tests.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 fst-baselines/src/test/python/make_fixtures.py
Outputs go to fst-baselines/src/test/resources/fixtures/ and are committed, so CI never needs Python.
fst-core's fixtures (tiny_cnn.pt and others) reach these tests through fst-core's test-jar.

Fixtures:
  scaled_logits.pt   scripted CNN with BatchNorm whose output is its head `fc` (16 -> 4) times 2, so
                     the head's output is not the model's output (NGF must refuse it), input 3x8x8
"""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "fixtures")


class ScaledLogits(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        self.fc = nn.Linear(16, classes)

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x)))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return 2 * self.fc(x)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    torch.jit.script(ScaledLogits()).save(os.path.join(OUT, "scaled_logits.pt"))
    print("wrote", os.path.normpath(os.path.join(OUT, "scaled_logits.pt")))


if __name__ == "__main__":
    main()
