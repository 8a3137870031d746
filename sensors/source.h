// Source: one input of readings (an MQTT topic tree, a Modbus bus, a LoRaWAN server...). The
// gateway builds sources from the config, starts them last and stops them first.
//
// start() connects or subscribes and returns; readings then flow to the ReadingSink given at
// construction, from whatever thread the source uses. After stop() returns the source hands
// over nothing more. Both are called from the gateway's owner thread.
#pragma once

#include <string>

#include "core/result.h"

namespace farmgate::sensors {

class Source {
 public:
  virtual ~Source() = default;
  virtual const std::string& name() const = 0;
  virtual Result<void> start() = 0;
  virtual void stop() = 0;
};

}  // namespace farmgate::sensors
