// The readers of the field-device parts of the schema: one per `sources[]` type beyond mqtt_json,
// and devices[].calibration. Internal to config/, called from schema.cpp; each lives in its own
// file so that a source type's keys and checks are read in one place.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "config/checks.h"
#include "config/config.h"
#include "config/node_reader.h"

namespace farmgate::config::detail {

// Checks that relate one part to the rest of the file (a device id that must exist, a zone),
// run once the whole file has been read, since the parts may come in any order.
using DeferredChecks = std::vector<std::function<void(NodeReader&, const Config&)>>;

// Each reads one sources[] item whose `type` chose it, with its `name` and `type` keys, into
// `out`. False when the item is not a mapping (nothing sound was read).
bool read_modbus_source(NodeReader& r, const Value& item, const std::string& where,
                        ModbusSource& out, DeferredChecks& later);
bool read_chirpstack_source(NodeReader& r, const Value& item, const std::string& where,
                            ChirpstackSource& out, DeferredChecks& later);
bool read_camera_source(NodeReader& r, const Value& item, const std::string& where,
                        CameraSource& out, DeferredChecks& later);
bool read_pulse_source(NodeReader& r, const Value& item, const std::string& where, PulseSource& out,
                       DeferredChecks& later);

// devices[i].calibration; `device` is the device read so far (its kind may not be known yet).
void read_calibration(NodeReader& r, const Value& v, const std::string& where, Calibration& out,
                      DeferredChecks& later);

}  // namespace farmgate::config::detail
