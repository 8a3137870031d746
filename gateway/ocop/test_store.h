// For the ocop tests: a migrated store file in a fresh temporary directory and the site's time
// zone, removed again after each test.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/time.h"
#include "gateway/ocop/lot.h"
#include "gateway/store/schema.h"
#include "gateway/store/sqlite.h"
#include "rules/site_time.h"

namespace farmgate::ocop::testing {

class StoreFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/farmgate-ocop-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto db = sqlite::Db::open(dir_ + "/farmgate.db");
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_.emplace(std::move(*db));
    // Durability is not under test; fsyncs would make up most of the suite's time.
    ASSERT_TRUE(db_->exec("PRAGMA synchronous=OFF").ok());
    auto m = store::migrate(*db_);
    ASSERT_TRUE(m.ok()) << m.error().message;
    auto tz = rules::SiteTime::load("Asia/Ho_Chi_Minh");
    ASSERT_TRUE(tz.ok()) << tz.error().message;
    tz_.emplace(std::move(*tz));
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  void exec(const std::string& sql) { ASSERT_TRUE(db_->exec(sql).ok()) << sql; }

  // Epoch milliseconds of a wall-clock time at the site.
  std::int64_t local_ms(int y, int m, int d, int hh = 0, int mm = 0) {
    auto t = tz_->from_local(y, m, d, hh, mm);
    EXPECT_TRUE(t.ok());
    return t ? to_epoch_ms(*t) : 0;
  }

  std::string dir_;
  std::optional<sqlite::Db> db_;
  std::optional<rules::SiteTime> tz_;
};

// Lots and entries written straight into the tables, hashed and linked as the ledger does, so
// that what reads them (the record, the exports) is tested on rows whose every number the test
// chose, independently of the ledger's own checks.
class ChainedLotsTest : public StoreFileTest {
 protected:
  void add_lot(const std::string& code, const std::string& product, std::vector<LotZone> zones,
               const std::string& planted) {
    Lot lot;
    lot.code = code;
    lot.product = product;
    lot.zones = std::move(zones);
    lot.planted = planted;
    lot.created_by = "officer1";
    lot.created_ms = local_ms(2026, 1, 15, 8);
    lot.hash = lot_hash(lot);
    lot.head = lot.hash;
    auto st = sqlite::Stmt::prepare(*db_,
                                    "INSERT INTO lots(code, product, planted, created_by, "
                                    "created_ms, hash, head) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)");
    ASSERT_TRUE(st.ok());
    st->bind(1, lot.code).bind(2, lot.product).bind(3, lot.planted).bind(4, lot.created_by);
    st->bind(5, lot.created_ms).bind(6, lot.hash);
    ASSERT_TRUE(st->run().ok());
    for (const LotZone& z : lot.zones) {
      exec("INSERT INTO lot_zones VALUES ('" + code + "', '" + z.zone + "', " +
           std::to_string(z.area_m2) + ")");
    }
    heads_[code] = {lot.hash, 0};
  }

  // Appends `e` to its lot's chain as the ledger would: next seq, linked and hashed.
  void add_entry(Entry e) {
    auto& [head, count] = heads_.at(e.lot);
    e.seq = ++count;
    e.prev_hash = head;
    if (e.who.empty()) e.who = "farmer1";
    if (e.recorded_ms == 0) e.recorded_ms = local_ms(2026, 6, 1) + e.seq;
    e.hash = entry_hash(e);
    head = e.hash;
    auto st = sqlite::Stmt::prepare(
        *db_,
        "INSERT INTO lot_entries(lot, seq, kind, date, zone, material, active_ingredient, amount, "
        "unit, phi_days, note, run_id, start_ms, duration_s, volume_l, reason, quantity_kg, grade, "
        "final, override_by, override_reason, who, recorded_ms, prev_hash, hash) VALUES (?1, ?2, "
        "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, "
        "?22, ?23, ?24, ?25)");
    ASSERT_TRUE(st.ok()) << st.error().message;
    st->bind(1, e.lot).bind(2, e.seq).bind(3, to_string(e.kind)).bind(4, e.date).bind(5, e.zone);
    st->bind(6, e.material).bind(7, e.active_ingredient);
    if (e.amount)
      st->bind(8, *e.amount);
    else
      st->bind_null(8);
    st->bind(9, e.unit).bind(10, e.phi_days).bind(11, e.note).bind(12, e.run_id);
    st->bind(13, e.start_ms).bind(14, e.duration_s);
    if (e.volume_l)
      st->bind(15, *e.volume_l);
    else
      st->bind_null(15);
    st->bind(16, e.reason).bind(17, e.quantity_kg).bind(18, e.grade);
    st->bind(19, e.final_harvest ? 1 : 0).bind(20, e.override_by).bind(21, e.override_reason);
    st->bind(22, e.who).bind(23, e.recorded_ms).bind(24, e.prev_hash).bind(25, e.hash);
    ASSERT_TRUE(st->run().ok());
    exec("UPDATE lots SET head = '" + head + "', entries = " + std::to_string(count) +
         (e.final_harvest ? ", closed = '" + e.date + "'" : std::string()) + " WHERE code = '" +
         e.lot + "'");
  }

  std::map<std::string, std::pair<std::string, std::int64_t>> heads_;  // lot: head, entries
};

}  // namespace farmgate::ocop::testing
