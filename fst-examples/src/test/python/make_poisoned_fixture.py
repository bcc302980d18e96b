# Writes src/test/resources/cli/poisoned/<class>/*.png: 80 images drawn like the fixture's clean images
# (20 per class, seed 4, so none of them is a tuning image) with the fixture's BadNet trigger (a white
# 3x3 patch in the bottom-right corner) stamped on, filed under their true classes -- what a user
# who holds triggered images passes as --poisoned-data. The target class's 20 images are kept, so the
# command's "left out" message shows.
# Run with Debian's python3-torch (1.13): /usr/bin/python3 fst-examples/src/test/python/make_poisoned_fixture.py
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_cli_fixture import CLASSES, OUT, dataset, png, trigger  # noqa: E402


def main():
    x, y = dataset(80, 4)
    x = trigger(x)
    for name in CLASSES:
        os.makedirs(os.path.join(OUT, "poisoned", name), exist_ok=True)
    for i in range(len(y)):
        png(os.path.join(OUT, "poisoned", CLASSES[int(y[i])], f"{i:03d}.png"), x[i])


if __name__ == "__main__":
    main()
