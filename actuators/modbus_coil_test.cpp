// ModbusCoil against libmodbus's own slave: TCP on loopback and RTU over a socat pty pair.
#include "actuators/modbus_coil.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <vector>

#include "actuators/modbus_test_support.h"

namespace farmgate::actuators {
namespace {

using namespace std::chrono_literals;
using testing::ModbusTestSlave;
using testing::SocatPtyPair;
using testing::ThreadedScheduler;

config::DriverConfig tcp_coil(unsigned short port, unsigned coil) {
  config::DriverConfig d;
  d.type = config::DriverType::modbus_coil;
  d.modbus.host = "127.0.0.1";
  d.modbus.port = port;
  d.modbus.slave = 1;
  d.modbus.coil = coil;
  d.modbus.timeout = 200ms;
  d.modbus.retries = 2;
  return d;
}

// A driver on a ThreadedScheduler, with its reports collected in order.
struct Harness {
  explicit Harness(const config::DriverConfig& d) : driver("pump", d, scheduler) {
    auto started = driver.start([this](const DriverReport& r) { reports.push_back(r); });
    EXPECT_TRUE(started.ok()) << (started ? "" : started.error().message);
  }
  // The next report, or nullopt when none comes within `limit`.
  std::optional<DriverReport> next(Millis limit = 5s) {
    const std::size_t want = seen + 1;
    if (!scheduler.run_until([&] { return reports.size() >= want; }, limit)) return std::nullopt;
    return reports[seen++];
  }

  ThreadedScheduler scheduler;
  ModbusCoil driver;
  std::vector<DriverReport> reports;
  std::size_t seen = 0;
};

TEST(ModbusCoilTest, OnSetsTheCoilAndConfirmsOffClearsIt) {
  ModbusTestSlave slave;
  slave.start();
  Harness h(tcp_coil(slave.port(), 5));
  h.driver.set(true, Millis{0});
  EXPECT_TRUE(h.reports.empty()) << "a report from inside set()";
  auto r = h.next();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, DriverReport::Kind::confirmed) << r->message;
  EXPECT_TRUE(r->on);
  EXPECT_TRUE(slave.coil(5));
  EXPECT_FALSE(slave.coil(4));

  h.driver.set(false, Millis{0});
  r = h.next();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, DriverReport::Kind::confirmed) << r->message;
  EXPECT_FALSE(r->on);
  EXPECT_FALSE(slave.coil(5));
}

TEST(ModbusCoilTest, FailsWithinItsRetriesWhenTheSlaveIsGoneAndReconnectsWhenItIsBack) {
  ModbusTestSlave slave;
  slave.start();
  const auto cfg = tcp_coil(slave.port(), 2);
  Harness h(cfg);
  h.driver.set(true, Millis{0});
  auto r = h.next();
  ASSERT_TRUE(r);
  ASSERT_EQ(r->kind, DriverReport::Kind::confirmed) << r->message;

  slave.stop();
  const auto t0 = std::chrono::steady_clock::now();
  h.driver.set(false, Millis{0});
  const auto budget = cfg.modbus.timeout * (cfg.modbus.retries + 1);
  r = h.next(budget + 500ms);
  ASSERT_TRUE(r) << "no report within timeout * (retries + 1)";
  EXPECT_LE(std::chrono::steady_clock::now() - t0, budget + 200ms);
  EXPECT_EQ(r->kind, DriverReport::Kind::failed);
  EXPECT_FALSE(r->on);
  EXPECT_NE(r->message.find("coil 2 of slave 1 at 127.0.0.1:"), std::string::npos) << r->message;
  EXPECT_NE(r->message.find("3 attempts"), std::string::npos) << r->message;

  slave.start();  // same port
  h.driver.set(false, Millis{0});
  r = h.next();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, DriverReport::Kind::confirmed) << r->message;
  EXPECT_FALSE(slave.coil(2));
}

TEST(ModbusCoilTest, AnAddressTheSlaveDoesNotHaveFailsWithItsException) {
  ModbusTestSlave slave;
  slave.start();
  Harness h(tcp_coil(slave.port(), ModbusTestSlave::kCoils + 10));
  h.driver.set(true, Millis{0});
  auto r = h.next();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, DriverReport::Kind::failed);
  EXPECT_NE(r->message.find("Illegal data address"), std::string::npos) << r->message;
}

TEST(ModbusCoilTest, NothingIsReportedAfterStopButTheLastCommandIsSent) {
  ModbusTestSlave slave;
  slave.start();
  slave.set_coil(7, true);
  Harness h(tcp_coil(slave.port(), 7));
  h.driver.set(false, Millis{0});
  h.driver.stop();  // the supervisor's safe state: OFF, then stop at once
  EXPECT_FALSE(slave.coil(7));
  EXPECT_FALSE(h.scheduler.run_until([&] { return !h.reports.empty(); }, 100ms));
}

TEST(ModbusCoilTest, DriveOffSwitchesTheCoilOffSynchronously) {
  ModbusTestSlave slave;
  slave.start();
  slave.set_coil(3, true);
  EXPECT_TRUE(ModbusCoil::drive_off(tcp_coil(slave.port(), 3).modbus).ok());
  EXPECT_FALSE(slave.coil(3));
  slave.stop();
  auto r = ModbusCoil::drive_off(tcp_coil(slave.port(), 3).modbus);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("OFF not confirmed"), std::string::npos);
}

// RTU over a pty pair: the driver on one end, libmodbus's slave (or nobody) on the other.
class ModbusRtuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::on_path("socat")) GTEST_SKIP() << "socat is not installed";
    dir_ = std::filesystem::temp_directory_path() /
           ("farmgate-rtu-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    pair_.emplace(dir_);
  }
  void TearDown() override {
    pair_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  config::DriverConfig rtu_coil(int slave, unsigned coil) const {
    config::DriverConfig d;
    d.type = config::DriverType::modbus_coil;
    d.modbus.device = pair_->a().string();
    d.modbus.slave = slave;
    d.modbus.coil = coil;
    d.modbus.timeout = 200ms;
    d.modbus.retries = 1;
    return d;
  }

  std::filesystem::path dir_;
  std::optional<SocatPtyPair> pair_;
};

TEST_F(ModbusRtuTest, SwitchesACoilOverTheSerialLine) {
  ModbusTestSlave slave(pair_->b().string(), 1);
  slave.start();
  Harness h(rtu_coil(1, 9));
  h.driver.set(true, Millis{0});
  auto r = h.next();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, DriverReport::Kind::confirmed) << r->message;
  EXPECT_TRUE(slave.coil(9));
  h.driver.set(false, Millis{0});
  r = h.next();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, DriverReport::Kind::confirmed) << r->message;
  EXPECT_FALSE(slave.coil(9));
}

TEST_F(ModbusRtuTest, ASlaveThatNeverAnswersFails) {
  // Slave 1 listens; the driver talks to slave 2, which nobody is.
  ModbusTestSlave slave(pair_->b().string(), 1);
  slave.start();
  const auto cfg = rtu_coil(2, 9);
  Harness h(cfg);
  const auto t0 = std::chrono::steady_clock::now();
  h.driver.set(true, Millis{0});
  auto r = h.next(2s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, DriverReport::Kind::failed);
  EXPECT_TRUE(r->on);
  EXPECT_NE(r->message.find("timed out"), std::string::npos) << r->message;
  EXPECT_NE(r->message.find("2 attempts"), std::string::npos) << r->message;
  EXPECT_LE(std::chrono::steady_clock::now() - t0,
            cfg.modbus.timeout * (cfg.modbus.retries + 1) + 300ms);
  EXPECT_FALSE(slave.coil(9));
}

}  // namespace
}  // namespace farmgate::actuators
