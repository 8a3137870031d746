// Randomised sequences of commands, timer expiries, relay failures and restarts, checked after
// every single step (each command and each timer that fires) against the supervisor's safety
// invariants. Seeded, so a failure replays exactly.
#include <gtest/gtest.h>

#include <random>

#include "actuators/test_rig.h"

namespace farmgate::actuators {
namespace {

using namespace farmgate::actuators::testing;

struct Checker {
  Rig& rig;
  bool physical;  // also check the relays themselves (only meaningful with no broken relays)
  std::map<std::string, SteadyTime> phys_on_since;
  std::string failure;

  void check(const std::string& what) {
    if (!failure.empty()) return;
    const SteadyTime now = rig.sched.now();
    if (rig.sup) check_supervisor(what, now);
    if (physical) check_relays(what, now);
  }

  void check_supervisor(const std::string& what, SteadyTime now) {
    const auto states = rig.sup->actuators();
    bool pump_on = false, valve_open = false;
    for (const auto& s : states) {
      const auto& cfg = *std::find_if(rig.acts.begin(), rig.acts.end(),
                                      [&](const auto& a) { return a.id == s.id; });
      if (s.commanded_on && now - s.on_since > cfg.max_runtime) {
        failure = what + ": " + s.id + " commanded on past its max_runtime";
      }
      if (s.type == config::ActuatorType::pump)
        pump_on = s.commanded_on;
      else
        valve_open = valve_open || (s.commanded_on && !s.pending);
    }
    if (pump_on && !valve_open) failure = what + ": pump commanded on with no open valve";
    for (auto& [id, r] : rig.relays) {
      if (r->second_on_without_confirmation > 0) failure = what + ": second ON to " + id;
    }
  }

  void check_relays(const std::string& what, SteadyTime now) {
    bool phys_pump = rig.relay("pump").physically_on();
    bool phys_valve =
        rig.relay("valve-z1").physically_on() || rig.relay("valve-z2").physically_on();
    if (phys_pump && !phys_valve) failure = what + ": pump physically on with every valve closed";
    for (const auto& a : rig.acts) {
      const bool on = rig.relay(a.id).physically_on();
      if (!on) {
        phys_on_since.erase(a.id);
      } else if (!phys_on_since.contains(a.id)) {
        phys_on_since[a.id] = now;
      } else if (now - phys_on_since[a.id] > a.max_runtime) {
        failure = what + ": " + a.id + " physically on past its max_runtime";
      }
    }
  }
};

void run_random(std::uint32_t seed, int steps, bool faults) {
  Rig rig(seed % 2 == 0 ? 1 : 2);
  Checker checker{rig, !faults, {}, {}};
  rig.sched.on_step = [&] { checker.check("timer"); };
  ASSERT_TRUE(rig.sup->start().ok());
  rig.sup->take_control();
  std::mt19937 rng(seed);
  const auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const char* zones[] = {"z1", "z2"};
  const char* ids[] = {"pump", "valve-z1", "valve-z2"};
  int granted = 0;
  for (int i = 0; i < steps && checker.failure.empty(); ++i) {
    const int what = pick(faults ? 12 : 8);
    std::string label = "step " + std::to_string(i);
    switch (what) {
      case 0:
      case 1: {
        const Millis d{1000 + pick(3 * 3600) * 1000};
        auto r = rig.sup->irrigate(zones[pick(2)], d, static_cast<RunReason>(pick(4)), "prop");
        if (r)
          ++granted;
        else
          EXPECT_FALSE(r.error().message.empty());
        label += " irrigate";
        break;
      }
      case 2:
        (void)rig.sup->stop_zone(zones[pick(2)], "prop", "prop");
        label += " stop_zone";
        break;
      case 3:
        if (pick(4) == 0) rig.sup->stop_all("prop");
        label += " stop_all";
        break;
      case 4:
        if (pick(8) == 0) rig.sup->safe_state("prop");
        label += " safe_state";
        break;
      case 5:
        rig.sched.advance(Millis{pick(20 * 60) * 1000});
        label += " long wait";
        break;
      case 8:
        rig.relay(ids[pick(3)]).set_dead(pick(3) == 0);
        label += " dead";
        break;
      case 9:
        rig.relay(ids[pick(3)]).set_mute(pick(3) == 0);
        label += " mute";
        break;
      case 10:
        rig.relay(ids[pick(3)]).press(pick(2) == 0);
        label += " press";
        break;
      case 6:
        if (pick(10) == 0) {  // kill -9, then systemd starts a new one a little later
          rig.crash();
          rig.sched.advance(Millis{pick(60'000)});
          rig.restart();
          label += " crash+restart";
        }
        break;
      default:
        rig.sched.advance(Millis{pick(10'000)});
        label += " wait";
        break;
    }
    checker.check(label);
  }
  EXPECT_EQ(checker.failure, "") << "seed " << seed;
  EXPECT_GT(granted, 10) << "seed " << seed;
}

TEST(SupervisorPropertyTest, InvariantsHoldUnderRandomCommandsAndTimers) {
  for (std::uint32_t seed = 1; seed <= 6; ++seed) run_random(seed, 5000, /*faults=*/false);
}

TEST(SupervisorPropertyTest, InvariantsHoldWithBrokenAndMeddledRelays) {
  for (std::uint32_t seed = 100; seed <= 106; ++seed) run_random(seed, 5000, /*faults=*/true);
}

}  // namespace
}  // namespace farmgate::actuators
