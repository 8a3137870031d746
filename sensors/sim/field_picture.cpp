#include "sensors/sim/field_picture.h"

#include <cstdio>  // jpeglib.h needs FILE

#include <jpeglib.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <numbers>
#include <stdexcept>

namespace farmgate::sim {
namespace {

// One crop row and the soil beside it, in pixels. Wide enough that the few pixels blurred at each
// leaf edge are a small part of a row.
constexpr double kRowPeriod = 80;

// libjpeg's default handler would exit(); we only call it with valid parameters, so a failure is
// a broken invariant and is thrown.
[[noreturn]] void throw_jpeg_error(j_common_ptr cinfo) {
  char message[JMSG_LENGTH_MAX];
  (*cinfo->err->format_message)(cinfo, message);
  throw std::runtime_error(std::string("libjpeg: ") + message);
}

struct Compressor {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr err{};
  unsigned char* out = nullptr;
  unsigned long out_size = 0;

  Compressor() {
    cinfo.err = jpeg_std_error(&err);
    err.error_exit = throw_jpeg_error;
    jpeg_create_compress(&cinfo);
  }
  ~Compressor() {
    jpeg_destroy_compress(&cinfo);
    std::free(out);  // jpeg_mem_dest's buffer is malloc'd
  }
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;
};

// A small deterministic hash of a pixel, for texture: 0..15.
unsigned texture(std::uint64_t seed, int x, int y) {
  std::uint64_t h = seed ^ (static_cast<std::uint64_t>(x) * 0x9E3779B97F4A7C15ull) ^
                    (static_cast<std::uint64_t>(y) * 0xC2B2AE3D27D4EB4Full);
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 32;
  return static_cast<unsigned>(h & 15u);
}

}  // namespace

double canopy_cover(const CanopyGrowth& g, Millis elapsed) {
  const double days = std::max(0.0, static_cast<double>(elapsed.count()) / 86'400'000.0);
  if (g.growth_days <= 0) return g.max_percent;
  return g.max_percent - (g.max_percent - g.start_percent) * std::exp(-days / g.growth_days);
}

std::vector<std::uint8_t> field_jpeg(int width, int height, double cover_percent,
                                     std::uint64_t seed) {
  const double share = std::clamp(cover_percent, 0.0, 100.0) / 100.0;
  const double phase = static_cast<double>(seed % 1000) / 1000.0 * kRowPeriod;
  Compressor c;
  jpeg_mem_dest(&c.cinfo, &c.out, &c.out_size);
  c.cinfo.image_width = static_cast<JDIMENSION>(width);
  c.cinfo.image_height = static_cast<JDIMENSION>(height);
  c.cinfo.input_components = 3;
  c.cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c.cinfo);
  jpeg_set_quality(&c.cinfo, 85, TRUE);
  // Full-resolution chroma: with the usual 4:2:0 every leaf edge smears green into the soil and
  // the measured cover reads several points high.
  for (int i = 0; i < c.cinfo.num_components; ++i) {
    c.cinfo.comp_info[i].h_samp_factor = 1;
    c.cinfo.comp_info[i].v_samp_factor = 1;
  }
  jpeg_start_compress(&c.cinfo, TRUE);
  std::vector<JSAMPLE> row(static_cast<std::size_t>(width) * 3);
  while (c.cinfo.next_scanline < c.cinfo.image_height) {
    const int y = static_cast<int>(c.cinfo.next_scanline);
    // The rows wander a little, as planted rows do; within each period the leaf takes `share`.
    const double wobble = 6.0 * std::sin(2 * std::numbers::pi * y / 150.0) + phase;
    for (int x = 0; x < width; ++x) {
      const double pos = std::fmod(x + wobble + kRowPeriod, kRowPeriod) / kRowPeriod;
      const auto t = static_cast<JSAMPLE>(texture(seed, x, y));
      JSAMPLE* p = &row[static_cast<std::size_t>(x) * 3];
      if (pos < share) {  // leaf: ExG about 0.7
        p[0] = static_cast<JSAMPLE>(50 + t);
        p[1] = static_cast<JSAMPLE>(135 + 2 * t);
        p[2] = static_cast<JSAMPLE>(35 + t);
      } else {  // dry reddish-brown soil: ExG about -0.07
        p[0] = static_cast<JSAMPLE>(140 + t);
        p[1] = static_cast<JSAMPLE>(92 + t);
        p[2] = static_cast<JSAMPLE>(62 + t);
      }
    }
    JSAMPROW rows[1] = {row.data()};
    jpeg_write_scanlines(&c.cinfo, rows, 1);
  }
  jpeg_finish_compress(&c.cinfo);
  return {c.out, c.out + c.out_size};
}

}  // namespace farmgate::sim
