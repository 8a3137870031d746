// ModbusSource against real libmodbus slaves: TCP on loopback and RTU over a socat pty pair.
// Waits are for conditions, each with a deadline; the poll intervals are short so that the
// tests take seconds.
#include "sensors/modbus/modbus_source.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "sensors/modbus/test_slave.h"

namespace farmgate::sensors::modbus {
namespace {

using namespace std::chrono_literals;
using testing::RegisterSlave;

class RecordingSink final : public ReadingSink {
 public:
  struct Arrival {
    ReadingBatch batch;
    std::chrono::steady_clock::time_point at;
  };
  Result<void> accept(ReadingBatch batch) override {
    std::lock_guard lock(mu_);
    arrivals_.push_back({std::move(batch), std::chrono::steady_clock::now()});
    return {};
  }
  std::vector<Arrival> arrivals() const {
    std::lock_guard lock(mu_);
    return arrivals_;
  }
  std::vector<Arrival> of(const std::string& device) const {
    std::vector<Arrival> out;
    for (auto& a : arrivals()) {
      if (!a.batch.empty() && a.batch.front().device == device) out.push_back(a);
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Arrival> arrivals_;
};

class RecordingEvents final : public EventSink {
 public:
  void raise(Event e) override {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(e));
  }
  std::vector<Event> with(const std::string& code, const std::string& device) const {
    std::lock_guard lock(mu_);
    std::vector<Event> out;
    for (const auto& e : events_) {
      if (e.code == code && e.message.starts_with(device + " ")) out.push_back(e);
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Event> events_;
};

// Wall time before the clock is synchronised; steady time real, so that intervals still pass.
class UnsyncedClock final : public Clock {
 public:
  Timestamp now() const override { return from_epoch_ms(5'000); }
  SteadyTime steady_now() const override { return std::chrono::steady_clock::now(); }
};

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return done();
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

config::Config farm_config() {
  config::Config c;
  c.kinds.push_back({"soil",
                     {{"moisture", "%", 0, 100},
                      {"temp_c", "°C", -10, 70},
                      {"ec", "mS/cm", 0, 20},
                      {"ph", "pH", 0, 14},
                      {"nitrogen", "mg/kg", 0, 2000},
                      {"phosphorus", "mg/kg", 0, 2000},
                      {"potassium", "mg/kg", 0, 2000}}});
  c.devices.push_back({"soil-z1", "soil", "z1", {}});
  c.devices.push_back({"soil-z2", "soil", "z2", {}});
  return c;
}

config::ModbusDevice device(const std::string& id, int slave, const char* profile,
                            Millis interval) {
  config::ModbusDevice d;
  d.device = id;
  d.slave = slave;
  d.profile = profile;
  d.interval = interval;
  d.registers = config::find_modbus_profile(profile)->registers;
  return d;
}

config::ModbusSource tcp_bus(unsigned short port) {
  config::ModbusSource s;
  s.name = "rs485";
  s.host = "127.0.0.1";
  s.tcp_port = port;
  s.timeout = 300ms;
  s.retries = 1;
  s.frame_gap = 5ms;
  s.offline_after = 3;
  return s;
}

// A soil-3in1 probe reading 31.5 %, -2.5 °C, 800 µS/cm.
void play_probe(RegisterSlave& slave, int unit, std::uint16_t moisture = 315) {
  slave.set_holding(unit, 0, moisture);
  slave.set_holding(unit, 1, 0xFFE7);
  slave.set_holding(unit, 2, 800);
}

// Everything a source needs, with the fakes the tests look into.
struct Rig {
  config::Config config = farm_config();
  config::ModbusSource bus;
  RecordingSink sink;
  RecordingEvents events;
  Health health;
  Metrics metrics;
  SystemClock system_clock;
  MemoryLogger log;

  std::unique_ptr<ModbusSource> make(Clock* clock = nullptr) {
    return std::make_unique<ModbusSource>(bus, config, sink, events, health, metrics,
                                          clock ? *clock : system_clock, log);
  }
  double gauge(const std::string& name, const Labels& labels) {
    return metrics.gauge(name, "", labels).value();
  }
  std::uint64_t counter(const std::string& name, const Labels& labels) {
    return metrics.counter(name, "", labels).value();
  }
  std::optional<Health::Component> component() const {
    for (auto& c : health.snapshot()) {
      if (c.name == "modbus/rs485") return c;
    }
    return std::nullopt;
  }
};

TEST(ModbusSourceTest, ReadsASoilProbeOverTcpIntoOneBatchPerPoll) {
  RegisterSlave slave;
  play_probe(slave, 1);
  slave.start();
  Rig rig;
  rig.bus = tcp_bus(slave.port());
  rig.bus.devices = {device("soil-z1", 1, "soil-3in1", 200ms)};
  auto source = rig.make();
  ASSERT_TRUE(source->start().ok());
  ASSERT_TRUE(eventually([&] { return rig.sink.arrivals().size() >= 2; }));
  source->stop();

  const auto arrivals = rig.sink.arrivals();
  const ReadingBatch& batch = arrivals.front().batch;
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch[0].metric, "moisture");
  EXPECT_DOUBLE_EQ(batch[0].value, 31.5);
  EXPECT_EQ(batch[0].unit, "%");
  EXPECT_EQ(batch[1].metric, "temp_c");
  EXPECT_DOUBLE_EQ(batch[1].value, -2.5);
  EXPECT_EQ(batch[1].unit, "°C");
  EXPECT_EQ(batch[2].metric, "ec");
  EXPECT_DOUBLE_EQ(batch[2].value, 0.8);
  EXPECT_EQ(batch[2].unit, "mS/cm");
  for (const Reading& r : batch) {
    EXPECT_EQ(r.device, "soil-z1");
    EXPECT_EQ(r.zone, "z1");
    EXPECT_EQ(r.kind, "soil");
    EXPECT_EQ(r.time, batch[0].time);
    EXPECT_EQ(r.quality, Quality::good);
  }
  // Two polls are two batches, taken at different instants.
  EXPECT_GT(arrivals[1].batch[0].time, arrivals[0].batch[0].time);
  EXPECT_GE(rig.counter("farmgate_modbus_polls_total", {{"device", "soil-z1"}}), 2u);
  EXPECT_GE(rig.counter("farmgate_modbus_readings_total", {{"device", "soil-z1"}}), 6u);
  EXPECT_GT(rig.gauge("farmgate_modbus_last_success_timestamp_seconds", {{"device", "soil-z1"}}),
            1.6e9);
  // One read request a poll: the three registers are one block.
  EXPECT_LE(slave.requests(1), static_cast<int>(arrivals.size()) + 1);
  // The component is forgotten once stopped.
  EXPECT_FALSE(rig.component().has_value());
}

TEST(ModbusSourceTest, ReadsASevenInOneProbeOverRtu) {
  if (!testing::on_path("socat")) GTEST_SKIP() << "socat is not installed (apt install socat)";
  const auto dir =
      std::filesystem::temp_directory_path() / ("farmgate-modbus-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    testing::SocatPtyPair line(dir);
    RegisterSlave slave(line.b().string(), 7);
    play_probe(slave, 7);
    slave.set_holding(7, 3, 65);  // pH 6.5
    slave.set_holding(7, 4, 120);
    slave.set_holding(7, 5, 35);
    slave.set_holding(7, 6, 210);
    slave.start();
    Rig rig;
    rig.bus.name = "rs485";
    rig.bus.port = line.a().string();
    rig.bus.timeout = 500ms;
    rig.bus.frame_gap = 20ms;
    rig.bus.devices = {device("soil-z1", 7, "soil-7in1", 300ms)};
    auto source = rig.make();
    ASSERT_TRUE(source->start().ok());
    ASSERT_TRUE(eventually([&] { return !rig.sink.arrivals().empty(); }))
        << ::testing::PrintToString(rig.log.lines());
    source->stop();
    const ReadingBatch batch = rig.sink.arrivals().front().batch;
    ASSERT_EQ(batch.size(), 7u);
    std::map<std::string, double> values;
    for (const Reading& r : batch) values[r.metric] = r.value;
    EXPECT_DOUBLE_EQ(values["moisture"], 31.5);
    EXPECT_DOUBLE_EQ(values["temp_c"], -2.5);
    EXPECT_DOUBLE_EQ(values["ec"], 0.8);
    EXPECT_DOUBLE_EQ(values["ph"], 6.5);
    EXPECT_DOUBLE_EQ(values["nitrogen"], 120);
    EXPECT_DOUBLE_EQ(values["phosphorus"], 35);
    EXPECT_DOUBLE_EQ(values["potassium"], 210);
    EXPECT_EQ(batch[3].unit, "pH");
  }
  std::filesystem::remove_all(dir);
}

TEST(ModbusSourceTest, ADeadProbeGoesOfflineWhileTheOtherStaysOnTimeAndComesBack) {
  RegisterSlave slave;
  play_probe(slave, 1);
  play_probe(slave, 2);
  slave.set_silent(2, true);
  slave.start();
  Rig rig;
  rig.bus = tcp_bus(slave.port());
  // Four attempts of 300 ms while the dead probe is not yet offline; one after.
  rig.bus.retries = 3;
  rig.bus.devices = {device("soil-z1", 1, "soil-3in1", 200ms),
                     device("soil-z2", 2, "soil-3in1", 500ms)};
  auto source = rig.make();
  ASSERT_TRUE(source->start().ok());

  ASSERT_TRUE(
      eventually([&] { return !rig.events.with("modbus_device_offline", "soil-z2").empty(); }));
  const auto offline = rig.events.with("modbus_device_offline", "soil-z2");
  ASSERT_EQ(offline.size(), 1u);
  EXPECT_EQ(offline[0].severity, Severity::alarm);
  EXPECT_EQ(offline[0].source, "modbus/rs485");
  EXPECT_GE(rig.counter("farmgate_modbus_poll_failures_total", {{"device", "soil-z2"}}), 3u);
  EXPECT_EQ(rig.gauge("farmgate_modbus_device_offline", {{"device", "soil-z2"}}), 1);
  EXPECT_EQ(rig.gauge("farmgate_modbus_device_offline", {{"device", "soil-z1"}}), 0);
  ASSERT_TRUE(eventually([&] {
    auto c = rig.component();
    return c && c->status == Health::Status::degraded;
  }));
  EXPECT_NE(rig.component()->detail.find("soil-z2"), std::string::npos);

  // While soil-z2 is offline, soil-z1 keeps its 200 ms cadence: a poll of the dead probe costs
  // one 300 ms timeout, not four.
  const std::size_t before = rig.sink.of("soil-z1").size();
  ASSERT_TRUE(eventually([&] { return rig.sink.of("soil-z1").size() >= before + 8; }));
  const auto z1 = rig.sink.of("soil-z1");
  for (std::size_t i = before + 1; i < z1.size(); ++i) {
    EXPECT_LT(z1[i].at - z1[i - 1].at, 1000ms) << "gap before soil-z1 batch " << i;
  }
  EXPECT_TRUE(rig.events.with("modbus_device_offline", "soil-z1").empty());
  EXPECT_TRUE(rig.sink.of("soil-z2").empty());

  slave.set_silent(2, false);
  ASSERT_TRUE(
      eventually([&] { return !rig.events.with("modbus_device_online", "soil-z2").empty(); }));
  ASSERT_TRUE(eventually([&] { return !rig.sink.of("soil-z2").empty(); }));
  EXPECT_EQ(rig.events.with("modbus_device_online", "soil-z2")[0].severity, Severity::info);
  EXPECT_EQ(rig.events.with("modbus_device_offline", "soil-z2").size(), 1u);
  EXPECT_EQ(rig.gauge("farmgate_modbus_device_offline", {{"device", "soil-z2"}}), 0);
  EXPECT_TRUE(eventually([&] { return rig.component()->status == Health::Status::up; }));
  source->stop();
}

TEST(ModbusSourceTest, AValueOutOfRangeRefusesThePollButTheDeviceIsOnline) {
  RegisterSlave slave;
  play_probe(slave, 1, /*moisture=*/1500);  // 150 %
  slave.start();
  Rig rig;
  rig.bus = tcp_bus(slave.port());
  rig.bus.offline_after = 1;
  rig.bus.devices = {device("soil-z1", 1, "soil-3in1", 100ms)};
  auto source = rig.make();
  ASSERT_TRUE(source->start().ok());
  ASSERT_TRUE(eventually([&] {
    return rig.counter("farmgate_modbus_rejected_total",
                       {{"device", "soil-z1"}, {"reason", "out_of_range"}}) >= 3;
  }));
  source->stop();
  EXPECT_TRUE(rig.sink.arrivals().empty());
  EXPECT_TRUE(rig.events.with("modbus_device_offline", "soil-z1").empty());
  // Logged once, not once a poll.
  const auto lines = rig.log.lines();
  EXPECT_EQ(std::count_if(
                lines.begin(), lines.end(),
                [](const std::string& l) { return l.find("out_of_range") != std::string::npos; }),
            1);
}

TEST(ModbusSourceTest, ReconnectsWhenTheTcpLinkDrops) {
  RegisterSlave slave;
  play_probe(slave, 1);
  slave.start();
  Rig rig;
  rig.bus = tcp_bus(slave.port());
  rig.bus.devices = {device("soil-z1", 1, "soil-3in1", 100ms)};
  auto source = rig.make();
  ASSERT_TRUE(source->start().ok());
  ASSERT_TRUE(eventually([&] { return !rig.sink.arrivals().empty(); }));
  slave.stop();
  ASSERT_TRUE(eventually([&] {
    return rig.gauge("farmgate_modbus_connected", {{"source", "rs485"}}) == 0;
  }));
  slave.start();  // the same port
  const std::size_t before = rig.sink.arrivals().size();
  ASSERT_TRUE(eventually([&] { return rig.sink.arrivals().size() > before + 1; }, 15s));
  source->stop();
  EXPECT_GE(rig.counter("farmgate_modbus_connects_total", {{"source", "rs485"}}), 2u);
  EXPECT_GE(rig.counter("farmgate_modbus_request_errors_total",
                        {{"source", "rs485"}, {"reason", "link"}}),
            1u);
}

TEST(ModbusSourceTest, ABusThatCannotOpenTakesItsDevicesOfflineAndIsDown) {
  Rig rig;
  rig.bus.name = "rs485";
  rig.bus.port = "/dev/serial/by-id/farmgate-test-no-such-adapter";
  rig.bus.offline_after = 2;
  rig.bus.devices = {device("soil-z1", 1, "soil-3in1", 100ms)};
  auto source = rig.make();
  ASSERT_TRUE(source->start().ok());  // not fatal: the adapter may be plugged in later
  ASSERT_TRUE(
      eventually([&] { return !rig.events.with("modbus_device_offline", "soil-z1").empty(); }));
  ASSERT_TRUE(eventually([&] {
    auto c = rig.component();
    return c && c->status == Health::Status::down;
  }));
  EXPECT_NE(rig.component()->detail.find("no-such-adapter"), std::string::npos);
  source->stop();
}

TEST(ModbusSourceTest, MarksReadingsWhileTheClockIsUnsynchronised) {
  RegisterSlave slave;
  play_probe(slave, 1);
  slave.start();
  Rig rig;
  rig.bus = tcp_bus(slave.port());
  rig.bus.devices = {device("soil-z1", 1, "soil-3in1", 100ms)};
  UnsyncedClock clock;
  auto source = rig.make(&clock);
  ASSERT_TRUE(source->start().ok());
  ASSERT_TRUE(eventually([&] { return !rig.sink.arrivals().empty(); }));
  source->stop();
  const auto arrivals = rig.sink.arrivals();
  for (const Reading& r : arrivals.front().batch) {
    EXPECT_EQ(r.quality, Quality::clock_unsynced);
    EXPECT_EQ(r.time, from_epoch_ms(5'000));
  }
}

TEST(ModbusSourceTest, StopReturnsWithinAboutOneTimeoutWhileAProbeIsSilent) {
  RegisterSlave slave;
  play_probe(slave, 1);
  slave.set_silent(1, true);
  slave.start();
  Rig rig;
  rig.bus = tcp_bus(slave.port());
  rig.bus.timeout = 1s;
  rig.bus.retries = 5;
  rig.bus.devices = {device("soil-z1", 1, "soil-3in1", 100ms)};
  auto source = rig.make();
  ASSERT_TRUE(source->start().ok());
  ASSERT_TRUE(eventually([&] { return slave.requests(1) >= 1; }));
  const auto t0 = std::chrono::steady_clock::now();
  source->stop();
  // Not the six attempts of the retries: at most the request in flight.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2500ms);
  EXPECT_TRUE(rig.sink.arrivals().empty());
}

}  // namespace
}  // namespace farmgate::sensors::modbus
