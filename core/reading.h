// Reading: one measured value of one metric of one device at one instant. The unit of everything
// that flows from sensors to the store, the rules and upstream. A plain value: copy it freely.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/time.h"

namespace farmgate {

enum class Quality : std::uint8_t {
  good = 0,
  // Stamped while the gateway clock was not yet synchronised (see core/time.h).
  clock_unsynced = 1,
};

struct Reading {
  std::string device;  // e.g. "soil-z1"
  std::string zone;    // e.g. "z1"; empty for devices that belong to no zone
  std::string kind;    // the device kind, also the upstream measurement, e.g. "soil"
  std::string metric;  // e.g. "moisture"
  double value = 0;
  std::string unit;  // e.g. "%"
  Timestamp time{};
  Quality quality = Quality::good;

  bool operator==(const Reading&) const = default;
};

// The readings one device reported in one message: same device, zone, kind and time. Sources hand
// these over whole so that a message is accepted or refused as one.
using ReadingBatch = std::vector<Reading>;

}  // namespace farmgate
