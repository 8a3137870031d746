// LoRaWAN sensors behind a ChirpStack v4 server (config type `chirpstack`): uplink events from
// ChirpStack's MQTT integration mapped to devices by devEUI. Documented in docs/sensors.md.
#pragma once

#include <string>

namespace farmgate::config {

struct ChirpstackSource {
  std::string name;
};

}  // namespace farmgate::config
