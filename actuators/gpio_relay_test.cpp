// GpioRelay on a fake line (the GpioLine seam), and on a real gpio-mockup/gpio-sim chip when the
// kernel has one.
#include "actuators/gpio_relay.h"

#include <gpiod.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "actuators/fake_scheduler.h"

namespace farmgate::actuators {
namespace {

using namespace std::chrono_literals;
using testing::FakeScheduler;

// What the fake line was asked and what it answers; outlives the line the driver owns.
struct FakeWire {
  bool level = false;
  bool stuck = false;   // writes do nothing (another driver holds the level)
  int write_errno = 0;  // writes fail with this
  bool opened = false;
  bool released = false;
  std::string consumer;
  std::vector<bool> writes;
};

class FakeLine final : public GpioLine {
 public:
  explicit FakeLine(FakeWire& w) : w_(w) {}
  ~FakeLine() override { w_.released = true; }
  Result<void> write(bool on) override {
    if (w_.write_errno != 0) {
      return make_error("gpio_write",
                        std::string("cannot set the line: ") + std::strerror(w_.write_errno));
    }
    w_.writes.push_back(on);
    if (!w_.stuck) w_.level = on;
    return {};
  }
  Result<bool> read() override { return w_.level; }

 private:
  FakeWire& w_;
};

GpioOpener fake_opener(FakeWire& w) {
  return [&w](const config::GpioConfig&,
              std::string_view consumer) -> Result<std::unique_ptr<GpioLine>> {
    w.opened = true;
    w.consumer = std::string(consumer);
    w.level = false;  // requested at OFF
    return std::unique_ptr<GpioLine>(std::make_unique<FakeLine>(w));
  };
}

config::DriverConfig gpio_config() {
  config::DriverConfig d;
  d.type = config::DriverType::gpio;
  d.gpio.offset = 17;
  return d;
}

struct GpioRelayTest : ::testing::Test {
  FakeClock clock;
  FakeScheduler scheduler{clock};
  FakeWire wire;
  std::vector<DriverReport> reports;
  GpioRelay relay{"pump", gpio_config(), scheduler, fake_opener(wire)};

  void start() {
    ASSERT_TRUE(relay.start([this](const DriverReport& r) { reports.push_back(r); }).ok());
  }
};

TEST_F(GpioRelayTest, RequestsTheLineAtOffWhenStarted) {
  EXPECT_FALSE(wire.opened);
  start();
  EXPECT_TRUE(wire.opened);
  EXPECT_EQ(wire.consumer, "farmgate:pump");
  EXPECT_FALSE(wire.level);
}

TEST_F(GpioRelayTest, ConfirmsWhatItReadsBackAfterSetReturns) {
  start();
  relay.set(true, Millis{5000});
  EXPECT_TRUE(wire.level);
  EXPECT_TRUE(reports.empty()) << "a report from inside set()";
  scheduler.advance(0ms);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].kind, DriverReport::Kind::confirmed);
  EXPECT_TRUE(reports[0].on);
  relay.set(false, Millis{0});
  scheduler.advance(0ms);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[1].kind, DriverReport::Kind::confirmed);
  EXPECT_FALSE(reports[1].on);
  EXPECT_FALSE(wire.level);
  scheduler.advance(10s);  // auto_off is not emulated: nothing happens on its own
  EXPECT_EQ(reports.size(), 2u);
}

TEST_F(GpioRelayTest, AWriteErrorFailsWithTheErrnoText) {
  start();
  wire.write_errno = EBUSY;
  relay.set(true, Millis{0});
  scheduler.advance(0ms);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].kind, DriverReport::Kind::failed);
  EXPECT_TRUE(reports[0].on);
  EXPECT_NE(reports[0].message.find(std::strerror(EBUSY)), std::string::npos) << reports[0].message;
  EXPECT_NE(reports[0].message.find("GPIO gpiochip0 offset 17 ON"), std::string::npos)
      << reports[0].message;
}

TEST_F(GpioRelayTest, ALevelThatDoesNotFollowFails) {
  start();
  wire.stuck = true;
  relay.set(true, Millis{0});
  scheduler.advance(0ms);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].kind, DriverReport::Kind::failed);
  EXPECT_NE(reports[0].message.find("reads OFF after the write"), std::string::npos);
}

TEST_F(GpioRelayTest, StopReleasesTheLineAndSilencesPendingReports) {
  start();
  relay.set(true, Millis{0});
  relay.stop();
  EXPECT_TRUE(wire.released);
  scheduler.advance(0ms);
  EXPECT_TRUE(reports.empty());
  relay.set(false, Millis{0});  // ignored after stop
  EXPECT_EQ(wire.writes, std::vector<bool>{true});
}

TEST_F(GpioRelayTest, StartFailsWhenTheLineCannotBeRequested) {
  GpioRelay busy(
      "pump", gpio_config(), scheduler,
      [](const config::GpioConfig&, std::string_view) -> Result<std::unique_ptr<GpioLine>> {
        return make_error("gpio_request", "Device or resource busy");
      });
  auto r = busy.start([](const DriverReport&) {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "Device or resource busy");
}

TEST_F(GpioRelayTest, DriveOffLeavesTheLineOffAndReleased) {
  wire.level = true;
  EXPECT_TRUE(GpioRelay::drive_off("pump", gpio_config().gpio, fake_opener(wire)).ok());
  EXPECT_FALSE(wire.level);
  EXPECT_TRUE(wire.released);
  EXPECT_EQ(wire.consumer, "farmgate:pump:safe-state");
  wire.released = false;
  wire.stuck = true;
  const GpioOpener stuck_on = [&](const config::GpioConfig& c, std::string_view who) {
    auto line = fake_opener(wire)(c, who);
    wire.level = true;
    return line;
  };
  EXPECT_FALSE(GpioRelay::drive_off("pump", gpio_config().gpio, stuck_on).ok());
}

TEST(GpioOpenTest, AMissingChipOrLineIsAnErrorNotACrash) {
  config::GpioConfig c;
  c.chip = "no-such-chip-here";
  c.offset = 0;
  auto line = open_gpio_line(c, "farmgate:test");
  ASSERT_FALSE(line.ok());
  EXPECT_NE(line.error().message.find("cannot open GPIO chip no-such-chip-here"), std::string::npos)
      << line.error().message;
  config::GpioConfig named;
  named.line_name = "FARMGATE_NO_SUCH_LINE";
  auto by_name = open_gpio_line(named, "farmgate:test");
  ASSERT_FALSE(by_name.ok());
  EXPECT_NE(by_name.error().message.find("FARMGATE_NO_SUCH_LINE"), std::string::npos);
}

// The real libgpiod path, on a simulated chip only: toggling a real chip's pins in a test could
// start a pump. Load one with `modprobe gpio-mockup gpio_mockup_ranges=-1,8`.
TEST(GpioRealChipTest, SwitchesALineOfASimulatedChip) {
  std::string chip_name;
  for (int i = 0; i < 32 && chip_name.empty(); ++i) {
    const std::string name = "gpiochip" + std::to_string(i);
    gpiod_chip* chip = gpiod_chip_open_by_name(name.c_str());
    if (chip == nullptr) continue;
    const std::string label = gpiod_chip_label(chip);
    if (label.starts_with("gpio-mockup") || label.starts_with("gpio-sim")) chip_name = name;
    gpiod_chip_close(chip);
  }
  if (chip_name.empty()) GTEST_SKIP() << "no gpio-mockup or gpio-sim chip in this kernel";
  FakeClock clock;
  FakeScheduler scheduler(clock);
  config::DriverConfig d = gpio_config();
  d.gpio.chip = chip_name;
  d.gpio.offset = 3;
  d.gpio.active_low = true;
  std::vector<DriverReport> reports;
  GpioRelay relay("pump", d, scheduler);
  auto started = relay.start([&](const DriverReport& r) { reports.push_back(r); });
  ASSERT_TRUE(started.ok()) << started.error().message;
  relay.set(true, Millis{0});
  relay.set(false, Millis{0});
  scheduler.advance(0ms);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].kind, DriverReport::Kind::confirmed) << reports[0].message;
  EXPECT_EQ(reports[1].kind, DriverReport::Kind::confirmed) << reports[1].message;
  EXPECT_FALSE(reports[1].on);
}

}  // namespace
}  // namespace farmgate::actuators
