// Config: farmgate's configuration, parsed once from YAML into these immutable typed structs.
// Nothing outside config/ sees YAML. Load with load_config() (config/loader.h); the result is
// read-only and may be shared between threads. The keys are documented in docs/configuration.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/calibration_config.h"
#include "config/camera_config.h"
#include "config/lorawan_config.h"
#include "config/modbus_config.h"
#include "config/pulse_config.h"
#include "core/time.h"

namespace farmgate::config {

using namespace std::chrono_literals;

// A metric a device kind reports, with its unit and valid range (inclusive). A value outside the
// range is refused as out_of_range.
struct MetricSpec {
  std::string name;
  std::string unit;
  double min = 0;
  double max = 0;
};

// A kind of device ("soil"): its name is the upstream measurement; metrics it may report.
struct DeviceKind {
  std::string name;
  std::vector<MetricSpec> metrics;

  const MetricSpec* find_metric(std::string_view metric) const;
};

struct Zone {
  std::string id;
  std::string name;  // for people, may be Vietnamese; defaults to the id
  double area_m2 = 0;  // the planted area, for yields per hectare; 0 = not given
};

struct Device {
  std::string id;
  std::string kind;  // names a DeviceKind
  std::string zone;  // names a Zone, or empty
  Calibration calibration{};
};

struct MqttConfig {
  std::string url = "tcp://127.0.0.1:1883";  // tcp://, ssl://, mqtt://, mqtts://, ws://, wss://
  std::string client_id;                     // fixed, so the broker keeps our session
  std::string username;
  std::string password;
  Millis keepalive = 30s;
  Millis reconnect_min = 1s;
  Millis reconnect_max = 60s;
};

// JSON telemetry on MQTT: one object per message, one number per metric, optional "ts" in epoch ms.
struct MqttJsonSource {
  std::string name;
  // A topic with placeholders standing for whole levels: "{device}" (required) and "{zone}",
  // e.g. "farm/{zone}/{device}/telemetry". Subscribed as the matching wildcard filter.
  std::string topic;
  int qos = 1;
  std::size_t max_payload_bytes = 16 * 1024;
};

struct StoreConfig {
  std::string path;               // SQLite file; default <data_dir>/farmgate.db
  std::string journal_dir;        // ingest journal; default <data_dir>/journal
  std::size_t batch_max = 2000;   // readings per transaction at most
  Millis batch_interval = 200ms;  // longest a reading waits for its transaction
  std::size_t queue_max = 10000;  // readings waiting for the store before ingest pushes back
  Millis retention = std::chrono::days{400};  // raw readings older than this are deleted
  std::size_t outbox_max_rows = 5'000'000;    // upstream backlog bound; oldest evicted past it
  Millis maintenance_interval = 60s;          // pruning, eviction and retention cadence
};

enum class UplinkType { influxdb_v1, influxdb_v2 };

struct UplinkConfig {
  std::string name;
  UplinkType type = UplinkType::influxdb_v1;
  std::string url;  // base URL, e.g. http://influx.example:8086
  // v1
  std::string database;
  std::string retention_policy;
  std::string username;
  std::string password;
  // v2
  std::string org;
  std::string bucket;
  std::string token;
  // batching and retry
  std::size_t batch_max = 5000;  // points per request
  Millis batch_interval = 1s;    // longest a point waits for a fuller batch
  bool gzip = true;
  Millis timeout = 15s;
  Millis backoff_min = 1s;
  Millis backoff_max = 300s;
};

struct HttpConfig {
  std::string host = "0.0.0.0";
  unsigned short port = 8080;
  // The phone page's built files (web/dist after `npm run build`); served at /. Empty: no page,
  // only the API.
  std::string web_dir = "/usr/share/farmgate/web";
  // HTTPS instead of HTTP on the same port when both are set: PEM files, the certificate (with
  // its chain) and its private key, read at start.
  std::string tls_cert{};
  std::string tls_key{};
};

// Where a lot's QR code points (docs/ocop.md). With a GTIN the code carries the GS1 Digital Link
// <gs1_base_url>/01/<GTIN-14>/10/<lot>; without one, lot_url with {lot} replaced. Both empty:
// lots have no QR code until one is set.
struct OcopConfig {
  std::string gs1_base_url;  // http(s)://..., no trailing slash
  std::string lot_url;       // http(s)://... containing {lot}
};

// ---- actuators (docs/actuators.md) -----------------------------------------------------------

enum class ActuatorType { pump, valve };
enum class DriverType { mqtt_relay, simulated, gpio, modbus_coil };

const char* to_string(ActuatorType t);
const char* to_string(DriverType t);

// A relay switched over MQTT in the Tasmota/Shelly style: a command topic that takes
// payload_on/payload_off and a state topic on which the device reports what it did.
struct MqttRelayConfig {
  std::string command_topic;  // default cmnd/<id>/POWER
  std::string state_topic;    // default stat/<id>/POWER
  std::string payload_on = "ON";
  std::string payload_off = "OFF";
  // Tasmota PulseTime: before each ON the device is told to switch itself off after the run's
  // lease, so it stops even if farmgate dies. Topic default cmnd/<id>/PulseTime.
  bool pulse_time = false;
  std::string pulse_time_topic;
};

// A relay on a GPIO line (libgpiod). The line is `offset` on `chip`, or the line called
// `line_name`, searched on every chip; exactly one of the two is given.
struct GpioConfig {
  std::string chip = "gpiochip0";  // name, /dev path, label or number, as gpiod_chip_open_lookup
  std::optional<unsigned> offset;
  std::string line_name;
  bool active_low = false;  // the relay closes when the line is driven low
};

// A relay behind a Modbus coil, over TCP (host set) or RTU (device set), never both.
struct ModbusCoilConfig {
  std::string host;  // TCP
  unsigned short port = 502;
  std::string device;  // RTU: a serial device, e.g. /dev/serial/by-id/usb-...
  int baud = 9600;
  char parity = 'N';  // 'N', 'E' or 'O', as libmodbus takes it
  int data_bits = 8;
  int stop_bits = 1;
  int slave = 1;        // 1..247
  unsigned coil = 0;    // 0..65535, the protocol address (not the 1-based "00001" notation)
  Millis timeout = 1s;  // one request's response timeout
  int retries = 2;      // further attempts after a failed one

  bool tcp() const { return !host.empty(); }
};

struct DriverConfig {
  DriverType type = DriverType::mqtt_relay;
  // How long the device has to confirm a command before it counts as not responding.
  Millis confirm_timeout = 5s;
  MqttRelayConfig mqtt;       // type mqtt_relay
  Millis sim_latency = 50ms;  // type simulated: how long the in-process relay takes to answer
  GpioConfig gpio;            // type gpio
  ModbusCoilConfig modbus;    // type modbus_coil
};

struct Actuator {
  std::string id;
  ActuatorType type = ActuatorType::valve;
  std::string line;       // names a Line; required for both types
  std::string zone;       // valves: the Zone it waters; pumps: empty
  Millis max_runtime{0};  // hard limit of one ON, required, 1s..24h
  Millis min_off{0};      // rest between two runs
  DriverConfig driver;
};

// Flow verification on a line, from a flow meter (a device reporting a rate in L/min and,
// optionally, a litre counter). Without it the supervisor cannot tell a dry well or a burst pipe
// from a good run, and runs have no volume.
struct FlowCheck {
  std::string meter;          // a Device id; empty = the line has no flow meter
  std::string rate = "rate";  // its metric in L/min
  std::string total;          // its litre counter metric; empty = volume from the rate
  double min_lpm = 1.0;       // less than this while pumping counts as no flow
  Millis verify_after = 30s;  // the pump ran this long with no flow: stop, alarm no_flow
  double max_lpm = 0;         // more than this while pumping: stop, alarm burst; 0 = off
  double leak_lpm = 0.5;      // at least this with everything off ...
  Millis leak_after = 60s;    // ... for this long: alarm leak
  Millis lockout = 30min;     // after no_flow or burst, the line refuses runs this long
};

// A water line: one pump and the valves it feeds.
struct Line {
  std::string id;
  Millis pump_start_delay = 3s;   // valve opens first; the pump starts this long after
  Millis valve_close_delay = 3s;  // the pump stops first; the valve closes this long after
  std::size_t max_open_valves = 1;
  FlowCheck flow;
};

// ---- rules (docs/rules.md) -------------------------------------------------------------------

// An expression as written in the file, and where its first character is, so that a problem the
// rules engine finds at column N of the expression can be reported as FILE:LINE:COL.
struct SourceText {
  std::string text;
  int line = 0;    // 1-based; 0 = made up by the loader (e.g. from a hysteresis: block)
  int column = 0;  // 1-based
};

struct RuleAction {
  enum class Kind { irrigate, stop, alarm, publish };
  Kind kind = Kind::irrigate;
  std::string zone;    // irrigate, stop
  Millis duration{0};  // irrigate: how long at most (the supervisor may cut it further)
  SourceText until;    // irrigate: ends the run early once true; empty = run the duration
  std::string severity = "alarm";  // alarm: info, warning or alarm
  std::string message;             // alarm: the text; publish: the payload
  std::string topic;               // publish
  bool retain = false;             // publish
};

// "When `when` has held for `hold`, do `then`" — once per time the condition becomes true, and
// not again within `cooldown` of the last firing.
struct Rule {
  std::string name;
  SourceText when;
  Millis hold{0};  // the YAML key `for`
  Millis cooldown{0};
  std::vector<RuleAction> then;
  // The stop condition a hysteresis: block gives its irrigate actions (they get it as `until`).
  SourceText until_from_hysteresis;
};

// Where the farm is, for sunrise and sunset (and evapotranspiration later).
struct SiteLocation {
  bool set = false;
  double latitude = 0;   // degrees, north positive
  double longitude = 0;  // degrees, east positive
  double altitude_m = 0;
};

// ---- programs and schedules (docs/rules.md, "Programs and schedules") ---------------------

// A stretch of local time of day, [from, to) in minutes since local midnight; to < from wraps
// past midnight ("22:00-02:00").
struct WateringWindow {
  int from_minute = 0;
  int to_minute = 24 * 60;

  bool contains(int minute_of_day) const {
    return from_minute <= to_minute ? minute_of_day >= from_minute && minute_of_day < to_minute
                                    : minute_of_day >= from_minute || minute_of_day < to_minute;
  }
};

// When a program starts: a cron line (site time zone) or an offset from sunrise or sunset.
struct ProgramStart {
  enum class Kind { cron, sunrise, sunset };
  Kind kind = Kind::cron;
  SourceText cron;   // kind == cron: the five fields (parsed by rules/cron.h)
  Millis offset{0};  // sunrise, sunset: may be negative
  int line = 0;      // where the start was written, for rules::check_rules
  int column = 0;
};

struct ProgramZone {
  std::string zone;
  Millis duration{0};  // at 100 % budget
  SourceText skip_if;  // empty: the program's skip_if
  // The zone names this program as its fallback_program (zones[].fallback_program): the entry
  // runs only while the zone's rules cannot decide (their sensors are dead).
  bool fallback = false;
};

// Zones watered one after another, e.g. every morning at 05:00.
struct Program {
  std::string name;
  std::vector<ProgramZone> zones;
  int budget_percent = 100;  // scales every duration (seasonal adjustment)
  SourceText skip_if;        // skip a zone whose entry has no skip_if of its own when true
  std::vector<ProgramStart> starts;
  std::vector<WateringWindow> windows;  // empty: the top-level watering_windows
};

// No program starts while `when` is true, nor for `hold` after it was last true.
struct RainDelay {
  SourceText when;  // empty: no automatic rain delay
  Millis hold = 24h;
};

// ---- evapotranspiration (docs/agronomy.md, "Running it: ET-driven zones") ---------------------

// The farm's weather station: the device and which of its metrics carry what. Only temp_c is
// required; without humidity, wind and radiation ET0 falls back to Hargreaves.
struct WeatherStation {
  bool set = false;
  std::string device;   // a Device id
  std::string temp_c;   // air temperature, °C
  std::string rh_pct;   // relative humidity, %; empty = none
  std::string wind_ms;  // wind speed, m/s, measured wind_height_m above ground
  double wind_height_m = 2.0;
  std::string solar_wm2;      // global radiation, W/m² at the instant; or ...
  std::string solar_mj;       // ... MJ/m² received since the station's previous reading
  std::string rain_mm;        // rain, mm
  bool rain_counter = false;  // rain_mm is a running total (rain_mode: counter), not per reading
};

// How one zone's crop uses water (FAO-56 chapters 6 and 8). Names of built-in crops and their
// p are in rules/ (rules::check_et checks `crop`); this is only what the file says.
struct ZoneAgronomy {
  std::string zone;
  bool et_mode = false;    // mode: et (the ET runtime waters the zone); mode: monitor only reports
  SourceText crop;         // a built-in crop (rules/fao56.h); empty when kc: is given
  bool custom_kc = false;  // kc: {ini, mid, end, stages: [ini, dev, mid, late]}
  double kc_ini = 0, kc_mid = 0, kc_end = 0;
  int l_ini = 0, l_dev = 0, l_mid = 0, l_late = 0;
  int planting_year = 0, planting_month = 0, planting_day = 0;
  double area_m2 = 0;       // required with mode: et
  double root_depth_m = 0;  // Zr
  double theta_fc = 0;      // volumetric water content at field capacity, m³/m³
  double theta_wp = 0;      // ... at wilting point
  std::optional<double> p;  // depletion fraction; unset = the crop's (FAO-56 Table 22)
  double efficiency = 0.9;  // application efficiency, (0, 1]
  double flow_lpm = 0;      // what the zone's valve delivers, L/min; required with mode: et
};

struct Config {
  std::string source_file;  // the file this was loaded from
  std::string site = "demo-farm";
  std::string timezone = "Asia/Ho_Chi_Minh";
  std::string data_dir = "/var/lib/farmgate";
  MqttConfig mqtt;
  HttpConfig http;
  StoreConfig store;
  OcopConfig ocop;
  std::vector<Zone> zones;
  std::vector<DeviceKind> kinds;
  std::vector<Device> devices;
  std::vector<MqttJsonSource> mqtt_sources;
  // The field-device sources (docs/sensors.md), each list in file order.
  std::vector<ModbusSource> modbus_sources;
  std::vector<ChirpstackSource> chirpstack_sources;
  std::vector<CameraSource> cameras;
  std::vector<PulseSource> pulse_sources;
  // Only the enabled uplinks: an uplink whose url is empty is left out (that is how
  // FARMGATE_INFLUX_URL unset means "no InfluxDB uplink").
  std::vector<UplinkConfig> uplinks;
  std::vector<Actuator> actuators;
  std::vector<Line> lines;
  SiteLocation location;
  std::vector<Rule> rules;
  WeatherStation weather;
  std::vector<ZoneAgronomy> agronomy;  // one per zone with an agronomy: block, in zone order
  std::vector<Program> programs;
  std::vector<WateringWindow> watering_windows;  // empty: any time of day
  RainDelay rain_delay;

  const Actuator* find_actuator(std::string_view id) const;
  const Line* find_line(std::string_view id) const;
  const Zone* find_zone(std::string_view id) const;
  const Device* find_device(std::string_view id) const;
  const DeviceKind* find_kind(std::string_view name) const;
};

}  // namespace farmgate::config
