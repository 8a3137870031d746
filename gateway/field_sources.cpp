#include "gateway/field_sources.h"

#include "sensors/modbus/modbus_source.h"

namespace farmgate::gateway {

Result<std::vector<std::unique_ptr<sensors::Source>>> make_field_sources(
    const config::Config& config, const SourceDeps& d) {
  std::vector<std::unique_ptr<sensors::Source>> out;
  for (const auto& s : config.modbus_sources) {
    out.push_back(std::make_unique<sensors::modbus::ModbusSource>(
        s, config, d.sink, d.events, d.health, d.metrics, d.clock, d.log));
  }
  return out;
}

}  // namespace farmgate::gateway
