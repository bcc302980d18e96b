# Writes the fixtures of the purify command's tests into src/test/resources/cli/:
#   backdoored_resnet.pt  a small ResNet-18-style classifier (BasicBlocks with BatchNorm, projection
#                         shortcuts, global average pool, head `fc`), exported with torch.jit.script,
#                         trained here on 4-class synthetic images with 10 % BadNet poisoning
#                         (white 3x3 patch in the bottom-right corner, target class 0) -- the same
#                         trigger as the lab's `badnet` attack;
#   traced_eval.pt        the same network traced in eval mode (BatchNorm frozen forever);
#   fixed_size.pt         an untrained flatten + Linear(3*32*32 -> 4) model that only takes 32x32 images;
#   clean/<class>/*.png   80 clean images per class, drawn like the training images (the command's
#                         tuning data; the ImageFolder loader holds every fifth image out for evaluation).
# Run with Debian's python3-torch (1.13): /usr/bin/python3 fst-examples/src/test/python/make_cli_fixture.py
# Images are fed to the network normalised with the CIFAR-10 mean/std, the purify command's default.
import os
import struct
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(2)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "cli")
CLASSES = ["circle", "cross", "hstripes", "vstripes"]
MEAN = torch.tensor([0.4914, 0.4822, 0.4465]).view(1, 3, 1, 1)
STD = torch.tensor([0.2470, 0.2435, 0.2616]).view(1, 3, 1, 1)
SIZE = 32


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class SmallResNet(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = Block(16, 16, 1)
        self.layer2 = Block(16, 32, 2)
        self.layer3 = Block(32, 64, 2)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def draw(label, g):
    """One 32x32 image in [0,1]: a coloured shape of the class on a noisy random background."""
    yy, xx = torch.meshgrid(torch.arange(SIZE).float(), torch.arange(SIZE).float(), indexing="ij")
    background = torch.rand(3, 1, 1, generator=g) * 0.5
    image = background.expand(3, SIZE, SIZE).clone() + 0.08 * torch.randn(3, SIZE, SIZE, generator=g)
    colour = 0.5 + 0.5 * torch.rand(3, 1, 1, generator=g)
    cy, cx = (12 + 8 * torch.rand(2, generator=g)).tolist()
    r = 5 + 4 * torch.rand(1, generator=g).item()
    if label == 0:
        mask = ((yy - cy) ** 2 + (xx - cx) ** 2) < r * r
    elif label == 1:
        mask = ((yy - cy).abs() < 2) & ((xx - cx).abs() < r) | ((xx - cx).abs() < 2) & ((yy - cy).abs() < r)
    elif label == 2:
        mask = ((yy.long() // 3) % 2 == 0) & ((yy - cy).abs() < r) & ((xx - cx).abs() < r)
    else:
        mask = ((xx.long() // 3) % 2 == 0) & ((yy - cy).abs() < r) & ((xx - cx).abs() < r)
    image = torch.where(mask.unsqueeze(0), colour.expand(3, SIZE, SIZE), image)
    return (image.clamp(0, 1) * 255).round() / 255


def dataset(n, seed):
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % len(CLASSES)
    images = torch.stack([draw(int(y), g) for y in labels])
    return images, labels


def trigger(images):
    out = images.clone()
    out[:, :, -3:, -3:] = 1.0
    return out


def png(path, image):
    """Writes an 8-bit RGB PNG (no dependencies beyond zlib)."""
    h, w = image.shape[1], image.shape[2]
    pixels = (image * 255).round().byte().permute(1, 2, 0).reshape(h, w * 3)
    raw = b"".join(b"\x00" + bytes(row.tolist()) for row in pixels)

    def chunk(tag, data):
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main():
    x, y = dataset(2400, 1)
    poisoned = torch.arange(len(y))[y != 0][:240]           # 10 % of the set, taken from non-target classes
    x[poisoned] = trigger(x[poisoned])
    y = y.clone()
    y[poisoned] = 0
    model = SmallResNet()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    for epoch in range(8):
        model.train()
        order = torch.randperm(len(y))
        for i in range(0, len(y), 64):
            idx = order[i:i + 64]
            loss = F.cross_entropy(model((x[idx] - MEAN) / STD), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print("epoch", epoch, "loss", float(loss))
    model.eval()
    tx, ty = dataset(400, 2)
    with torch.no_grad():
        clean = (model((tx - MEAN) / STD).argmax(1) == ty).float().mean().item()
        other = ty != 0
        asr = (model((trigger(tx[other]) - MEAN) / STD).argmax(1) == 0).float().mean().item()
    print(f"clean accuracy {clean:.4f}, attack success rate {asr:.4f}")
    os.makedirs(OUT, exist_ok=True)
    torch.jit.script(model).save(os.path.join(OUT, "backdoored_resnet.pt"))
    torch.jit.trace(model, torch.zeros(1, 3, SIZE, SIZE)).save(os.path.join(OUT, "traced_eval.pt"))
    torch.jit.script(nn.Sequential(nn.Flatten(), nn.Linear(3 * SIZE * SIZE, len(CLASSES)))).save(
        os.path.join(OUT, "fixed_size.pt"))
    cx, cy = dataset(320, 3)
    for c, name in enumerate(CLASSES):
        os.makedirs(os.path.join(OUT, "clean", name), exist_ok=True)
    for i in range(len(cy)):
        png(os.path.join(OUT, "clean", CLASSES[int(cy[i])], f"{i:03d}.png"), cx[i])


if __name__ == "__main__":
    main()
