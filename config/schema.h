// Schema: the layout of a farmgate configuration file (documented in docs/configuration.md) and
// the checks that relate one part to another (a device's kind and zone must exist, names are
// unique, an uplink has what its type needs). Internal to config/; used by loader.cpp.
#pragma once

#include <yaml-cpp/yaml.h>

#include "config/config.h"
#include "config/node_reader.h"

namespace farmgate::config::detail {

// Builds a Config from a document's root; every problem goes to `r`. The result means nothing
// when `r` has errors afterwards.
Config read_config(NodeReader& r, const YAML::Node& root);

}  // namespace farmgate::config::detail
