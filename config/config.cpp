#include "config/config.h"

#include <algorithm>

namespace farmgate::config {
namespace {

// Lists are a few dozen entries at most; a linear scan beats keeping an index in sync.
template <class T, class Key>
const T* find_by(const std::vector<T>& items, std::string_view wanted, Key key) {
  const auto it =
      std::find_if(items.begin(), items.end(), [&](const T& item) { return key(item) == wanted; });
  return it == items.end() ? nullptr : &*it;
}

}  // namespace

const MetricSpec* DeviceKind::find_metric(std::string_view metric) const {
  return find_by(metrics, metric, [](const MetricSpec& m) -> const std::string& { return m.name; });
}

const char* to_string(ActuatorType t) {
  return t == ActuatorType::pump ? "pump" : "valve";
}

const char* to_string(DriverType t) {
  switch (t) {
    case DriverType::mqtt_relay:
      return "mqtt_relay";
    case DriverType::simulated:
      return "simulated";
    case DriverType::gpio:
      return "gpio";
    case DriverType::modbus_coil:
      return "modbus_coil";
  }
  return "?";
}

const Actuator* Config::find_actuator(std::string_view id) const {
  return find_by(actuators, id, [](const Actuator& a) -> const std::string& { return a.id; });
}

const Line* Config::find_line(std::string_view id) const {
  return find_by(lines, id, [](const Line& l) -> const std::string& { return l.id; });
}

const Zone* Config::find_zone(std::string_view id) const {
  return find_by(zones, id, [](const Zone& z) -> const std::string& { return z.id; });
}

const Device* Config::find_device(std::string_view id) const {
  return find_by(devices, id, [](const Device& d) -> const std::string& { return d.id; });
}

const DeviceKind* Config::find_kind(std::string_view name) const {
  return find_by(kinds, name, [](const DeviceKind& k) -> const std::string& { return k.name; });
}

}  // namespace farmgate::config
