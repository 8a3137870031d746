// PulseSource with a fake GPIO line, a fake clock and a temporary data dir: readings reach the
// sink, the total survives a restart, a failed line is reopened, stop() is prompt.
#include "sensors/pulse/pulse_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include "sensors/pulse/fake_pulse_input.h"

namespace farmgate::sensors::pulse {
namespace {

using namespace std::chrono_literals;
using testing::FakePulseLine;

class RecordingSink final : public ReadingSink {
 public:
  Result<void> accept(ReadingBatch batch) override {
    std::lock_guard lock(mu_);
    batches_.push_back(std::move(batch));
    return {};
  }
  std::vector<ReadingBatch> batches() const {
    std::lock_guard lock(mu_);
    return batches_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<ReadingBatch> batches_;
};

class RecordingEvents final : public EventSink {
 public:
  void raise(Event e) override {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(e));
  }
  bool has(const std::string& code) const {
    std::lock_guard lock(mu_);
    for (const Event& e : events_) {
      if (e.code == code) return true;
    }
    return false;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Event> events_;
};

// Polls `done` until it holds or 10 s pass (a generous bound for a loaded machine).
bool eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

double value_of(const ReadingBatch& b, const std::string& metric) {
  for (const Reading& r : b) {
    if (r.metric == metric) return r.value;
  }
  ADD_FAILURE() << "no " << metric << " in the batch";
  return -1;
}

class PulseSourceTest : public ::testing::Test {
 protected:
  PulseSourceTest() {
    dir_ = std::filesystem::temp_directory_path() /
           ("farmgate-pulse-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    farm_.data_dir = dir_.string();
    farm_.kinds = {{"flow", {{"rate", "L/min", 0, 100}, {"total", "L", 0, 1e12}}}};
    farm_.devices.push_back(config::Device{"flow-main", "flow", "", {}});
    config::PulseSource p;
    p.name = "flow-pulse";
    p.device = "flow-main";
    p.k_factor = 450;
    p.offset = 17;
    p.interval = 5s;
    p.debounce = 2ms;
    p.idle_after = 3s;
    p.save_interval = 60s;
    farm_.pulse_sources = {p};
  }
  ~PulseSourceTest() override {
    source_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<PulseSource> make(Millis retry = PulseSource::kRetry) {
    return std::make_unique<PulseSource>(
        farm_.pulse_sources[0], farm_,
        PulseServices{sink_, events_, health_, metrics_, clock_, log_}, line_->opener(), retry);
  }

  // Advances the fake clock second by second for `seconds`, feeding the line the edges of a
  // steady `lpm` flow in each second just passed. Unless `counted` is false, each second's edges
  // are counted (as seen in the total) before the clock moves on, as they would be in real time.
  // The edges fed.
  std::size_t flow(double lpm, int seconds, bool counted = true) {
    const std::chrono::duration<double> period(60.0 / (450 * lpm));
    const double base = source_->total_l();
    std::size_t n = 0;
    for (int s = 0; s < seconds; ++s) {
      const SteadyTime from = clock_.steady_now();
      clock_.advance(1s);
      std::vector<SteadyTime> edges;
      for (SteadyTime at = from + next_; at < from + 1s;
           at += std::chrono::duration_cast<SteadyTime::duration>(period)) {
        edges.push_back(at);
        next_ = at + std::chrono::duration_cast<SteadyTime::duration>(period) - (from + 1s);
      }
      n += edges.size();
      line_->push(std::move(edges));
      if (!counted) continue;
      if (!eventually([&] { return std::abs(source_->total_l() - (base + n / 450.0)) < 1e-9; })) {
        ADD_FAILURE() << "the source did not count the edges fed";
        break;
      }
    }
    return n;
  }

  std::vector<ReadingBatch> batches() const { return sink_.batches(); }

  std::filesystem::path dir_;
  config::Config farm_;
  RecordingSink sink_;
  RecordingEvents events_;
  Health health_;
  Metrics metrics_;
  FakeClock clock_;
  MemoryLogger log_;
  std::shared_ptr<FakePulseLine> line_ = std::make_shared<FakePulseLine>();
  SteadyTime::duration next_{0};
  std::unique_ptr<PulseSource> source_;
};

TEST_F(PulseSourceTest, PublishesRateAndTotalWhenFlowStartsEveryIntervalAndWhenItStops) {
  source_ = make();
  ASSERT_TRUE(source_->start().ok());
  const std::size_t n = flow(15, 7);
  // started (at once), then one interval reading 5 s later.
  ASSERT_TRUE(eventually([&] { return batches().size() >= 2; }));
  auto b = batches();
  ASSERT_EQ(b[0].size(), 2u);
  EXPECT_EQ(b[0][0].device, "flow-main");
  EXPECT_EQ(b[0][0].kind, "flow");
  EXPECT_EQ(b[0][0].metric, "rate");
  EXPECT_EQ(b[0][0].unit, "L/min");
  EXPECT_EQ(b[0][1].metric, "total");
  EXPECT_EQ(b[0][1].unit, "L");
  EXPECT_NEAR(value_of(b[0], "rate"), 15, 0.1);
  EXPECT_NEAR(value_of(b[1], "rate"), 15, 0.1);
  // The water stops: idle_after later a reading says so.
  clock_.advance(3100ms);
  ASSERT_TRUE(eventually([&] { return batches().size() >= 3; }));
  b = batches();
  EXPECT_EQ(value_of(b.back(), "rate"), 0);
  EXPECT_NEAR(value_of(b.back(), "total"), n / 450.0, 1e-9);
  EXPECT_EQ(health_.snapshot().at(0).name, "pulse/flow-pulse");
  EXPECT_EQ(health_.snapshot().at(0).status, Health::Status::up);
  EXPECT_EQ(metrics_.counter("farmgate_pulse_edges_total", "", {{"source", "flow-pulse"}}).value(),
            n);
}

TEST_F(PulseSourceTest, TheTotalSurvivesARestartOfTheSource) {
  source_ = make();
  ASSERT_TRUE(source_->start().ok());
  const std::size_t first = flow(20, 3);
  source_->stop();
  std::ifstream saved(source_->total_path());
  double litres = -1;
  saved >> litres;
  EXPECT_NEAR(litres, first / 450.0, 1e-6);

  source_ = make();
  ASSERT_TRUE(source_->start().ok());
  EXPECT_NEAR(source_->total_l(), first / 450.0, 1e-6);
  clock_.advance(10s);
  next_ = {};
  const std::size_t second = flow(20, 2);
  ASSERT_TRUE(
      eventually([&] { return std::abs(source_->total_l() - (first + second) / 450.0) < 1e-6; }));
  EXPECT_FALSE(events_.has("pulse_total_unreadable"));
}

TEST_F(PulseSourceTest, AnUnreadableSavedTotalRestartsFromZeroWithAWarning) {
  std::filesystem::create_directories(dir_ / "pulse");
  std::ofstream(dir_ / "pulse" / "flow-pulse.total") << "lots\n";
  source_ = make();
  ASSERT_TRUE(source_->start().ok());
  EXPECT_EQ(source_->total_l(), 0);
  EXPECT_TRUE(events_.has("pulse_total_unreadable"));
}

TEST_F(PulseSourceTest, SavesTheTotalAtMostEverySaveInterval) {
  source_ = make();
  ASSERT_TRUE(source_->start().ok());
  const std::size_t n = flow(20, 7);  // two readings, well within save_interval
  ASSERT_TRUE(eventually([&] { return batches().size() >= 2; }));
  EXPECT_FALSE(std::filesystem::exists(source_->total_path()));
  clock_.advance(60s);  // stopped, then an interval reading past save_interval
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(source_->total_path()); }));
  std::ifstream saved(source_->total_path());
  double litres = -1;
  saved >> litres;
  EXPECT_NEAR(litres, n / 450.0, 1e-6);
}

TEST_F(PulseSourceTest, StopIsPromptBecauseNoWaitIsLongerThanThePoll) {
  source_ = make();
  ASSERT_TRUE(source_->start().ok());
  ASSERT_TRUE(eventually([&] { return line_->longest_wait() > Millis{0}; }));
  source_->stop();
  EXPECT_LE(line_->longest_wait(), PulseSource::kPoll);
  const std::size_t before = batches().size();
  flow(20, 2, /*counted=*/false);
  EXPECT_EQ(batches().size(), before) << "nothing after stop()";
  EXPECT_FALSE(line_->drained()) << "nobody reads the line after stop()";
}

TEST_F(PulseSourceTest, ALineThatCannotBeOpenedAtStartIsRetriedUntilItCan) {
  line_->refuse_open(true);
  source_ = make(10ms);
  ASSERT_TRUE(source_->start().ok());
  EXPECT_EQ(health_.overall(), Health::Status::down);
  ASSERT_TRUE(eventually([&] { return events_.has("pulse_input_failed"); }));
  line_->refuse_open(false);
  ASSERT_TRUE(eventually([&] { return events_.has("pulse_input_recovered"); }));
  EXPECT_EQ(health_.overall(), Health::Status::up);
  const std::size_t n = flow(10, 2);
  EXPECT_NEAR(source_->total_l(), n / 450.0, 1e-9);
}

TEST_F(PulseSourceTest, AFailedLineRaisesAnAlarmAndIsReopened) {
  source_ = make(10ms);
  ASSERT_TRUE(source_->start().ok());
  line_->refuse_open(true);
  line_->fail("Input/output error");
  ASSERT_TRUE(eventually([&] { return events_.has("pulse_input_failed"); }));
  EXPECT_EQ(health_.overall(), Health::Status::down);
  line_->refuse_open(false);
  ASSERT_TRUE(eventually([&] { return events_.has("pulse_input_recovered"); }));
  EXPECT_EQ(health_.overall(), Health::Status::up);
  EXPECT_EQ(line_->opened(), 2);
  const std::size_t n = flow(10, 2);
  EXPECT_NEAR(source_->total_l(), n / 450.0, 1e-9);
}

TEST_F(PulseSourceTest, ARateAboveTheKindsRangeIsRefusedWithAWarning) {
  farm_.kinds[0].metrics[0].max = 10;
  source_ = make();
  ASSERT_TRUE(source_->start().ok());
  flow(15, 2);
  ASSERT_TRUE(eventually([&] { return events_.has("pulse_reading_refused"); }));
  EXPECT_TRUE(batches().empty());
  EXPECT_EQ(metrics_
                .counter("farmgate_pulse_refused_total", "",
                         {{"source", "flow-pulse"}, {"reason", "out_of_range"}})
                .value(),
            1u);
}

}  // namespace
}  // namespace farmgate::sensors::pulse
