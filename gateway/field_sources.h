// FieldSources: builds the sensor sources of a configuration that are not plain MQTT JSON —
// Modbus buses, ChirpStack (LoRaWAN), pulse flow meters on GPIO, cameras (docs/sensors.md) —
// in file order, all handing their readings to the same ReadingSink (the gateway's Ingest).
// Only the daemon's wiring uses it; each source documents its own threads.
#pragma once

#include <memory>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/event.h"
#include "core/health.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/mqtt.h"
#include "core/sink.h"
#include "sensors/camera/camera_fleet.h"
#include "sensors/source.h"

namespace farmgate::gateway {

struct SourceDeps {
  MqttBus& bus;
  ReadingSink& sink;
  EventSink& events;
  Health& health;
  Metrics& metrics;
  Clock& clock;
  Logger& log;
};

struct FieldSources {
  std::vector<std::unique_ptr<sensors::Source>> sources;  // not started
  // The cameras, also among `sources` (which own them), for the daemon's hooks: snapshots on
  // irrigation runs and alarms, the newest snapshot for the phone page. Null without cameras.
  sensors::camera::CameraFleet* cameras = nullptr;
};

// Fails (a start-up error) when a source cannot be built.
Result<FieldSources> make_field_sources(const config::Config& config, const SourceDeps& deps);

}  // namespace farmgate::gateway
