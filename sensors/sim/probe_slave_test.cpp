#include "sensors/sim/probe_slave.h"

#include <gtest/gtest.h>
#include <modbus/modbus.h>

#include <atomic>
#include <cerrno>
#include <map>

#include "config/modbus_config.h"
#include "sensors/sim/device_servers.h"

namespace farmgate::sim {
namespace {

constexpr std::int64_t kStart = 1'767'225'600'000;

struct FreeContext {
  void operator()(modbus_t* ctx) const { modbus_free(ctx); }
};

// A libmodbus master connected to the slave, as farmgate's modbus source is.
class Master {
 public:
  // `timeout_us`: generous, so a busy machine does not fail a test that expects an answer.
  Master(unsigned short port, int unit, std::uint32_t timeout_us = 2'000'000)
      : ctx_(modbus_new_tcp("127.0.0.1", port)) {
    if (!ctx_) throw std::runtime_error("modbus_new_tcp");
    modbus_set_slave(ctx_.get(), unit);
    modbus_set_response_timeout(ctx_.get(), timeout_us / 1'000'000, timeout_us % 1'000'000);
    if (modbus_connect(ctx_.get()) != 0) {
      throw std::runtime_error(std::string("connect: ") + modbus_strerror(errno));
    }
  }
  ~Master() { modbus_close(ctx_.get()); }

  // The holding registers [address, address + n), or the libmodbus errno.
  std::variant<std::vector<std::uint16_t>, int> read(int address, int n) {
    std::vector<std::uint16_t> regs(static_cast<std::size_t>(n));
    if (modbus_read_registers(ctx_.get(), address, n, regs.data()) != n) return errno;
    return regs;
  }

 private:
  std::unique_ptr<modbus_t, FreeContext> ctx_;
};

// The metric values farmgate reads from `regs` through the built-in profile soil-7in1.
std::map<std::string, double> decode_soil7(const std::vector<std::uint16_t>& regs) {
  const config::ModbusProfile* profile = config::find_modbus_profile("soil-7in1");
  EXPECT_NE(profile, nullptr);
  std::map<std::string, double> out;
  if (profile == nullptr) return out;
  for (const auto& r : profile->registers) {
    EXPECT_EQ(r.table, config::ModbusTable::holding);
    EXPECT_LT(r.address, regs.size()) << r.metric;
    if (r.address >= regs.size()) continue;
    const std::uint16_t raw = regs[r.address];
    double value = 0;
    if (r.type == config::ModbusType::int16) {
      value = static_cast<std::int16_t>(raw);
    } else {
      EXPECT_EQ(r.type, config::ModbusType::uint16) << r.metric;
      value = raw;
    }
    out[r.metric] = value * r.scale + r.offset;
  }
  return out;
}

TEST(ProbeRegistersTest, FarmgateReadsTheValuesBackThroughTheProfile) {
  ProbeReading r;
  r.moisture = 31.46;
  r.temp_c = -3.24;  // frost: the signed register
  r.ec = 0.8237;
  r.ph = 6.43;
  r.nitrogen = 48.4;
  r.phosphorus = 20.6;
  r.potassium = 98.2;
  const ProbeRegisters regs = soil7_registers(r);
  const auto read = decode_soil7({regs.begin(), regs.end()});
  ASSERT_EQ(read.size(), 7u);
  // Each within half of its register's step.
  EXPECT_NEAR(read.at("moisture"), r.moisture, 0.05);
  EXPECT_NEAR(read.at("temp_c"), r.temp_c, 0.05);
  EXPECT_NEAR(read.at("ec"), r.ec, 0.0005);
  EXPECT_NEAR(read.at("ph"), r.ph, 0.05);
  EXPECT_NEAR(read.at("nitrogen"), r.nitrogen, 0.5);
  EXPECT_NEAR(read.at("phosphorus"), r.phosphorus, 0.5);
  EXPECT_NEAR(read.at("potassium"), r.potassium, 0.5);
}

TEST(ProbeRegistersTest, DerivedValuesArePlausible) {
  for (double moisture : {15.0, 30.0, 45.0, 60.0}) {
    const ProbeReading r = probe_reading({moisture, 28.0, 0.8});
    EXPECT_EQ(r.moisture, moisture);
    EXPECT_GE(r.ph, 5.5);
    EXPECT_LE(r.ph, 7.5);
    EXPECT_GT(r.nitrogen, 0);
    EXPECT_GT(r.potassium, r.phosphorus);
  }
  EXPECT_GT(probe_reading({30, 28, 1.6}).nitrogen, probe_reading({30, 28, 0.8}).nitrogen);
}

// The farm behind the probe: noise-free soil and a steady clock moved by hand, so the model's
// value at any moment is known.
class ProbeSlaveTest : public ::testing::Test {
 protected:
  static FarmParams quiet_params() {
    FarmParams p;
    p.soil.noise_moisture = 0;
    p.soil.noise_temp = 0;
    p.soil.noise_ec = 0;
    return p;
  }

  void SetUp() override {
    farm_.start_clock();
    auto s = ProbeSlave::start(0, 3, [this] { return probe_registers(farm_, 1); });
    ASSERT_TRUE(s.ok()) << s.error().message;
    slave_ = std::move(s).value();
    ASSERT_NE(slave_->port(), 0);
  }

  std::map<std::string, double> model_now() {
    const ProbeRegisters regs = probe_registers(farm_, 1);  // time stands still between calls
    return decode_soil7({regs.begin(), regs.end()});
  }

  std::atomic<std::int64_t> steady_ms_{0};
  FarmLink farm_{
      FarmModel(quiet_params(), 1, from_epoch_ms(kStart)), SimClock{from_epoch_ms(kStart), {}, 60},
      [this] { return std::chrono::steady_clock::time_point{Millis{steady_ms_.load()}}; }};
  std::unique_ptr<ProbeSlave> slave_;
};

TEST_F(ProbeSlaveTest, AnswersWithTheModelsValuesInTheProfilesScaling) {
  Master master(slave_->port(), 3);
  auto regs = master.read(0, kProbeRegisters);
  ASSERT_TRUE(std::holds_alternative<std::vector<std::uint16_t>>(regs))
      << modbus_strerror(std::get<int>(regs));
  const auto read = decode_soil7(std::get<0>(regs));
  const auto model = model_now();
  ASSERT_EQ(read, model);
  EXPECT_GT(read.at("moisture"), 20);
  EXPECT_LT(read.at("moisture"), 60);
  EXPECT_GT(read.at("temp_c"), 15);
  EXPECT_LT(read.at("temp_c"), 40);
  EXPECT_GT(read.at("ec"), 0);
}

TEST_F(ProbeSlaveTest, FollowsTheZoneAsItIsWatered) {
  Master master(slave_->port(), 3);
  auto before = master.read(0, kProbeRegisters);
  ASSERT_TRUE(std::holds_alternative<std::vector<std::uint16_t>>(before));
  farm_.set_relay("valve-z2", true);
  farm_.set_relay("pump", true);
  steady_ms_ = 20 * 1000;  // 20 simulated minutes of 20 L/min into z2
  auto after = master.read(0, kProbeRegisters);
  ASSERT_TRUE(std::holds_alternative<std::vector<std::uint16_t>>(after));
  const double rise = (std::get<0>(after)[0] - std::get<0>(before)[0]) * 0.1;
  EXPECT_GT(rise, 10);  // ~16 % for 400 L over 24 L per %, less what dried meanwhile
  EXPECT_DOUBLE_EQ(decode_soil7(std::get<0>(after)).at("moisture"), model_now().at("moisture"));
}

TEST_F(ProbeSlaveTest, ServesSeveralClientsAtOnce) {
  Master a(slave_->port(), 3);
  Master b(slave_->port(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(std::holds_alternative<std::vector<std::uint16_t>>(a.read(0, 3)));
    EXPECT_TRUE(std::holds_alternative<std::vector<std::uint16_t>>(b.read(4, 3)));
  }
}

TEST_F(ProbeSlaveTest, AnotherUnitIdGetsNoAnswer) {
  Master other(slave_->port(), 4, 300'000);
  auto r = other.read(0, 3);
  ASSERT_TRUE(std::holds_alternative<int>(r));
  EXPECT_EQ(std::get<int>(r), ETIMEDOUT);
}

TEST_F(ProbeSlaveTest, RegistersOutsideTheBlockAreAnIllegalAddress) {
  Master master(slave_->port(), 3);
  auto r = master.read(5, 3);  // 5..7: 7 is past the block
  ASSERT_TRUE(std::holds_alternative<int>(r));
  EXPECT_EQ(std::get<int>(r), EMBXILADD);
}

TEST(ProbeSlaveStartTest, RefusesAPortInUse) {
  auto first = ProbeSlave::start(0, 1, [] { return ProbeRegisters{}; });
  ASSERT_TRUE(first.ok());
  auto second = ProbeSlave::start((*first)->port(), 1, [] { return ProbeRegisters{}; });
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "listen");
  EXPECT_NE(second.error().message.find(std::to_string((*first)->port())), std::string::npos);
}

}  // namespace
}  // namespace farmgate::sim
