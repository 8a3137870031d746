// IP cameras (config type `camera`): snapshots fetched from an HTTP(S) URL, kept under the data
// dir, and a canopy-cover reading computed from each. Documented in docs/sensors.md.
#pragma once

#include <string>

namespace farmgate::config {

struct CameraSource {
  std::string name;
};

}  // namespace farmgate::config
