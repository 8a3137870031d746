#include "gateway/store/journal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace farmgate::store {
namespace {

namespace fs = std::filesystem;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/farmgate-journal-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static ReadingBatch batch(int i) {
    return {Reading{"soil-z1", "z1", "soil", "moisture", 30.0 + i, "%", from_epoch_ms(1000 + i),
                    Quality::good},
            Reading{"soil-z1", "z1", "soil", "temp_c", 27.5, "°C", from_epoch_ms(1000 + i),
                    Quality::clock_unsynced}};
  }

  std::vector<std::pair<std::uint64_t, ReadingBatch>> reopen(std::uint64_t committed) {
    std::vector<std::pair<std::uint64_t, ReadingBatch>> seen;
    auto j = Journal::open(dir_, committed, [&](std::uint64_t seq, ReadingBatch b) {
      seen.emplace_back(seq, std::move(b));
    });
    EXPECT_TRUE(j.ok());
    return seen;
  }

  std::string dir_;
};

TEST_F(JournalTest, ReplaysWhatWasNotCommittedInOrder) {
  {
    auto j = Journal::open(dir_, 0, [](auto, auto) { FAIL() << "empty journal replayed"; });
    ASSERT_TRUE(j.ok());
    for (int i = 0; i < 5; ++i) ASSERT_EQ(*(*j)->append(batch(i)), static_cast<std::uint64_t>(i + 1));
  }
  const auto seen = reopen(2);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].first, 3u);
  EXPECT_EQ(seen[0].second, batch(2));
  EXPECT_EQ(seen[2].first, 5u);
  EXPECT_EQ(seen[2].second, batch(4));
}

TEST_F(JournalTest, SequenceNumbersContinueAfterReopen) {
  {
    auto j = Journal::open(dir_, 0, [](auto, auto) {});
    ASSERT_TRUE(j.ok());
    (void)(*j)->append(batch(0));
    (void)(*j)->append(batch(1));
  }
  auto j = Journal::open(dir_, 2, [](auto, auto) {});
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(*(*j)->append(batch(2)), 3u);
}

TEST_F(JournalTest, TornTailIsDroppedAndEarlierRecordsSurvive) {
  {
    auto j = Journal::open(dir_, 0, [](auto, auto) {});
    ASSERT_TRUE(j.ok());
    (void)(*j)->append(batch(0));
    (void)(*j)->append(batch(1));
  }
  // Cut the last record in half, as a crash during write(2) would.
  for (const auto& e : fs::directory_iterator(dir_)) {
    if (fs::file_size(e.path()) > 0) {
      fs::resize_file(e.path(), fs::file_size(e.path()) - 10);
    }
  }
  const auto seen = reopen(0);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].second, batch(0));
}

TEST_F(JournalTest, CorruptRecordStopsReplayOfThatSegment) {
  {
    auto j = Journal::open(dir_, 0, [](auto, auto) {});
    ASSERT_TRUE(j.ok());
    (void)(*j)->append(batch(0));
    (void)(*j)->append(batch(1));
  }
  for (const auto& e : fs::directory_iterator(dir_)) {
    if (fs::file_size(e.path()) == 0) continue;
    std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(e.path()) - 3));
    f.put('\x7f');
  }
  EXPECT_EQ(reopen(0).size(), 1u);
}

TEST_F(JournalTest, ReleaseDeletesSegmentsThatAreFullyCommitted) {
  {
    auto j = Journal::open(dir_, 0, [](auto, auto) {});
    ASSERT_TRUE(j.ok());
    (void)(*j)->append(batch(0));
  }
  auto j = Journal::open(dir_, 0, [](auto, auto) {});  // replays seq 1, opens a second segment
  ASSERT_TRUE(j.ok());
  EXPECT_EQ((*j)->segment_count(), 2u);
  (*j)->release(0);
  EXPECT_EQ((*j)->segment_count(), 2u);
  (*j)->release(1);
  EXPECT_EQ((*j)->segment_count(), 1u);
  EXPECT_EQ(reopen(0).size(), 0u);
}

}  // namespace
}  // namespace farmgate::store
