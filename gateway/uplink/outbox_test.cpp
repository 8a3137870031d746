#include "gateway/uplink/outbox.h"

#include <gtest/gtest.h>

#include "gateway/uplink/test_support.h"

namespace farmgate::uplink {
namespace {

using testing::StoreDb;
using testing::TempDir;

class OutboxTest : public ::testing::Test {
 protected:
  Outbox open(const std::string& name = "influx") {
    auto box = Outbox::open(path_, name);
    EXPECT_TRUE(box.ok()) << (box.ok() ? "" : box.error().message);
    return std::move(*box);
  }
  std::vector<std::int64_t> ids(const std::vector<OutboxRow>& rows) {
    std::vector<std::int64_t> out;
    for (const auto& r : rows) out.push_back(r.id);
    return out;
  }

  TempDir dir_;
  std::string path_ = (dir_.path() / "farmgate.db").string();
  StoreDb store_{path_};
};

TEST_F(OutboxTest, OpeningCreatesTheCursorAtZero) {
  store_.insert_numbered(1, 3);
  Outbox box = open();
  EXPECT_EQ(store_.cursor("influx"), 0);
  EXPECT_EQ(box.delivered(), 0);
  EXPECT_EQ(box.backlog().value(), 3);
}

TEST_F(OutboxTest, ReopeningKeepsTheCursor) {
  store_.insert_numbered(1, 3);
  {
    Outbox box = open();
    ASSERT_TRUE(box.advance(2).ok());
  }
  Outbox again = open();
  EXPECT_EQ(again.delivered(), 2);
  EXPECT_EQ(ids(again.read_batch(10, 1 << 20).value()), (std::vector<std::int64_t>{3}));
}

TEST_F(OutboxTest, ReadsInIdOrderAfterTheCursor) {
  const auto lines = store_.insert_numbered(1, 5);
  Outbox box = open();
  ASSERT_TRUE(box.advance(2).ok());
  auto rows = box.read_batch(10, 1 << 20).value();
  ASSERT_EQ(ids(rows), (std::vector<std::int64_t>{3, 4, 5}));
  EXPECT_EQ(rows[0].line, lines[2]);
  EXPECT_EQ(rows[2].line, lines[4]);
}

TEST_F(OutboxTest, BatchesAreCappedByRowsAndBytes) {
  store_.insert(std::string(100, 'a'));
  store_.insert(std::string(100, 'b'));
  store_.insert(std::string(100, 'c'));
  Outbox box = open();
  EXPECT_EQ(ids(box.read_batch(2, 1 << 20).value()), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(ids(box.read_batch(10, 250).value()), (std::vector<std::int64_t>{1, 2}));
  // A first line bigger than the cap still goes, alone, or it would block the queue for ever.
  EXPECT_EQ(ids(box.read_batch(10, 10).value()), (std::vector<std::int64_t>{1}));
  EXPECT_TRUE(box.read_batch(0, 1 << 20).value().empty());
}

TEST_F(OutboxTest, AdvanceNeverMovesTheCursorBack) {
  store_.insert_numbered(1, 5);
  Outbox box = open();
  ASSERT_TRUE(box.advance(4).ok());
  ASSERT_TRUE(box.advance(2).ok());
  EXPECT_EQ(box.delivered(), 4);
  EXPECT_EQ(store_.cursor("influx"), 4);
}

TEST_F(OutboxTest, EvictedRowsAreSkipped) {
  store_.insert_numbered(1, 10);
  Outbox box = open();
  // The store evicts the oldest rows past its bound, with our cursor still at 0.
  store_.exec("DELETE FROM outbox WHERE id <= 6");
  EXPECT_EQ(ids(box.read_batch(10, 1 << 20).value()), (std::vector<std::int64_t>{7, 8, 9, 10}));
}

TEST_F(OutboxTest, NewestIdSurvivesDeletions) {
  EXPECT_EQ(open().newest_id().value(), 0);
  store_.insert_numbered(1, 5);
  store_.exec("DELETE FROM outbox");
  Outbox box = open();
  EXPECT_EQ(box.newest_id().value(), 5);
  EXPECT_TRUE(box.read_batch(10, 1 << 20).value().empty());
  EXPECT_EQ(box.backlog().value(), 5);
}

TEST_F(OutboxTest, QuarantineKeepsTheBatchAndMovesTheCursorPastIt) {
  store_.insert_numbered(1, 4);
  Outbox box = open();
  const auto id = box.quarantine(1, 3, 400, "HTTP 400: bad", "l1\nl2\nl3\n", from_epoch_ms(1234));
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(box.delivered(), 3);
  EXPECT_EQ(store_.cursor("influx"), 3);
  EXPECT_EQ(store_.scalar("SELECT count(*) FROM dead_letter"), 1);
  const std::string where = " FROM dead_letter WHERE id = " + std::to_string(*id);
  EXPECT_EQ(store_.text("SELECT uplink" + where), "influx");
  EXPECT_EQ(store_.scalar("SELECT first_id" + where), 1);
  EXPECT_EQ(store_.scalar("SELECT last_id" + where), 3);
  EXPECT_EQ(store_.scalar("SELECT status" + where), 400);
  EXPECT_EQ(store_.text("SELECT error" + where), "HTTP 400: bad");
  EXPECT_EQ(store_.text("SELECT body" + where), "l1\nl2\nl3\n");
  EXPECT_EQ(store_.scalar("SELECT created" + where), 1234);
}

TEST_F(OutboxTest, EachUplinkHasItsOwnCursor) {
  store_.insert_numbered(1, 5);
  Outbox a = open("a");
  Outbox b = open("b");
  ASSERT_TRUE(a.advance(5).ok());
  EXPECT_EQ(a.backlog().value(), 0);
  EXPECT_EQ(b.backlog().value(), 5);
  EXPECT_EQ(store_.cursor("b"), 0);
}

TEST_F(OutboxTest, RefusesAFileWithoutTheSchema) {
  auto box = Outbox::open((dir_.path() / "empty.db").string(), "influx");
  ASSERT_FALSE(box.ok());
  EXPECT_NE(box.error().message.find("schema"), std::string::npos) << box.error().message;
}

}  // namespace
}  // namespace farmgate::uplink
