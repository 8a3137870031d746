#include "rules/expr_catalogue.h"

#include <algorithm>

#include "config/config.h"

namespace farmgate::rules {

Catalogue Catalogue::from_config(const config::Config& config) {
  Catalogue c;
  for (const auto& z : config.zones) c.zones.push_back(z.id);
  for (const auto& d : config.devices) c.devices.push_back({d.id, d.zone, d.kind});
  for (const auto& k : config.kinds) {
    Kind kind{k.name, {}};
    for (const auto& m : k.metrics) kind.metrics.push_back(m.name);
    c.kinds.push_back(std::move(kind));
  }
  return c;
}

bool Catalogue::has_zone(std::string_view id) const {
  return std::find(zones.begin(), zones.end(), id) != zones.end();
}

const Catalogue::Device* Catalogue::find_device(std::string_view id) const {
  const auto it =
      std::find_if(devices.begin(), devices.end(), [&](const Device& d) { return d.id == id; });
  return it == devices.end() ? nullptr : &*it;
}

const Catalogue::Kind* Catalogue::find_kind(std::string_view name) const {
  const auto it =
      std::find_if(kinds.begin(), kinds.end(), [&](const Kind& k) { return k.name == name; });
  return it == kinds.end() ? nullptr : &*it;
}

}  // namespace farmgate::rules
