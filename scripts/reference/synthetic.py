"""Synthetic test images shared by the reference dump scripts; Aerie's tests recompute them."""

import numpy as np

MASK = 0xFFFFFFFF
IMAGES = [(300, 240, 1), (150, 170, 2), (224, 224, 3)]  # (width, height, seed)


def synthetic_image(width, height, seed):
    """RGB uint8 (height, width, 3): gradients plus hashed noise, all in 32-bit integer arithmetic."""
    out = np.zeros((height, width, 3), dtype=np.uint8)
    for y in range(height):
        for x in range(width):
            for c in range(3):
                h = ((x * 73856093) & MASK) ^ ((y * 19349663) & MASK) ^ ((c * 83492791) & MASK) ^ ((seed * 2654435761) & MASK)
                h = (h * 2246822519) & MASK
                noise = (h >> 13) & 255
                if c == 0:
                    ramp = x * 255 // max(width - 1, 1)
                elif c == 1:
                    ramp = y * 255 // max(height - 1, 1)
                else:
                    ramp = ((x + y) * 255) // max(width + height - 2, 1)
                out[y, x, c] = (ramp * 3 + noise) // 4
    return out
