#include "gateway/field_sources.h"

#include "sensors/lorawan/lorawan_source.h"
#include "sensors/modbus/modbus_source.h"
#include "sensors/pulse/pulse_source.h"

namespace farmgate::gateway {

Result<FieldSources> make_field_sources(const config::Config& config, const SourceDeps& d) {
  FieldSources field;
  auto& out = field.sources;
  for (const auto& s : config.modbus_sources) {
    out.push_back(std::make_unique<sensors::modbus::ModbusSource>(
        s, config, d.sink, d.events, d.health, d.metrics, d.clock, d.log));
  }
  for (const auto& s : config.chirpstack_sources) {
    auto source = sensors::LorawanSource::create(s, config, d.bus, d.sink, d.events, d.clock,
                                                 d.metrics, d.log);
    if (!source) return source.error();
    out.push_back(std::move(*source));
  }
  for (const auto& s : config.pulse_sources) {
    out.push_back(std::make_unique<sensors::pulse::PulseSource>(
        s, config,
        sensors::pulse::PulseServices{d.sink, d.events, d.health, d.metrics, d.clock, d.log}));
  }
  if (!config.cameras.empty()) {
    auto fleet = sensors::camera::CameraFleet::create(
        config, {d.sink, d.events, d.health, d.metrics, d.clock, d.log});
    if (!fleet) return fleet.error();
    field.cameras = fleet->get();
    out.push_back(std::move(*fleet));
  }
  return field;
}

}  // namespace farmgate::gateway
