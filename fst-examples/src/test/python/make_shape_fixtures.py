# Writes small untrained TorchScript models into src/test/resources/cli/ for the purify command's
# tests of models whose input or head differ from the main fixture's:
#   gray28.pt     a grayscale classifier that takes exactly 1x28x28 images: conv(1->8)-BN-ReLU,
#                 conv(8->16)-BN-ReLU, 2x2 max-pool, flatten (16*14*14 features), head `fc` (-> 4);
#   conv_head.pt  an RGB classifier without any Linear layer: conv(3->8)-BN-ReLU, then a 1x1
#                 convolution to 4 channels averaged over the image (no head FST can re-initialise).
# Run with Debian's python3-torch (1.13): /usr/bin/python3 fst-examples/src/test/python/make_shape_fixtures.py
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "cli")


class Gray28(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.fc = nn.Linear(16 * 14 * 14, classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        return self.fc(torch.flatten(x, 1))


class ConvHead(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.classifier = nn.Conv2d(8, classes, 1)

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x)))
        return torch.flatten(F.adaptive_avg_pool2d(self.classifier(x), 1), 1)


def main():
    os.makedirs(OUT, exist_ok=True)
    gray = Gray28().eval()
    assert gray(torch.zeros(2, 1, 28, 28)).shape == (2, 4)
    torch.jit.script(gray).save(os.path.join(OUT, "gray28.pt"))
    head = ConvHead().eval()
    assert head(torch.zeros(2, 3, 32, 32)).shape == (2, 4)
    torch.jit.script(head).save(os.path.join(OUT, "conv_head.pt"))
    print("wrote gray28.pt and conv_head.pt to", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
