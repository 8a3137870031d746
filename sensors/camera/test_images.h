// Test and benchmark helper: encodes synthetic JPEGs (a leafy canopy, bare brown soil, a mix)
// with libjpeg, so that tests and benchmarks need no image files. Not linked into the daemon.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace farmgate::sensors::camera::testing {

struct Rgb {
  std::uint8_t r, g, b;
};

// Encodes a width x height RGB image whose pixel (x, y) is pixel(x, y).
std::vector<std::uint8_t> encode_jpeg(int width, int height,
                                      const std::function<Rgb(int x, int y)>& pixel,
                                      int quality = 85);

// The left `green_share` (0..1) of the image is leaf green, the rest dry brown soil, with a
// little deterministic texture so that the encoder has detail to keep.
std::vector<std::uint8_t> field_jpeg(int width, int height, double green_share);

}  // namespace farmgate::sensors::camera::testing
