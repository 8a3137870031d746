// Draws the PNG app icons (a white water drop on the farm green), so no binary is committed.
// Pure node: a PNG writer over zlib, enough for a flat two-colour icon.
import { deflateSync } from 'node:zlib';

const GREEN = [0x0a, 0x5c, 0x1a];
const WHITE = [0xff, 0xff, 0xff];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

// Inside the drop: a circle of radius r centred low, topped by a triangle up to the tip.
function inDrop(x, y, size) {
  const cx = size / 2;
  const cy = size * 0.6;
  const r = size * 0.24;
  if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) return true;
  const tip = size * 0.18;
  if (y < tip || y > cy) return false;
  const half = (r * (y - tip)) / (cy - tip);
  return Math.abs(x - cx) <= half;
}

export function iconPng(size) {
  const raw = Buffer.alloc(size * (size * 3 + 1));
  for (let y = 0; y < size; y++) {
    const row = y * (size * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      const [r, g, b] = inDrop(x + 0.5, y + 0.5, size) ? WHITE : GREEN;
      raw.set([r, g, b], row + 1 + x * 3);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
