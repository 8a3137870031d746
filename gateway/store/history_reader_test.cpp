#include "gateway/store/history_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "core/metrics.h"
#include "gateway/store/store.h"

namespace farmgate::store {
namespace {

namespace fs = std::filesystem;

class NoEvents final : public EventSink {
 public:
  void raise(Event) override {}
};

class HistoryReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/farmgate-history-XXXXXX";
    dir_ = mkdtemp(tmpl);
    options_.config.path = dir_ + "/farmgate.db";
    options_.config.batch_interval = Millis{5};
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes the batches through the real Store, as the daemon does.
  void write(const std::vector<ReadingBatch>& batches) {
    auto store = Store::open(options_, clock_, metrics_, log_, events_);
    ASSERT_TRUE(store.ok()) << store.error().message;
    (*store)->start([](std::uint64_t) {});
    std::uint64_t seq = 0;
    for (const auto& b : batches) (*store)->submit(++seq, b);
    (*store)->flush();
    (*store)->stop();
  }

  static Reading soil(std::int64_t ms, double moisture) {
    return Reading{"soil-z1", "z1", "soil", "moisture", moisture, "%", from_epoch_ms(ms)};
  }
  static Reading flow(std::int64_t ms, double lpm) {
    return Reading{"flow-main", "", "flow", "rate", lpm, "L/min", from_epoch_ms(ms)};
  }

  std::string dir_;
  StoreOptions options_;
  FakeClock clock_;
  Metrics metrics_;
  MemoryLogger log_;
  NoEvents events_;
};

constexpr std::int64_t kT0 = 1'767'225'600'000;  // 2026-01-01T00:00Z, the fake clock's start

TEST_F(HistoryReaderTest, StreamsTheRangeInTimeOrderAcrossChunks) {
  std::vector<ReadingBatch> batches;
  // Two series interleaved, one reading a minute each, written newest-series-first per minute.
  for (int i = 0; i < 50; ++i) {
    batches.push_back({flow(kT0 + i * 60'000, i)});
    batches.push_back({soil(kT0 + i * 60'000, 40 - i * 0.1)});
  }
  write(batches);
  auto reader = HistoryReader::open(options_.config.path);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  // [minute 10, minute 20): 20 readings, read 3 at a time.
  reader->seek(from_epoch_ms(kT0 + 10 * 60'000), from_epoch_ms(kT0 + 20 * 60'000));
  std::vector<Reading> all;
  for (;;) {
    auto chunk = reader->next(3);
    ASSERT_TRUE(chunk.ok()) << chunk.error().message;
    if (chunk->empty()) break;
    EXPECT_LE(chunk->size(), 3u);
    all.insert(all.end(), chunk->begin(), chunk->end());
  }
  ASSERT_EQ(all.size(), 20u);
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_LE(all[i - 1].time, all[i].time);
  EXPECT_EQ(all.front().time, from_epoch_ms(kT0 + 10 * 60'000));
  EXPECT_EQ(all.back().time, from_epoch_ms(kT0 + 19 * 60'000));
  // Every reading comes back whole, series metadata included.
  const auto soil_at_10 =
      std::find_if(all.begin(), all.end(), [](const Reading& r) { return r.device == "soil-z1"; });
  ASSERT_NE(soil_at_10, all.end());
  EXPECT_EQ(*soil_at_10, soil(kT0 + 10 * 60'000, 39.0));
}

TEST_F(HistoryReaderTest, EmptyRangeGivesNoReadings) {
  write({{soil(kT0, 40)}});
  auto reader = HistoryReader::open(options_.config.path);
  ASSERT_TRUE(reader.ok());
  reader->seek(from_epoch_ms(kT0 + 1), from_epoch_ms(kT0 + 3'600'000));
  auto chunk = reader->next();
  ASSERT_TRUE(chunk.ok());
  EXPECT_TRUE(chunk->empty());
}

TEST_F(HistoryReaderTest, MeanCountsOnlyValuesAtOrAboveTheFloor) {
  write({{flow(kT0, 0)},
         {flow(kT0 + 60'000, 10)},
         {flow(kT0 + 120'000, 14)},
         {flow(kT0 + 180'000, 0.5)}});
  auto reader = HistoryReader::open(options_.config.path);
  ASSERT_TRUE(reader.ok());
  auto mean = reader->mean_at_least("flow-main", "rate", 2.0, from_epoch_ms(kT0),
                                    from_epoch_ms(kT0 + 3'600'000));
  ASSERT_TRUE(mean.ok());
  ASSERT_TRUE(mean->has_value());
  EXPECT_DOUBLE_EQ(**mean, 12.0);
  auto none = reader->mean_at_least("flow-main", "rate", 20.0, from_epoch_ms(kT0),
                                    from_epoch_ms(kT0 + 3'600'000));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_F(HistoryReaderTest, MissingFileIsAnErrorNotANewDatabase) {
  auto reader = HistoryReader::open(dir_ + "/nope.db");
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.error().code, "sqlite_open");
  EXPECT_FALSE(fs::exists(dir_ + "/nope.db"));
}

}  // namespace
}  // namespace farmgate::store
