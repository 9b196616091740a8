"""The pictures the README and the docs show: each link resolves to a real PNG or SVG of a
sensible size, the README shows the seed network's annotated graph and the optimizer
trajectories, and the graph carries the numbers of the hand calculation."""

from __future__ import annotations

import math
import re
import struct
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINKS = [
    (page, target)
    for page in PAGES
    for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", page.read_text(encoding="utf-8"))
]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_the_readme_shows_the_two_pictures_the_issue_asks_for():
    targets = {t for page, t in LINKS if page.name == "README.md"}
    assert "docs/images/seed-network.png" in targets
    assert "docs/images/optimizer_trajectories.png" in targets


@pytest.mark.parametrize(
    ("page", "target"), LINKS, ids=[f"{p.name}:{Path(t).name}" for p, t in LINKS]
)
def test_every_picture_link_resolves_to_a_valid_image(page, target):
    path = (page.parent / target).resolve()
    assert path.is_file(), f"{page.name} links {target}, which does not exist"
    data = path.read_bytes()
    if path.suffix == ".png":
        width, height = png_size(data)
        assert width >= 400
        assert height >= 200
        assert len(data) > 10_000
    else:
        assert path.suffix == ".svg"
        text = data.decode("utf-8")
        assert "<svg" in text
        assert text.rstrip().endswith("</svg>")


def _seed_network_by_hand() -> dict[str, float]:
    """E and ∂E/∂W5 of the tutorials' 2-2-2 network, with the math module only."""

    def sigmoid(z: float) -> float:
        return 1 / (1 + math.exp(-z))

    h1, h2 = sigmoid(0.3 * 0.1 + 0.25 * 0.2), sigmoid(0.4 * 0.1 + 0.35 * 0.2)
    o1, o2 = sigmoid(0.45 * h1 + 0.4 * h2), sigmoid(0.7 * h1 + 0.6 * h2)
    e = 0.5 * (0.4 - o1) ** 2 + 0.5 * (0.6 - o2) ** 2
    return {"h1": h1, "E": e, "dE/dW5": (o1 - 0.4) * o1 * (1 - o1) * h1}


def test_the_seed_network_picture_carries_the_hand_calculated_numbers():
    svg = (ROOT / "docs" / "images" / "seed-network.svg").read_text(encoding="utf-8")
    for name, value in _seed_network_by_hand().items():
        assert f"{value:.8f}" in svg, name
    for label in ("W1", "W8", "x1", "x2", "o1", "o2"):
        assert f">{label}<" in svg
