// The libgpiod opener, against what this machine has. Without a GPIO chip only the failures can
// be seen; with one, a line past the chip's end is refused.
#include "sensors/pulse/pulse_input.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace farmgate::sensors::pulse {
namespace {

bool have_gpio_chip() {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/dev", ec)) {
    if (e.path().filename().string().starts_with("gpiochip")) return true;
  }
  return false;
}

config::PulseSource meter() {
  config::PulseSource c;
  c.name = "flow-pulse";
  c.device = "flow-main";
  c.k_factor = 450;
  c.offset = 17;
  return c;
}

TEST(PulseInputTest, DescribesTheLineAsWritten) {
  config::PulseSource c = meter();
  EXPECT_EQ(describe_line(c), "gpiochip0 line 17");
  c.offset.reset();
  c.line_name = "FLOW_IN";
  EXPECT_EQ(describe_line(c), "line 'FLOW_IN'");
  c.chip = "gpiochip1";
  c.chip_given = true;
  EXPECT_EQ(describe_line(c), "gpiochip1 line 'FLOW_IN'");
}

TEST(PulseInputTest, AMissingChipIsAnErrorNamingIt) {
  config::PulseSource c = meter();
  c.chip = "/dev/gpiochip-farmgate-test-none";
  auto input = open_gpio_pulse_input(c, "farmgate:test");
  ASSERT_FALSE(input.ok());
  EXPECT_EQ(input.error().code, "gpio_open");
  EXPECT_NE(input.error().message.find("/dev/gpiochip-farmgate-test-none"), std::string::npos)
      << input.error().message;
}

TEST(PulseInputTest, ALineNameNoChipHasIsAnError) {
  config::PulseSource c = meter();
  c.offset.reset();
  c.line_name = "FARMGATE_TEST_NO_SUCH_LINE";
  auto input = open_gpio_pulse_input(c, "farmgate:test");
  ASSERT_FALSE(input.ok());
  EXPECT_EQ(input.error().code, "gpio_open");
  EXPECT_NE(input.error().message.find("FARMGATE_TEST_NO_SUCH_LINE"), std::string::npos)
      << input.error().message;
}

TEST(PulseInputTest, ALinePastTheChipsEndIsRefused) {
  if (!have_gpio_chip()) GTEST_SKIP() << "no /dev/gpiochip* on this machine (no gpio-sim either)";
  config::PulseSource c = meter();
  c.offset = 65535;
  auto input = open_gpio_pulse_input(c, "farmgate:test");
  ASSERT_FALSE(input.ok());
  EXPECT_NE(input.error().message.find("the chip has only"), std::string::npos)
      << input.error().message;
}

}  // namespace
}  // namespace farmgate::sensors::pulse
