#include "gateway/store/store.h"

#include "gateway/store/reader.h"
#include "gateway/store/schema.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>

namespace farmgate::store {
namespace {

namespace fs = std::filesystem;

class CollectingEvents final : public EventSink {
 public:
  void raise(Event e) override {
    std::lock_guard lock(mu_);
    events.push_back(std::move(e));
  }
  std::mutex mu_;
  std::vector<Event> events;
};

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/farmgate-store-XXXXXX";
    dir_ = mkdtemp(tmpl);
    options_.config.path = dir_ + "/farmgate.db";
    options_.config.batch_interval = Millis{5};
    options_.site = "demo-farm";
    options_.uplinks = {"influx"};
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Store> open() {
    auto s = Store::open(options_, clock_, metrics_, log_, events_);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? std::move(*s) : nullptr;
  }

  // `ts` counts from the fake clock's start unless it is a full epoch-ms time already, so that
  // readings are young enough for retention to keep them.
  ReadingBatch message(const std::string& device, std::int64_t ts, double moisture) {
    if (ts < kPlausibleEpochMs) ts += to_epoch_ms(clock_.now());
    return {Reading{device, "z1", "soil", "moisture", moisture, "%", from_epoch_ms(ts)},
            Reading{device, "z1", "soil", "temp_c", 27.5, "°C", from_epoch_ms(ts)}};
  }

  std::int64_t scalar(const std::string& sql) {
    auto db = sqlite::Db::open(options_.config.path);
    auto st = sqlite::Stmt::prepare(*db, sql);
    EXPECT_TRUE(st.ok()) << sql;
    EXPECT_TRUE(*st->step());
    return st->int64(0);
  }
  std::string text(const std::string& sql) {
    auto db = sqlite::Db::open(options_.config.path);
    auto st = sqlite::Stmt::prepare(*db, sql);
    EXPECT_TRUE(*st->step());
    return st->text(0);
  }

  std::string dir_;
  StoreOptions options_;
  FakeClock clock_;
  Metrics metrics_;
  MemoryLogger log_;
  CollectingEvents events_;
};

TEST_F(StoreTest, CommitsReadingsAndOneOutboxLinePerMessage) {
  auto store = open();
  std::atomic<std::uint64_t> hooked{0};
  store->start([&](std::uint64_t seq) { hooked = seq; });
  store->submit(1, message("soil-z1", 1'767'225'600'000, 31.5));
  store->submit(2, message("soil-z1", 1'767'225'660'000, 31.0));
  store->flush();
  EXPECT_EQ(hooked, 2u);
  EXPECT_EQ(store->committed_seq(), 2u);
  EXPECT_EQ(scalar("SELECT count(*) FROM readings"), 4);
  EXPECT_EQ(scalar("SELECT count(*) FROM outbox"), 2);
  EXPECT_EQ(text("SELECT line FROM outbox ORDER BY id LIMIT 1"),
            "soil,device=soil-z1,site=demo-farm,zone=z1 moisture=31.5,temp_c=27.5 1767225600000");
  EXPECT_EQ(scalar("SELECT value FROM meta WHERE key='journal_seq'"), 2);
}

TEST_F(StoreTest, ReplayedReadingsAreStoredOnce) {
  auto store = open();
  store->start(nullptr);
  store->submit(1, message("soil-z1", 1000, 31.5));
  store->submit(2, message("soil-z1", 1000, 31.5));
  store->flush();
  EXPECT_EQ(scalar("SELECT count(*) FROM readings"), 2);
}

TEST_F(StoreTest, CommittedSequenceSurvivesReopen) {
  {
    auto store = open();
    store->start(nullptr);
    store->submit(7, message("soil-z1", 1000, 31.5));
    store->stop();
  }
  EXPECT_EQ(open()->committed_seq(), 7u);
}

TEST_F(StoreTest, NoOutboxWithoutUplinks) {
  options_.uplinks.clear();
  auto store = open();
  store->start(nullptr);
  store->submit(1, message("soil-z1", 1000, 31.5));
  store->flush();
  EXPECT_EQ(scalar("SELECT count(*) FROM readings"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM outbox"), 0);
}

TEST_F(StoreTest, BacklogOverTheBoundEvictsOldestAndAlarms) {
  options_.config.outbox_max_rows = 10;
  auto store = open();
  store->start(nullptr);
  for (int i = 1; i <= 25; ++i) {
    store->submit(static_cast<std::uint64_t>(i), message("soil-z1", 1000 + i, 30));
    store->flush();
  }
  EXPECT_LE(scalar("SELECT count(*) FROM outbox"), 10);
  EXPECT_EQ(scalar("SELECT max(id) FROM outbox"), 25);
  EXPECT_EQ(scalar("SELECT evicted FROM uplink_cursor WHERE name='influx'"), 15);
  EXPECT_EQ(scalar("SELECT count(*) FROM readings"), 50) << "eviction only touches the outbox";
  std::lock_guard lock(events_.mu_);
  ASSERT_FALSE(events_.events.empty());
  EXPECT_EQ(events_.events.front().code, "outbox_evicted");
}

TEST_F(StoreTest, DeliveredLinesArePrunedAtMaintenance) {
  options_.config.maintenance_interval = Millis{0};
  auto store = open();
  store->start(nullptr);
  for (int i = 1; i <= 5; ++i) store->submit(static_cast<std::uint64_t>(i), message("d", i, 30));
  store->flush();
  {
    auto db = sqlite::Db::open(options_.config.path);
    ASSERT_TRUE(db->exec("UPDATE uplink_cursor SET delivered=3 WHERE name='influx'").ok());
  }
  store->submit(6, message("d", 6, 30));  // the next pass of the loop maintains
  store->flush();
  store->submit(7, message("d", 7, 30));
  store->flush();
  EXPECT_EQ(scalar("SELECT min(id) FROM outbox"), 4);
}

TEST_F(StoreTest, RetentionDeletesOldReadingsOnly) {
  options_.config.maintenance_interval = Millis{0};
  options_.config.retention = std::chrono::days{1};
  const std::int64_t now = to_epoch_ms(clock_.now());
  auto store = open();
  store->start(nullptr);
  store->submit(1, message("d", now - 2 * 86'400'000, 30));
  store->submit(2, message("d", now - 1000, 30));
  store->flush();
  store->submit(3, message("d", now, 30));
  store->flush();
  EXPECT_EQ(scalar("SELECT count(*) FROM readings"), 4);
  EXPECT_EQ(scalar("SELECT min(ts) FROM readings"), now - 1000);
}

TEST_F(StoreTest, ZoneMinutesSumEachMinuteOnceAndFollowRetention) {
  options_.config.maintenance_interval = Millis{0};
  options_.config.retention = std::chrono::days{1};
  const std::int64_t now = to_epoch_ms(clock_.now());
  const std::int64_t minute = (now / 60000) * 60000;
  auto store = open();
  store->start(nullptr);
  store->submit(1, message("soil-a", minute + 1000, 30));
  store->submit(2, message("soil-b", minute + 2000, 40));
  store->submit(3, message("soil-a", minute + 1000, 30));  // replayed: already stored
  store->submit(4, message("soil-a", minute + 61'000, 50));
  store->submit(5, message("soil-a", now - 2 * 86'400'000, 10));  // past retention
  store->flush();
  store->submit(6, message("soil-c", now + 120'000, 45));  // a commit, then maintenance
  store->flush();
  const std::string first =
      "FROM zone_minute WHERE zone='z1' AND kind='soil' AND "
      "metric='moisture' AND minute=" +
      std::to_string(minute / 60000);
  EXPECT_EQ(scalar("SELECT n " + first), 2) << "two devices, the replay not counted";
  EXPECT_EQ(scalar("SELECT total " + first), 70);
  EXPECT_EQ(scalar("SELECT lo " + first), 30);
  EXPECT_EQ(scalar("SELECT hi " + first), 40);
  EXPECT_EQ(scalar("SELECT count(*) FROM zone_minute WHERE metric='moisture'"), 3)
      << "the old minute went with its readings";
}

TEST_F(StoreTest, WeekLongSeriesComeFromTheMinutesAndMatchTheReadings) {
  auto store = open();
  store->start(nullptr);
  const std::int64_t t0 = 1'767'225'600'000;  // a whole minute
  std::uint64_t seq = 0;
  for (int i = 0; i < 120; ++i) {  // two devices every 30 s for an hour
    store->submit(++seq, message("soil-a", t0 + i * 30'000, 20 + i % 7));
    store->submit(++seq, message("soil-b", t0 + i * 30'000 + 5'000, 40 - i % 5));
  }
  store->flush();
  auto db = sqlite::Db::open(options_.config.path, true);
  ASSERT_TRUE(db.ok());
  // 12 buckets of 5 min: from the minutes. The same from 3,600 buckets of 1 s, pooled by hand
  // over the readings, must give the same averages, least and greatest values.
  auto coarse = query_series(*db, "z1", "soil.moisture", t0, t0 + 3'600'000, 12);
  auto fine = query_series(*db, "z1", "soil.moisture", t0, t0 + 3'600'000, 3600);
  ASSERT_TRUE(coarse.ok() && fine.ok());
  ASSERT_EQ(coarse->points.size(), 12u);
  for (std::size_t b = 0; b < 12; ++b) {
    double sum = 0, lo = 1e9, hi = -1e9;
    int n = 0;
    for (const auto& p : fine->points) {
      if (p.ts < coarse->points[b].ts || p.ts >= coarse->points[b].ts + 300'000) continue;
      sum += p.avg;  // one reading per 1 s bucket
      lo = std::min(lo, p.min);
      hi = std::max(hi, p.max);
      ++n;
    }
    ASSERT_EQ(n, 20) << b;
    EXPECT_EQ(coarse->points[b].ts, t0 + static_cast<std::int64_t>(b) * 300'000);
    EXPECT_NEAR(coarse->points[b].avg, sum / n, 1e-9) << b;
    EXPECT_EQ(coarse->points[b].min, lo) << b;
    EXPECT_EQ(coarse->points[b].max, hi) << b;
  }
}

TEST_F(StoreTest, MigrationFiveSumsTheReadingsAlreadyStored) {
  {
    auto store = open();
    store->start(nullptr);
    store->submit(1, message("soil-a", 1'767'225'600'000, 30));
    store->submit(2, message("soil-a", 1'767'225'630'000, 34));
    store->flush();
  }
  {
    auto db = sqlite::Db::open(options_.config.path);
    // Back to a version 4 file: without zone_minute (5) and the OCOP tables (6).
    ASSERT_TRUE(db->exec("DROP TABLE zone_minute; DROP TABLE lot_entries; DROP TABLE lot_zones;"
                         "DROP TABLE lots; PRAGMA user_version=4;")
                    .ok());
    ASSERT_TRUE(migrate(*db).ok());
  }
  EXPECT_EQ(scalar("SELECT n FROM zone_minute WHERE metric='moisture'"), 2);
  EXPECT_EQ(scalar("SELECT total FROM zone_minute WHERE metric='moisture'"), 64);
}

TEST_F(StoreTest, EventsAreStored) {
  auto store = open();
  store->start(nullptr);
  store->submit(Event{Severity::alarm, "uplink_dead_letter", "uplink/influx", "refused", {}});
  store->flush();
  EXPECT_EQ(text("SELECT code FROM events"), "uplink_dead_letter");
}

IrrigationRun open_run(const FakeClock& clock) {
  IrrigationRun run;
  run.zone = "z1";
  run.actuators = {"valve-z1", "pump"};
  run.start = clock.now();
  run.reason = "rule";
  run.who = "rule:dry-z1";
  run.requested = Millis{600'000};
  run.granted = Millis{600'000};
  return run;
}

TEST_F(StoreTest, RunOpenedThenClosedIsOneRowAndOneOutboxLine) {
  auto store = open();
  store->start(nullptr);
  IrrigationRun run = open_run(clock_);
  store->submit(run);
  store->flush();
  EXPECT_EQ(scalar("SELECT count(*) FROM irrigation_runs WHERE end_ms IS NULL"), 1);
  EXPECT_EQ(text("SELECT outcome FROM irrigation_runs"), "running");
  EXPECT_EQ(scalar("SELECT count(*) FROM outbox"), 0) << "an open run goes upstream at its end";

  run.end = run.start + Millis{754'500};
  run.outcome = "completed";
  run.volume_l = 120.5;
  store->submit(run);
  store->flush();
  EXPECT_EQ(scalar("SELECT count(*) FROM irrigation_runs"), 1);
  EXPECT_EQ(text("SELECT zone || ' ' || actuators || ' ' || reason || ' ' || who || ' ' || "
                 "outcome FROM irrigation_runs"),
            "z1 valve-z1,pump rule rule:dry-z1 completed");
  EXPECT_EQ(scalar("SELECT start_ms FROM irrigation_runs"), 1'767'225'600'000);
  EXPECT_EQ(scalar("SELECT end_ms FROM irrigation_runs"), 1'767'225'600'000 + 754'500);
  EXPECT_EQ(scalar("SELECT granted_ms FROM irrigation_runs"), 600'000);
  EXPECT_EQ(text("SELECT volume_l FROM irrigation_runs"), "120.5");
  EXPECT_EQ(scalar("SELECT count(*) FROM outbox"), 1);
  EXPECT_EQ(text("SELECT line FROM outbox"),
            "irrigation,actuator=valve-z1,site=demo-farm,zone=z1 "
            "duration_s=754.5,reason=\"rule\",volume_l=120.5 1767225600000");
}

TEST_F(StoreTest, RunWithoutFlowMeterHasNoVolume) {
  auto store = open();
  store->start(nullptr);
  IrrigationRun run = open_run(clock_);
  store->submit(run);
  run.end = run.start + Millis{60'000};
  run.outcome = "stopped";
  run.detail = "stopped by an-farmer";
  store->submit(run);  // opened and closed in one transaction
  store->flush();
  EXPECT_EQ(scalar("SELECT count(*) FROM irrigation_runs WHERE volume_l IS NULL"), 1);
  EXPECT_EQ(text("SELECT detail FROM irrigation_runs"), "stopped by an-farmer");
  EXPECT_EQ(text("SELECT line FROM outbox"),
            "irrigation,actuator=valve-z1,site=demo-farm,zone=z1 "
            "duration_s=60,reason=\"rule\" 1767225600000");
}

// A crash in the middle of a run: the next start closes it with the last moment the gateway was
// known alive, the flow meter's litres up to then, and sends it upstream.
TEST_F(StoreTest, RecoveryClosesARunACrashLeftOpen) {
  {
    auto store = open();
    store->start(nullptr);
    IrrigationRun run = open_run(clock_);
    run.id = 7;
    store->submit(run);
    // The flow meter's counter: 1000 L before, then 20 L/min for 2 minutes; the gateway's last
    // commit is at +2 min.
    std::uint64_t seq = 1;
    for (int s = -60; s <= 120; s += 10) {
      const std::int64_t ts = to_epoch_ms(run.start) + s * 1000;
      const double total = 1000 + std::max(s, 0) / 3.0;
      store->submit(seq++,
                    {Reading{"flow-main", "", "flow", "total", total, "L", from_epoch_ms(ts)}});
    }
    clock_.advance(Millis{120'000});
    store->submit(seq++, message("soil-z1", 0, 33));
    store->flush();
    store->stop();  // as good as a kill: the run stays open
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM irrigation_runs WHERE end_ms IS NULL"), 1);
  clock_.advance(Millis{3'600'000});  // the power comes back an hour later
  auto store = open();
  auto rec = store->recover_runs({{"z1", ZoneMeter{"flow-main", "rate", "total"}}});
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  ASSERT_EQ(rec->interrupted.size(), 1u);
  const IrrigationRun& r = rec->interrupted[0];
  EXPECT_EQ(r.id, 7u);
  EXPECT_EQ(r.outcome, "interrupted");
  EXPECT_EQ(*r.end - r.start, Millis{120'000}) << "the last moment it was known alive";
  ASSERT_TRUE(r.volume_l.has_value());
  EXPECT_NEAR(*r.volume_l, 40.0, 1e-9);
  EXPECT_EQ(rec->max_id, 7u);
  ASSERT_EQ(rec->last.size(), 1u);
  EXPECT_EQ(rec->last[0].outcome, "interrupted");
  EXPECT_EQ(scalar("SELECT count(*) FROM irrigation_runs WHERE end_ms IS NULL"), 0);
  EXPECT_EQ(text("SELECT line FROM outbox WHERE line LIKE 'irrigation%'"),
            "irrigation,actuator=valve-z1,site=demo-farm,zone=z1 "
            "duration_s=120,reason=\"rule\",volume_l=40 1767225600000");
  auto again = store->recover_runs({});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->interrupted.empty()) << "closed once";
}

TEST_F(StoreTest, RecoveryNeverPutsTheEndPastTheGrantedTime) {
  {
    auto store = open();
    store->start(nullptr);
    IrrigationRun run = open_run(clock_);  // 10 minutes granted
    store->submit(run);
    store->flush();
    clock_.advance(Millis{3'600'000});
    store->submit(1, message("soil-z1", 0, 33));  // alive long after the run should have ended
    store->flush();
  }
  auto store = open();
  auto rec = store->recover_runs({});
  ASSERT_TRUE(rec.ok());
  ASSERT_EQ(rec->interrupted.size(), 1u);
  EXPECT_EQ(*rec->interrupted[0].end - rec->interrupted[0].start, Millis{600'000});
  EXPECT_FALSE(rec->interrupted[0].volume_l.has_value()) << "no meter, no volume";
}

TEST_F(StoreTest, RunIdsAreTheSupervisorsAndSurviveARestart) {
  auto store = open();
  store->start(nullptr);
  IrrigationRun run = open_run(clock_);
  run.id = 12;
  run.end = run.start + Millis{1000};
  run.outcome = "completed";
  store->submit(run);
  store->flush();
  store->stop();
  auto reopened = open();
  auto rec = reopened->recover_runs({});
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->max_id, 12u);
  ASSERT_EQ(rec->last.size(), 1u);
  EXPECT_EQ(rec->last[0].id, 12u);
}

TEST_F(StoreTest, RunEndWithoutItsStartIsStoredWhole) {
  auto store = open();
  store->start(nullptr);
  IrrigationRun run = open_run(clock_);
  run.end = run.start + Millis{1'000};
  run.outcome = "failed";
  store->submit(run);
  store->flush();
  EXPECT_EQ(scalar("SELECT count(*) FROM irrigation_runs WHERE end_ms IS NOT NULL"), 1);
  EXPECT_EQ(text("SELECT actuators FROM irrigation_runs"), "valve-z1,pump");
  EXPECT_EQ(scalar("SELECT count(*) FROM outbox"), 1);
}

TEST_F(StoreTest, RunsWithoutUplinksStayLocal) {
  options_.uplinks.clear();
  auto store = open();
  store->start(nullptr);
  IrrigationRun run = open_run(clock_);
  store->submit(run);
  run.end = run.start + Millis{1'000};
  run.outcome = "completed";
  store->submit(run);
  store->flush();
  EXPECT_EQ(scalar("SELECT count(*) FROM irrigation_runs"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM outbox"), 0);
}

TEST_F(StoreTest, MigratesVersionOneReadingsToTheTimeOrderedTable) {
  {
    auto db = sqlite::Db::open(options_.config.path);
    ASSERT_TRUE(db->exec("CREATE TABLE series(id INTEGER PRIMARY KEY, kind, device, zone, metric, "
                         "unit); INSERT INTO series VALUES(1, 'soil', 'd', 'z1', 'moisture', '%');"
                         "CREATE TABLE readings(series INTEGER, ts INTEGER, value REAL, quality "
                         "INTEGER, PRIMARY KEY(series, ts)) WITHOUT ROWID;"
                         "INSERT INTO readings VALUES(1, 1767225600000, 31.5, 0);"
                         // Version 1 had events; migration 4 adds columns to it.
                         "CREATE TABLE events(id INTEGER PRIMARY KEY, ts, severity, code, "
                         "source, message);"
                         "PRAGMA user_version=1;")
                    .ok());
  }
  ASSERT_TRUE(sqlite::Db::open(options_.config.path).ok());
  {
    auto db = sqlite::Db::open(options_.config.path);
    ASSERT_TRUE(migrate(*db).ok());
  }
  EXPECT_EQ(scalar("PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(scalar("SELECT count(*) FROM readings WHERE ts=1767225600000 AND series=1"), 1);
  EXPECT_EQ(scalar("SELECT pk FROM pragma_table_info('readings') WHERE name='ts'"), 1)
      << "time leads the key";
}

TEST_F(StoreTest, MigratesVersionThreeToAuthTablesAndKeepsEvents) {
  {
    auto db = sqlite::Db::open(options_.config.path);
    ASSERT_TRUE(db->exec("CREATE TABLE events(id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, "
                         "severity TEXT NOT NULL, code TEXT NOT NULL, source TEXT NOT NULL, "
                         "message TEXT NOT NULL);"
                         "INSERT INTO events VALUES(7, 1767225600000, 'warn', 'dry', 'z1', 'm');"
                         "CREATE TABLE series(id INTEGER PRIMARY KEY, kind, device, zone, metric, "
                         "unit);"
                         "CREATE TABLE readings(ts, series, value, quality);"
                         "PRAGMA user_version=3;")
                    .ok());
    ASSERT_TRUE(migrate(*db).ok());
  }
  EXPECT_EQ(scalar("PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(scalar("SELECT count(*) FROM events WHERE id=7 AND acked_by IS NULL "
                   "AND acked_ms IS NULL"),
            1);
  for (const char* table : {"users", "sessions", "api_tokens", "audit"}) {
    EXPECT_EQ(scalar(std::string("SELECT count(*) FROM sqlite_master WHERE type='table' AND "
                                 "name='") +
                     table + "'"),
              1)
        << table;
  }
  EXPECT_EQ(scalar("SELECT pk FROM pragma_table_info('sessions') WHERE name='id_hash'"), 1);
}

TEST_F(StoreTest, RefusesADatabaseFromANewerFarmgate) {
  {
    auto db = sqlite::Db::open(options_.config.path);
    ASSERT_TRUE(db->exec("PRAGMA user_version=99").ok());
  }
  auto s = Store::open(options_, clock_, metrics_, log_, events_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "schema_too_new");
}

}  // namespace
}  // namespace farmgate::store
