#include "sensors/lorawan/chirpstack_decoder.h"

#include <gtest/gtest.h>

#include "core/clock.h"
#include "sensors/lorawan/test_lora_farm.h"

namespace farmgate::sensors {
namespace {

using namespace farmgate::sensors::testing;
namespace json = boost::json;

// 2026-01-01T00:10:00Z: ten minutes after the events' own time.
const Timestamp kReceived = from_epoch_ms(1'767'225'600'000 + 600'000);

class ChirpstackDecoderTest : public ::testing::Test {
 protected:
  Result<DecodedLorawan> decode(const std::string& topic_text, const std::string& payload,
                                bool synced = true) {
    return decoder_.decode(topic_text, payload, kReceived, synced);
  }
  Result<DecodedLorawan> up(const json::object& o) {
    return decode(topic(kSoilEui, "up"), text(o));
  }
  // The error's "where: what" message, for a decode that must fail.
  std::string error_of(const Result<DecodedLorawan>& r, const std::string& code) {
    EXPECT_FALSE(r.ok());
    if (r.ok()) return {};
    EXPECT_EQ(r.error().code, code) << r.error().message;
    return r.error().message;
  }
  std::string refusal_of(const Result<DecodedLorawan>& r, const std::string& code) {
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    if (!r.ok()) return {};
    EXPECT_TRUE(r->refused.has_value());
    EXPECT_TRUE(r->readings.empty());
    if (!r->refused) return {};
    EXPECT_EQ(r->refused->code, code) << r->refused->message;
    return r->refused->message;
  }
  const Reading* find(const DecodedLorawan& d, const std::string& metric) {
    for (const auto& r : d.readings) {
      if (r.metric == metric) return &r;
    }
    return nullptr;
  }

  config::Config farm_ = lora_farm();
  ChirpstackDecoder decoder_{farm_.chirpstack_sources[0], farm_};
};

TEST_F(ChirpstackDecoderTest, ReadsARealisticUplink) {
  auto r = up(soil_uplink(12));
  ASSERT_TRUE(r.ok()) << r.error().message;
  const DecodedLorawan& d = *r;
  EXPECT_EQ(d.event, LorawanEvent::up);
  EXPECT_EQ(d.dev_eui, kSoilEui);
  ASSERT_NE(d.device, nullptr);
  EXPECT_EQ(d.device->id, "soil-z3");
  EXPECT_EQ(d.device_name, "soil-z3");
  EXPECT_EQ(d.f_cnt, 12u);
  EXPECT_EQ(d.f_port, 2u);
  EXPECT_EQ(d.deduplication_id, "dedup-12");
  EXPECT_FALSE(d.refused.has_value());
  // Each the best over the two gateways, though they come from different ones.
  EXPECT_EQ(d.rssi, -97);
  EXPECT_EQ(d.snr, 7.5);
  EXPECT_EQ(d.battery, 87);
  EXPECT_TRUE(d.time_from_event);
  EXPECT_EQ(to_epoch_ms(d.time), 1'767'225'600'123);

  ASSERT_EQ(d.readings.size(), 4u);  // moisture, temp_c, rssi, battery: the kind's order
  const Reading expected{"soil-z3", "z3", "soil", "moisture", 31.5, "%", d.time, Quality::good};
  EXPECT_EQ(d.readings[0], expected);
  EXPECT_EQ(d.readings[1].metric, "temp_c");
  EXPECT_EQ(d.readings[1].value, 27.25);  // from the nested path soil.temp
  EXPECT_EQ(d.readings[2].metric, "rssi");
  EXPECT_EQ(d.readings[2].value, -97);
  EXPECT_EQ(d.readings[3].metric, "battery");
  EXPECT_EQ(d.readings[3].value, 87);
}

TEST_F(ChirpstackDecoderTest, AKindWithoutRadioMetricsGetsOnlyItsOwn) {
  json::object o = soil_uplink();
  o["deviceInfo"].as_object()["devEui"] = kAirEui;
  o["object"] = json::object{{"temp_c", 31.0}, {"rh", 78}, {"batteryLevel", 40}};
  auto r = decode(topic(kAirEui, "up"), text(o));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->readings.size(), 2u);
  EXPECT_EQ(r->readings[0].metric, "temp_c");
  EXPECT_EQ(r->readings[0].zone, "");
  EXPECT_EQ(r->readings[1].metric, "rh");
  EXPECT_EQ(r->rssi, -97);  // still health
  EXPECT_EQ(r->battery, 40);
}

TEST_F(ChirpstackDecoderTest, ListsOneFilterPerEventUnderThePrefix) {
  const std::vector<std::string> expected{"application/+/device/+/event/up",
                                          "application/+/device/+/event/status",
                                          "application/+/device/+/event/join"};
  EXPECT_EQ(decoder_.filters(), expected);
}

TEST_F(ChirpstackDecoderTest, RefusesTopicsOfAnotherShape) {
  const std::string payload = text(soil_uplink());
  for (const std::string t :
       {"application/x/device/a84041000181c061/event", "other/x/device/a84041000181c061/event/up",
        "application/x/devices/a84041000181c061/event/up",
        "application/x/device/a84041000181c061/event/log", "application//device/a/event/up",
        "application", "applicationx/x/device/a84041000181c061/event/up"}) {
    const std::string m = error_of(decode(t, payload), "unknown_topic");
    EXPECT_EQ(m.rfind("topic: expected application/", 0), 0u) << t << " → " << m;
  }
  EXPECT_EQ(error_of(decode(topic("a84041000181c06", "up"), payload), "bad_dev_eui"),
            "topic: the devEUI level is not 16 hex digits");
}

TEST_F(ChirpstackDecoderTest, MatchesTheDevEuiInAnyCaseButRefusesAMismatch) {
  json::object o = soil_uplink();
  o["deviceInfo"].as_object()["devEui"] = "A84041000181C061";
  auto r = decode(topic("A84041000181c061", "up"), text(o));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->dev_eui, kSoilEui);
  EXPECT_NE(r->device, nullptr);

  EXPECT_EQ(error_of(decode(topic(kAirEui, "up"), text(soil_uplink())), "dev_eui_mismatch"),
            "deviceInfo.devEui: a84041000181c061 is not the topic's 0004a30b001c0530");
}

TEST_F(ChirpstackDecoderTest, AnUnlistedDevEuiIsNotAnError) {
  json::object o = soil_uplink();
  o["deviceInfo"].as_object()["devEui"] = "70b3d57ed0001234";
  auto r = decode(topic("70b3d57ed0001234", "up"), text(o));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->mapping, nullptr);
  EXPECT_EQ(r->device, nullptr);
  EXPECT_EQ(r->dev_eui, "70b3d57ed0001234");
  EXPECT_TRUE(r->readings.empty());
}

TEST_F(ChirpstackDecoderTest, MissingFieldsAreLocatedOrTakenAsTheirDefaults) {
  json::object o = soil_uplink();
  o.erase("deviceInfo");
  EXPECT_EQ(error_of(up(o), "missing_field"), "deviceInfo: missing");
  o = soil_uplink();
  o["deviceInfo"].as_object().erase("devEui");
  EXPECT_EQ(error_of(up(o), "missing_field"), "deviceInfo.devEui: missing");

  // Protobuf's JSON mapping may leave out a zero fCnt.
  o = soil_uplink();
  o.erase("fCnt");
  auto r = up(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->f_cnt, 0u);

  // No codec: no object, but the radio metrics are still readings.
  o = soil_uplink();
  o.erase("object");
  r = up(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->readings.size(), 1u);
  EXPECT_EQ(r->readings[0].metric, "rssi");
  EXPECT_FALSE(r->battery.has_value());

  o = soil_uplink();
  o["object"] = nullptr;
  o.erase("rxInfo");
  r = up(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->readings.empty());
  EXPECT_FALSE(r->rssi.has_value());
  EXPECT_FALSE(r->refused.has_value());
}

TEST_F(ChirpstackDecoderTest, WrongTypesAreLocated) {
  const auto with = [](const char* key, json::value v) {
    json::object o = soil_uplink();
    o[key] = std::move(v);
    return o;
  };
  EXPECT_EQ(error_of(up(with("fCnt", "12")), "wrong_type"),
            "fCnt: expected a whole number 0..4294967295, got a string");
  EXPECT_EQ(error_of(up(with("fCnt", -1)), "wrong_type"),
            "fCnt: expected a whole number 0..4294967295, got -1");
  EXPECT_EQ(error_of(up(with("fCnt", 4294967296LL)), "wrong_type"),
            "fCnt: expected a whole number 0..4294967295, got 4.29497e+09");
  EXPECT_EQ(error_of(up(with("fCnt", 1.5)), "wrong_type"),
            "fCnt: expected a whole number 0..4294967295, got 1.5");
  EXPECT_EQ(error_of(up(with("rxInfo", json::object{})), "wrong_type"),
            "rxInfo: expected an array, got an object");
  EXPECT_EQ(error_of(up(with("object", json::array{1, 2})), "wrong_type"),
            "object: expected an object, got an array");
  EXPECT_EQ(error_of(up(with("deviceInfo", "soil-z3")), "wrong_type"),
            "deviceInfo: expected an object, got a string");

  json::object o = soil_uplink();
  o["rxInfo"].as_array()[1].as_object()["rssi"] = "-97";
  EXPECT_EQ(error_of(up(o), "wrong_type"), "rxInfo[1].rssi: expected a number, got a string");
  o = soil_uplink();
  o["rxInfo"].as_array()[0] = 7;
  EXPECT_EQ(error_of(up(o), "wrong_type"), "rxInfo[0]: expected an object, got a number");
  o = soil_uplink();
  o["deviceInfo"].as_object()["devEui"] = 42;
  EXPECT_EQ(error_of(up(o), "wrong_type"), "deviceInfo.devEui: expected a string, got a number");
}

TEST_F(ChirpstackDecoderTest, FollowsNestedObjectPaths) {
  json::object o = soil_uplink();
  o["object"].as_object()["soil"] = 27.25;
  EXPECT_EQ(refusal_of(up(o), "wrong_type"),
            "object.soil: expected an object holding 'temp', got a number");

  // A probe the codec reports as missing (null or absent) is just not there.
  o = soil_uplink();
  o["object"].as_object()["soil"].as_object()["temp"] = nullptr;
  auto r = up(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(find(*r, "temp_c"), nullptr);
  EXPECT_NE(find(*r, "moisture"), nullptr);
  o["object"].as_object().erase("soil");
  r = up(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(find(*r, "temp_c"), nullptr);
}

TEST_F(ChirpstackDecoderTest, NumericStringsAreNumbersOtherValuesAreRefused) {
  json::object o = soil_uplink();
  o["object"].as_object()["soilMoisture"] = "31.50";  // a codec's toFixed(2)
  auto r = up(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_NE(find(*r, "moisture"), nullptr);
  EXPECT_EQ(find(*r, "moisture")->value, 31.5);

  for (json::value bad : {json::value("dry"), json::value(true), json::value(json::array{31.5}),
                          json::value("31.5%"), json::value(""), json::value("nan")}) {
    o["object"].as_object()["soilMoisture"] = bad;
    const std::string m = refusal_of(up(o), "wrong_type");
    EXPECT_EQ(m.rfind("object.soilMoisture: moisture must be a number, got ", 0), 0u) << m;
  }
}

TEST_F(ChirpstackDecoderTest, AValueOutOfRangeRefusesTheReadingsButNotTheFrame) {
  json::object o = soil_uplink(40);
  o["object"].as_object()["soilMoisture"] = 150;
  auto r = up(o);
  EXPECT_EQ(refusal_of(r, "out_of_range"), "object.soilMoisture: moisture 150 is outside 0..100 %");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->f_cnt, 40u);
  EXPECT_EQ(r->rssi, -97);

  o = soil_uplink();
  for (auto& g : o["rxInfo"].as_array()) g.as_object()["rssi"] = -200;
  EXPECT_EQ(refusal_of(up(o), "out_of_range"), "rxInfo: rssi -200 is outside -150..10 dBm");
}

TEST_F(ChirpstackDecoderTest, CalibratesBeforeTheRangeCheckAndKeepsTheRawValue) {
  config::Config farm = lora_farm();
  config::MetricCalibration rule;
  rule.metric = "moisture";
  rule.scale = -0.25;  // a capacitive probe's counts: 520 dry (0 %), 120 wet (100 %)
  rule.offset = 130;
  farm.devices[0].calibration.metrics = {rule};
  ChirpstackDecoder calibrated(farm.chirpstack_sources[0], farm);

  json::object o = soil_uplink();
  o["object"].as_object()["soilMoisture"] = 400;  // 400 % raw: only the calibrated 30 % is checked
  auto r = calibrated.decode(topic(kSoilEui, "up"), text(o), kReceived, true);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_FALSE(r->refused.has_value()) << r->refused->message;
  ASSERT_EQ(r->readings.size(), 5u);
  EXPECT_EQ(r->readings[0].metric, "moisture");
  EXPECT_EQ(r->readings[0].value, 30);
  EXPECT_EQ(r->readings[4].metric, "moisture_raw");
  EXPECT_EQ(r->readings[4].value, 400);
  EXPECT_EQ(r->readings[4].unit, "");

  o["object"].as_object()["soilMoisture"] = 0;
  r = calibrated.decode(topic(kSoilEui, "up"), text(o), kReceived, true);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->refused.has_value());
  EXPECT_EQ(r->refused->message, "object.soilMoisture: moisture 130 (raw 0) is outside 0..100 %");
}

TEST_F(ChirpstackDecoderTest, RefusesOversizeAndMalformedPayloads) {
  config::Config farm = lora_farm();
  farm.chirpstack_sources[0].max_payload_bytes = 256;
  ChirpstackDecoder small(farm.chirpstack_sources[0], farm);
  const std::string payload = text(soil_uplink());
  auto r = small.decode(topic(kSoilEui, "up"), payload, kReceived, true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "too_large");
  EXPECT_EQ(r.error().message,
            "payload: " + std::to_string(payload.size()) + " bytes, more than the 256 allowed");

  EXPECT_EQ(error_of(decode(topic(kSoilEui, "up"), R"({"fCnt": 12,)"), "invalid_json")
                .rfind("payload at byte 12: not JSON", 0),
            0u);
  EXPECT_EQ(error_of(decode(topic(kSoilEui, "up"), R"({"fCnt": 1} x)"), "invalid_json")
                .rfind("payload at byte 12: not JSON", 0),
            0u);
  EXPECT_EQ(error_of(decode(topic(kSoilEui, "up"), "[1,2]"), "not_object"),
            "payload: expected a JSON object, got an array");
  EXPECT_EQ(error_of(decode(topic(kSoilEui, "up"), std::string(40, '[') + std::string(40, ']')),
                     "invalid_json")
                .rfind("payload at byte ", 0),
            0u);
}

TEST_F(ChirpstackDecoderTest, StampsWithTheEventTimeOnlyWhenItIsPlausible) {
  json::object o = soil_uplink();
  o["time"] = "2026-01-01T07:00:00.5+07:00";  // the same instant as 00:00:00.500Z
  auto r = up(o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->time_from_event);
  EXPECT_EQ(to_epoch_ms(r->readings[0].time), 1'767'225'600'500);

  for (json::value t : {json::value("1970-01-01T00:00:10Z"), json::value("2026-01-03T00:00:00Z"),
                        json::value("yesterday"), json::value(1767225600000)}) {
    o["time"] = t;
    r = up(o);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->time_from_event) << json::serialize(t);
    EXPECT_EQ(r->readings[0].time, kReceived);
    EXPECT_EQ(r->readings[0].quality, Quality::good);
  }
  // Without a usable time and before NTP answered, the gateway's own stamp is flagged.
  o.erase("time");
  r = decode(topic(kSoilEui, "up"), text(o), /*synced=*/false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->readings[0].quality, Quality::clock_unsynced);
  // A server time a day ahead is believed while our own clock is not set.
  o["time"] = "2026-01-03T00:00:00Z";
  r = decode(topic(kSoilEui, "up"), text(o), /*synced=*/false);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->time_from_event);
  EXPECT_EQ(r->readings[0].quality, Quality::good);
}

TEST_F(ChirpstackDecoderTest, ReadsTheBatteryOfAStatusEvent) {
  auto r = decode(topic(kSoilEui, "status"), text(status_event(kSoilEui, 15.5)));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->event, LorawanEvent::status);
  EXPECT_EQ(r->battery, 15.5);
  EXPECT_EQ(r->margin, 10);
  ASSERT_EQ(r->readings.size(), 1u);
  EXPECT_EQ(r->readings[0].metric, "battery");
  EXPECT_EQ(r->readings[0].value, 15.5);
  EXPECT_EQ(to_epoch_ms(r->readings[0].time), 1'767'225'906'927);

  // air-1's kind has no battery metric: health only.
  r = decode(topic(kAirEui, "status"), text(status_event(kAirEui, 60)));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->battery, 60);
  EXPECT_TRUE(r->readings.empty());

  // Mains power or no measurement: the 0 the JSON mapping writes is not a level.
  for (const char* flag : {"batteryLevelUnavailable", "externalPowerSource"}) {
    json::object o = status_event(kSoilEui, 0);
    o[flag] = true;
    r = decode(topic(kSoilEui, "status"), text(o));
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->battery.has_value()) << flag;
    EXPECT_TRUE(r->readings.empty());
  }
  json::object o = status_event(kSoilEui, 50);
  o["externalPowerSource"] = "no";
  EXPECT_EQ(error_of(decode(topic(kSoilEui, "status"), text(o)), "wrong_type"),
            "externalPowerSource: expected true or false, got a string");
}

TEST_F(ChirpstackDecoderTest, ReadsAJoinEvent) {
  auto r = decode(topic(kSoilEui, "join"), text(join_event(kSoilEui)));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->event, LorawanEvent::join);
  EXPECT_EQ(r->dev_addr, "00189440");
  EXPECT_NE(r->device, nullptr);
  EXPECT_TRUE(r->readings.empty());
}

TEST(ParseRfc3339Test, ReadsTheFormsChirpStackAndOthersWrite) {
  EXPECT_EQ(to_epoch_ms(*parse_rfc3339("2026-01-01T00:00:00Z")), 1'767'225'600'000);
  EXPECT_EQ(to_epoch_ms(*parse_rfc3339("2026-01-01T00:00:00.775023242+00:00")), 1'767'225'600'775);
  EXPECT_EQ(to_epoch_ms(*parse_rfc3339("2026-01-01T00:00:00.7z")), 1'767'225'600'700);
  EXPECT_EQ(to_epoch_ms(*parse_rfc3339("2025-12-31T17:00:00-07:00")), 1'767'225'600'000);
  EXPECT_EQ(to_epoch_ms(*parse_rfc3339("2024-02-29t12:30:15.01+07:00")), 1'709'184'615'010);
}

TEST(ParseRfc3339Test, RefusesWhatIsNotAnInstant) {
  for (const char* bad :
       {"", "2026-01-01", "2026-01-01T00:00:00", "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z",
        "2026-01-01T24:00:00Z", "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00+7:00",
        "2026-01-01T00:00:00Zjunk", "2026/01/01T00:00:00Z", "2026-01-01T00:00:00+07:00:00",
        "２０２６-01-01T00:00:00Z"}) {
    EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace farmgate::sensors
