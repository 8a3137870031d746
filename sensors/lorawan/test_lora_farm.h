// A small farm with LoRaWAN probes behind ChirpStack, built in code, and ChirpStack v4 events as
// its MQTT integration publishes them (JSON marshaler), for the tests in this folder. Test code
// only.
#pragma once

#include <boost/json.hpp>
#include <string>

#include "config/config.h"

namespace farmgate::sensors::testing {

inline constexpr const char* kSoilEui = "a84041000181c061";
inline constexpr const char* kAirEui = "0004a30b001c0530";
inline constexpr const char* kAppId = "17c82e96-be03-4f38-aef3-f83d48582d97";

inline config::MetricSpec metric(std::string name, std::string unit, double min, double max) {
  config::MetricSpec m;
  m.name = std::move(name);
  m.unit = std::move(unit);
  m.min = min;
  m.max = max;
  return m;
}

inline config::Device device(std::string id, std::string kind, std::string zone) {
  config::Device d;
  d.id = std::move(id);
  d.kind = std::move(kind);
  d.zone = std::move(zone);
  return d;
}

// soil-z3 (kind soil: it stores rssi and battery as readings too) and air-1 (kind air: it does
// not), both behind the source "lora".
inline config::Config lora_farm() {
  config::Config c;
  c.zones = {{"z3", "Vườn sầu riêng"}};
  config::DeviceKind soil;
  soil.name = "soil";
  soil.metrics = {metric("moisture", "%", 0, 100), metric("temp_c", "°C", -10, 70),
                  metric("rssi", "dBm", -150, 10), metric("battery", "%", 0, 100)};
  config::DeviceKind air;
  air.name = "air";
  air.metrics = {metric("temp_c", "°C", -20, 60), metric("rh", "%", 0, 100)};
  c.kinds = {soil, air};
  c.devices = {device("soil-z3", "soil", "z3"), device("air-1", "air", "")};

  config::ChirpstackSource s;
  s.name = "lora";
  config::ChirpstackDevice probe;
  probe.device = "soil-z3";
  probe.dev_eui = kSoilEui;
  probe.metrics = {{"moisture", "soilMoisture"}, {"temp_c", "soil.temp"}};
  config::ChirpstackDevice station;
  station.device = "air-1";
  station.dev_eui = kAirEui;
  s.devices = {probe, station};
  c.chirpstack_sources = {s};
  return c;
}

inline std::string topic(const std::string& dev_eui, const std::string& event,
                         const std::string& prefix = "application") {
  return prefix + "/" + kAppId + "/device/" + dev_eui + "/event/" + event;
}

// An uplink of soil-z3 heard by two gateways, as ChirpStack v4 (AS923-2, Vietnam) publishes it.
inline boost::json::object soil_uplink(std::uint32_t f_cnt = 12) {
  auto v = boost::json::parse(R"({
    "deduplicationId": "3ac7e3c4-4401-4b8d-9386-a5c902f9202d",
    "time": "2026-01-01T00:00:00.123456789+00:00",
    "deviceInfo": {
      "tenantId": "52f14cd4-c6f1-4fbd-8f87-4025e1d49242",
      "tenantName": "ChirpStack",
      "applicationId": "17c82e96-be03-4f38-aef3-f83d48582d97",
      "applicationName": "farm",
      "deviceProfileId": "14855bf7-d10d-4aee-b618-ebfcb64dc7ad",
      "deviceProfileName": "LSE01 soil probe",
      "deviceName": "soil-z3",
      "devEui": "a84041000181c061",
      "deviceClassEnabled": "CLASS_A",
      "tags": {}
    },
    "devAddr": "00189440",
    "adr": true,
    "dr": 5,
    "fCnt": 12,
    "fPort": 2,
    "confirmed": false,
    "data": "DR4AAAAAAAA=",
    "object": {"soilMoisture": 31.5, "soil": {"temp": 27.25, "ec": 812}, "batteryLevel": 87},
    "rxInfo": [
      {"gatewayId": "0016c001f153a14c", "uplinkId": 4217106255, "rssi": -110, "snr": 7.5,
       "channel": 2, "context": "E3OWOQ==", "crcStatus": "CRC_OK",
       "metadata": {"region_config_id": "as923_2", "region_common_name": "AS923_2"}},
      {"gatewayId": "0016c001f153a14d", "uplinkId": 1202398112, "rssi": -97, "snr": -3.25,
       "channel": 2, "context": "mv8bXA==", "crcStatus": "CRC_OK",
       "metadata": {"region_config_id": "as923_2", "region_common_name": "AS923_2"}}
    ],
    "txInfo": {"frequency": 921400000,
               "modulation": {"lora": {"bandwidth": 125000, "spreadingFactor": 7,
                                       "codeRate": "CR_4_5"}}}
  })");
  auto& o = v.as_object();
  o["fCnt"] = f_cnt;
  o["deduplicationId"] = "dedup-" + std::to_string(f_cnt);
  return o;
}

inline boost::json::object status_event(const std::string& dev_eui, double battery) {
  auto v = boost::json::parse(R"({
    "deduplicationId": "bf2a9746-1c8b-49be-a92e-f0b89c8534e4",
    "time": "2026-01-01T00:05:06.927172638+00:00",
    "deviceInfo": {"tenantName": "ChirpStack", "applicationName": "farm",
                   "deviceName": "probe", "devEui": ""},
    "margin": 10,
    "externalPowerSource": false,
    "batteryLevelUnavailable": false,
    "batteryLevel": 0
  })");
  auto& o = v.as_object();
  o["deviceInfo"].as_object()["devEui"] = dev_eui;
  o["batteryLevel"] = battery;
  return o;
}

inline boost::json::object join_event(const std::string& dev_eui) {
  auto v = boost::json::parse(R"({
    "deduplicationId": "c9dbe358-2578-4fb7-b295-66b44edc45a6",
    "time": "2026-01-01T00:00:00+00:00",
    "deviceInfo": {"deviceName": "probe", "devEui": ""},
    "devAddr": "00189440"
  })");
  auto& o = v.as_object();
  o["deviceInfo"].as_object()["devEui"] = dev_eui;
  return o;
}

inline std::string text(const boost::json::object& o) {
  return boost::json::serialize(o);
}

}  // namespace farmgate::sensors::testing
