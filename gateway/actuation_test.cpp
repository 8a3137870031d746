// The Asio scheduler the supervisor runs on in the daemon, and the actuation built from a config
// with simulated relays, on a real io_context.
#include "gateway/actuation.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "actuators/modbus_test_support.h"
#include "core/log.h"

namespace farmgate::gateway {
namespace {

// Runs the loop until every command is confirmed and no run is left (at most 5 s).
void run_until_quiescent(boost::asio::io_context& io, Actuation& act) {
  boost::asio::steady_timer poll(io);
  std::function<void()> check = [&] {
    if (act.supervisor().quiescent()) return io.stop();
    poll.expires_after(std::chrono::milliseconds(5));
    poll.async_wait([&](boost::system::error_code) { check(); });
  };
  check();
  io.restart();
  io.run_for(std::chrono::seconds(5));
}

using namespace std::chrono_literals;

TEST(AsioSchedulerTest, TimersFireInTimeOrderAndCancelledOnesDoNot) {
  boost::asio::io_context io;
  AsioScheduler s(io);
  std::vector<int> fired;
  (void)s.after(Millis{30}, [&] { fired.push_back(3); });
  (void)s.after(Millis{10}, [&] { fired.push_back(1); });
  const auto id = s.after(Millis{20}, [&] { fired.push_back(2); });
  s.cancel(id);
  s.cancel(id);     // twice is harmless
  s.cancel(12345);  // so is an unknown id
  io.run();
  EXPECT_EQ(fired, (std::vector<int>{1, 3}));
}

TEST(AsioSchedulerTest, PostFromAnotherThreadRunsOnTheIoThread) {
  boost::asio::io_context io;
  AsioScheduler s(io);
  std::thread::id ran_on;
  auto guard = boost::asio::make_work_guard(io);
  std::thread other([&] {
    s.post([&] {
      ran_on = std::this_thread::get_id();
      guard.reset();
    });
  });
  io.run();
  other.join();
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(AsioSchedulerTest, NothingRunsAfterTheSchedulerIsGone) {
  boost::asio::io_context io;
  bool ran = false;
  {
    AsioScheduler s(io);
    (void)s.after(Millis{1}, [&] { ran = true; });
    s.post([&] { ran = true; });
  }
  io.run();
  EXPECT_FALSE(ran);
}

class NullBus final : public MqttBus {
 public:
  void subscribe(const std::string&, int, Handler) override {}
  void publish(const std::string&, const std::string&, int, bool) override {}
};

class Events final : public EventSink {
 public:
  void raise(Event e) override { events.push_back(std::move(e)); }
  std::vector<Event> events;
};

config::Config simulated_farm() {
  config::Config c;
  c.zones = {{"z1", "z1"}};
  config::Actuator pump;
  pump.id = "pump";
  pump.type = config::ActuatorType::pump;
  pump.line = "main";
  pump.max_runtime = Millis{60'000};
  pump.driver.type = config::DriverType::simulated;
  pump.driver.sim_latency = Millis{1};
  config::Actuator valve = pump;
  valve.id = "valve-z1";
  valve.type = config::ActuatorType::valve;
  valve.zone = "z1";
  valve.max_runtime = Millis{120'000};
  config::Line line;
  line.id = "main";
  line.pump_start_delay = Millis{20};
  line.valve_close_delay = Millis{20};
  c.actuators = {pump, valve};
  c.lines = {line};
  return c;
}

TEST(ActuationTest, RunsAZoneOnSimulatedRelaysThroughTheSupervisor) {
  boost::asio::io_context io;
  NullBus bus;
  Health health;
  SystemClock clock;
  Events events;
  MemoryLogger log;
  const config::Config c = simulated_farm();
  Actuation act(c, io, bus, health, clock, events, log, nullptr);
  ASSERT_TRUE(act.start().ok());
  const auto settle = [&] { run_until_quiescent(io, act); };
  settle();  // the OFFs of the start-up safe state are confirmed
  auto grant = act.supervisor().irrigate("z1", Millis{50}, actuators::RunReason::manual, "test");
  ASSERT_TRUE(grant.ok()) << grant.error().message;
  settle();
  EXPECT_TRUE(act.supervisor().quiescent());
  bool logged = false;
  for (const auto& l : log.lines())
    logged = logged || l.find("zone z1 completed") != std::string::npos;
  EXPECT_TRUE(logged);
  EXPECT_TRUE(events.events.empty());
  act.stop();
}

TEST(SafeStateTest, NothingToDoWithoutMqttRelays) {
  MemoryLogger log;
  EXPECT_EQ(run_safe_state(simulated_farm(), log), 0);
}

// The simulated farm with its pump and valve on two coils of one Modbus TCP board.
config::Config modbus_farm(unsigned short port) {
  config::Config c = simulated_farm();
  for (unsigned i = 0; i < c.actuators.size(); ++i) {
    auto& d = c.actuators[i].driver;
    d.type = config::DriverType::modbus_coil;
    d.modbus.host = "127.0.0.1";
    d.modbus.port = port;
    d.modbus.coil = i;
    d.modbus.timeout = Millis{200};
    d.modbus.retries = 1;
  }
  return c;
}

TEST(SafeStateTest, SwitchesModbusCoilsOffWithoutABroker) {
  actuators::testing::ModbusTestSlave board;
  board.start();
  board.set_coil(0, true);
  board.set_coil(1, true);
  MemoryLogger log;
  EXPECT_EQ(run_safe_state(modbus_farm(board.port()), log), 0);
  EXPECT_FALSE(board.coil(0));
  EXPECT_FALSE(board.coil(1));
}

TEST(ActuationTest, RunsAZoneOnModbusCoilsWhoseWorkersPostToTheIoThread) {
  actuators::testing::ModbusTestSlave board;
  board.start();
  board.set_coil(0, true);  // left on by a crash
  boost::asio::io_context io;
  NullBus bus;
  Health health;
  SystemClock clock;
  Events events;
  MemoryLogger log;
  const config::Config c = modbus_farm(board.port());
  Actuation act(c, io, bus, health, clock, events, log, nullptr);
  ASSERT_TRUE(act.start().ok());
  const auto settle = [&] { run_until_quiescent(io, act); };
  settle();
  EXPECT_FALSE(board.coil(0)) << "the start-up safe state did not reach the board";
  auto grant = act.supervisor().irrigate("z1", Millis{200}, actuators::RunReason::manual, "test");
  ASSERT_TRUE(grant.ok()) << grant.error().message;
  bool both_on = false;
  boost::asio::steady_timer watch(io);
  std::function<void()> look = [&] {
    both_on = both_on || (board.coil(0) && board.coil(1));
    if (act.supervisor().quiescent() && !board.coil(0) && !board.coil(1)) return io.stop();
    watch.expires_after(5ms);
    watch.async_wait([&](boost::system::error_code) { look(); });
  };
  io.restart();
  look();
  io.run_for(5s);
  EXPECT_TRUE(both_on) << "pump and valve were never on together";
  EXPECT_FALSE(board.coil(0));
  EXPECT_FALSE(board.coil(1));
  EXPECT_TRUE(events.events.empty());
  act.stop();
}

TEST(SafeStateTest, ExitsNonZeroWhenACoilCannotBeReached) {
  actuators::testing::ModbusTestSlave board;
  board.start();
  const config::Config c = modbus_farm(board.port());
  board.stop();
  MemoryLogger log;
  EXPECT_EQ(run_safe_state(c, log), 1);
  bool named = false;
  for (const auto& l : log.lines())
    named = named || l.find("pump did not confirm OFF") != std::string::npos;
  EXPECT_TRUE(named);
}

}  // namespace
}  // namespace farmgate::gateway
