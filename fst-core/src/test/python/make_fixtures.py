"""Generates the TorchScript and golden-value fixtures used by fst-core's tests.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 fst-core/src/test/python/make_fixtures.py
Outputs go to fst-core/src/test/resources/fixtures/ and are committed, so CI never needs Python.

Fixtures:
  tiny_cnn.pt          scripted CNN, head `fc` (16 -> 4), input 3x8x8
  tiny_vgg.pt          scripted CNN with a 3-Linear head `classifier.0/.3/.6`
  tiny_unnamed.pt      scripted CNN whose layers are only numbered (`0.weight` ...), head found by shape
  golden_fst.npz       inputs, labels, initial head and the PyTorch reference run of FST on tiny_cnn.pt
  tiny_view.pt         scripted CNN that flattens its 4x8x8 feature map with view(), which a
                       channels-last batch does not allow (head `fc`, 256 -> 4)

The golden run is the FST procedure of the algorithm reference, section 1.2: re-initialised head,
loss = mean CE + alpha * <W, W0>, torch.optim.SGD(momentum=0.9, weight_decay=0), CosineAnnealingLR
stepped per epoch, projection of W to ||W0||_F after every step, model in train mode. One full batch
per epoch and no augmentation, so the Java run sees exactly the same batches.
"""
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "fixtures")


class TinyCnn(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.fc = nn.Linear(16, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.relu(self.bn2(self.conv2(x)))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.fc(x)


class TinyVgg(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.classifier = nn.Sequential(
            nn.Linear(16, 32), nn.ReLU(), nn.Dropout(),
            nn.Linear(32, 32), nn.ReLU(), nn.Dropout(),
            nn.Linear(32, classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def unnamed(classes=4):
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, classes))


class TinyView(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.fc = nn.Linear(4 * 8 * 8, classes)

    def forward(self, x):
        f = F.relu(self.conv(x))
        return self.fc(f.view(f.size(0), -1))


def golden(model, alpha=0.2, lr=0.05, epochs=4, n=16, classes=4):
    g = torch.Generator().manual_seed(7)
    x = torch.randn(n, 3, 8, 8, generator=g)
    y = torch.arange(n) % classes
    w0 = model.fc.weight.detach().clone()
    n0 = w0.norm().item()
    bound = 1.0 / (model.fc.in_features ** 0.5)
    w_init = (torch.rand(model.fc.weight.shape, generator=g) * 2 - 1) * bound
    b_init = (torch.rand(model.fc.bias.shape, generator=g) * 2 - 1) * bound
    with torch.no_grad():
        model.fc.weight.copy_(w_init)
        model.fc.bias.copy_(b_init)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=0)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    losses, lrs = [], []
    model.train()
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y) + alpha * (model.fc.weight * w0).sum()
        loss.backward()
        opt.step()
        with torch.no_grad():
            model.fc.weight.mul_(n0 / model.fc.weight.norm())
        losses.append(loss.item())
        sched.step()
    return {
        "x": x.numpy(), "y": y.numpy().astype(np.int64),
        "w_init": w_init.numpy(), "b_init": b_init.numpy(),
        "losses": np.array(losses, dtype=np.float64), "lrs": np.array(lrs, dtype=np.float64),
        "fc_weight": model.fc.weight.detach().numpy(), "fc_bias": model.fc.bias.detach().numpy(),
        "conv1_weight": model.conv1.weight.detach().numpy(),
        "alpha": np.array([alpha]), "lr": np.array([lr]), "epochs": np.array([epochs]),
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    cnn = TinyCnn()
    torch.jit.script(cnn).save(os.path.join(OUT, "tiny_cnn.pt"))
    torch.manual_seed(1)
    torch.jit.script(TinyVgg()).save(os.path.join(OUT, "tiny_vgg.pt"))
    torch.manual_seed(2)
    torch.jit.script(unnamed()).save(os.path.join(OUT, "tiny_unnamed.pt"))
    torch.manual_seed(3)
    torch.jit.script(TinyView()).save(os.path.join(OUT, "tiny_view.pt"))
    ref = golden(cnn)
    np.savez(os.path.join(OUT, "golden_fst.npz"), **ref)
    print("losses", ref["losses"], "lrs", ref["lrs"])


if __name__ == "__main__":
    main()
