# Writes a zip of N members, each 1 MiB of zeros deflated to about 1 KiB (usage: bomb.py PATH N).
import struct
import sys
import zipfile
import zlib

path, count = sys.argv[1], int(sys.argv[2])
data = b"\0" * (1024 * 1024)
comp = zlib.compressobj(9, zlib.DEFLATED, -15)
raw = comp.compress(data) + comp.flush()
crc = zlib.crc32(data)
local, central = bytearray(), bytearray()
for index in range(count):
    name = ("blobs/%04d.bin" % index).encode()
    offset = len(local)
    local += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(raw), len(data), len(name), 0) + name + raw
    central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(raw), len(data),
                           len(name), 0, 0, 0, 0, 0o100600 << 16, offset) + name
end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), len(local), 0)
with open(path, "wb") as out:
    out.write(local + central + end)
with zipfile.ZipFile(path) as check:
    assert len(check.infolist()) == count and check.read("blobs/0001.bin") == data
