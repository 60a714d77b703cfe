"""The send time a frame carries in its pixels: 64 bits (CLOCK_REALTIME in
microseconds), most significant first, as 80x80 blocks, black (16) for 0 and
white (235) for 1, in 4 rows of 16 at the top of the luma. Read back from
the centre 40x40 of each block of any array a reader gives (RGB, BGR, grey),
so H.264 at any sane bitrate leaves it intact. A 16-bit check (the time's
four 16-bit words XORed) in a fifth row rejects a torn or half-decoded frame."""
import numpy as np

BLOCK = 80
COLUMNS = 16
ROWS = 5  # 4 for the time, 1 for the check (16 bits)


def _check(value):
    return (value ^ (value >> 16) ^ (value >> 32) ^ (value >> 48)) & 0xFFFF


def _bits(value):
    time_bits = [(value >> (63 - i)) & 1 for i in range(64)]
    check = _check(value)
    return time_bits + [(check >> (15 - i)) & 1 for i in range(16)]


class Frame:
    """An I420 frame: a grey picture with a moving bar below the blocks."""

    def __init__(self, width, height):
        self.width, self.height = width, height
        self.data = np.full(width * height * 3 // 2, 128, np.uint8)
        self.luma = self.data[: width * height].reshape(height, width)

    def moving_bar(self, index):
        top = BLOCK * ROWS + 20
        self.luma[top:, :] = 128
        x = (index * 16) % (self.width - 64)
        self.luma[top:, x : x + 64] = 200

    def stamped(self, value):
        for i, bit in enumerate(_bits(value)):
            row, column = divmod(i, COLUMNS)
            self.luma[row * BLOCK : (row + 1) * BLOCK, column * BLOCK : (column + 1) * BLOCK] = 235 if bit else 16
        return self.data.tobytes()


def read(array):
    """The send time in an array of the picture (height, width[, channels]), or None."""
    half = BLOCK // 4
    bits = []
    for i in range(COLUMNS * ROWS):
        row, column = divmod(i, COLUMNS)
        cy, cx = row * BLOCK + BLOCK // 2, column * BLOCK + BLOCK // 2
        bits.append(int(array[cy - half : cy + half, cx - half : cx + half].mean() > 128))
    value = 0
    for bit in bits[:64]:
        value = value << 1 | bit
    check = 0
    for bit in bits[64:]:
        check = check << 1 | bit
    return value if check == _check(value) else None
