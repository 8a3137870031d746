// Canopy cover of a JPEG snapshot: the share of green pixels by the excess-green index
// ExG = 2g - r - b on chromatic coordinates (r = R/(R+G+B), ...), Woebbecke et al. 1995. A pixel
// counts as green when its ExG is above the threshold; black pixels (R+G+B = 0) never do.
//
// Decoding uses libjpeg-turbo with its errors turned into a Result (the library's default
// handler would exit() the process on a corrupt file). Large images are decoded at a reduced
// scale by libjpeg's DCT scaling (1/2, 1/4 or 1/8, the smallest that keeps the decoded width at
// least min_analysis_width): a 1080p snapshot is measured at 960x540, which reads the same cover
// as full size for about a fifth less time. Smaller scales were tried and read high: a reduced
// pixel mixes leaf and soil at every leaf edge, and a mix is still green by ExG
// (bench/camera_bench.cpp: 63.0 % at 1/1 and 1/2, 67.1 % at 1/4). Pure functions; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/result.h"

namespace farmgate::sensors::camera {

struct CanopyImage {
  int width = 0;  // of the JPEG as stored, not as analysed
  int height = 0;
  double cover_percent = 0;  // 0..100, to two decimals
  int analysed_width = 0;    // after the reduced-scale decode
  int analysed_height = 0;
};

struct CanopyOptions {
  double exg_threshold = 0.1;
  // Decode no narrower than this; 0 decodes at full size.
  int min_analysis_width = 960;
  // Refuse images with more pixels than this before decoding (a bogus header must not make us
  // allocate gigabytes on a Pi).
  std::uint64_t max_pixels = 64ull * 1000 * 1000;
};

// Decodes `jpeg` and measures its canopy cover. Errors: "not_jpeg" (no JPEG start marker),
// "bad_jpeg" (libjpeg refused it or it ended early), "too_large".
Result<CanopyImage> analyse_jpeg(std::span<const std::uint8_t> jpeg, const CanopyOptions& options);

// Whether one pixel counts as green; exposed for tests of the index itself.
bool is_green(std::uint8_t r, std::uint8_t g, std::uint8_t b, double exg_threshold);

}  // namespace farmgate::sensors::camera
