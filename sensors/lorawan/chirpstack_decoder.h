// ChirpstackDecoder: turns one event of ChirpStack v4's MQTT integration (JSON marshaler) into
// what farmgate needs from it, or says exactly what is wrong and where. Pure: no clock, no I/O,
// no state between calls, so it can be fed anything (sensors/lorawan/chirpstack_fuzz_test.cpp).
//
// Topics: <topic_prefix>/<application id>/device/<devEUI>/event/<up|status|join>.
// Payloads (protobuf JSON mapping, camelCase), the fields used:
//   up:     deviceInfo.devEui, deviceInfo.deviceName, deduplicationId, time, fCnt, fPort,
//           object (the codec's decoded payload), rxInfo[].rssi, rxInfo[].snr
//   status: deviceInfo.devEui, time, margin, batteryLevel, batteryLevelUnavailable,
//           externalPowerSource
//   join:   deviceInfo.devEui, time, devAddr
// Protobuf's JSON mapping may leave out fields at their default value, so an absent fCnt is 0 and
// an absent or null object, rxInfo or rssi is simply not there.
//
// Readings: one per metric of the device's kind found in the event. rssi and snr come from the
// best gateway in rxInfo (each the highest over the gateways that heard the uplink), battery from
// the device's battery path in `object` or a status event's batteryLevel, every other metric from
// its object path (config/lorawan_config.h). A value may be a JSON number or a string holding
// one (several vendors' codecs format numbers with toFixed()). Each value is calibrated
// (devices[].calibration, sensors/calibration.h) before its range check against the kind, and a
// calibrated metric's raw value comes too, as a `<metric>_raw` reading after the others. Stamped
// with the event's `time` when it is a plausible RFC 3339 instant (not more than a day ahead of a
// synchronised clock), else with `received`.
//
// Failures are of two kinds:
// - The event cannot be used at all (Result error): too_large, unknown_topic, invalid_json,
//   not_object, missing_field, wrong_type, bad_dev_eui, dev_eui_mismatch.
// - The event is sound but its values are refused (DecodedLorawan::refused, readings empty):
// wrong_type,
//   out_of_range. The frame counter and radio values are still good then.
// Every message starts with where the problem is: "topic", "payload", "payload at byte N", or a
// JSON path ("rxInfo[1].rssi", "object.soil.temp").
//
// An event of a devEUI that this source does not list is not an error: DecodedLorawan::device is
// null.
//
// Immutable after construction; decode() is const and may run on any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/reading.h"
#include "core/result.h"
#include "core/time.h"
#include "sensors/calibration.h"

namespace farmgate::sensors {

enum class LorawanEvent { up, status, join };

const char* to_string(LorawanEvent e);

struct DecodedLorawan {
  LorawanEvent event = LorawanEvent::up;
  std::string dev_eui;  // lowercase, 16 hex digits
  // The configured device; null when the source does not list this devEUI.
  const config::ChirpstackDevice* mapping = nullptr;
  const config::Device* device = nullptr;
  std::string device_name;       // deviceInfo.deviceName, for messages
  std::string deduplication_id;  // empty when absent
  std::uint32_t f_cnt = 0;       // up only
  std::optional<std::uint32_t> f_port;
  std::optional<double> rssi;     // dBm, best gateway
  std::optional<double> snr;      // dB, best gateway
  std::optional<double> battery;  // %, 0..100
  std::optional<int> margin;      // status: the device's demodulation margin, dB
  std::string dev_addr;           // join
  Timestamp time{};               // the event's time, or `received`
  bool time_from_event = false;   // false: `time` was absent or not plausible
  ReadingBatch readings;
  std::optional<Error> refused;  // set: readings is empty
};

class ChirpstackDecoder {
 public:
  // `source` and `config` must outlive the decoder. Devices whose id or kind the config does not
  // have are treated as not listed (config loading refuses such files).
  ChirpstackDecoder(const config::ChirpstackSource& source, const config::Config& config);

  Result<DecodedLorawan> decode(std::string_view topic, std::string_view payload,
                                Timestamp received, bool clock_synchronised) const;

  // The MQTT filters that reach decode(): one per event type.
  std::vector<std::string> filters() const;

 private:
  struct Target {
    const config::ChirpstackDevice* mapping;
    const config::Device* device;
    const config::DeviceKind* kind;
  };
  const config::ChirpstackSource& source_;
  Calibrator calibrator_;
  std::map<std::string, Target, std::less<>> by_eui_;
};

// An RFC 3339 instant ("2022-07-18T09:34:15.775023242+00:00", "...Z"), to the millisecond
// (further digits are dropped). nullopt when the text is not one.
std::optional<Timestamp> parse_rfc3339(std::string_view text);

}  // namespace farmgate::sensors
