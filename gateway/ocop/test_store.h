// For the ocop tests: a migrated store file in a fresh temporary directory and the site's time
// zone, removed again after each test.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "core/time.h"
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

}  // namespace farmgate::ocop::testing
