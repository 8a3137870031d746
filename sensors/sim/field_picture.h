// The simulated camera's picture of a zone: a field of crop rows whose share of green leaf follows
// a canopy that grows slowly over simulated days, so that farmgate's excess-green measurement
// (sensors/camera/canopy.h) reads a plausible cover that changes. Leaf pixels are clearly green by
// ExG and soil pixels clearly not, and the JPEG keeps full colour resolution (4:4:4), so the
// measured cover stays within a few points of the drawn one. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <vector>

#include "core/time.h"

namespace farmgate::sim {

// Cover rises from `start_percent` towards `max_percent`, closing 1 - 1/e of the gap every
// `growth_days` of simulated time: 40 % → ~50 % after 5 days, ~57 % after 10, ~64 % after 20.
struct CanopyGrowth {
  double start_percent = 40;
  double max_percent = 70;
  double growth_days = 12;

  bool operator==(const CanopyGrowth&) const = default;
};

// The cover (percent) `elapsed` of simulated time after the start; never below start_percent.
double canopy_cover(const CanopyGrowth& growth, Millis elapsed);

// A width × height JPEG (quality 85) of a field in which `cover_percent` (clamped to 0..100) of
// the pixels are leaf: wavy crop rows across the picture with a little texture. `seed` varies the
// texture and the rows' phase, e.g. per zone. Throws std::runtime_error only if libjpeg fails,
// which with these fixed parameters is a broken invariant.
std::vector<std::uint8_t> field_jpeg(int width, int height, double cover_percent,
                                     std::uint64_t seed);

}  // namespace farmgate::sim
