#include "gateway/ocop/trace.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <optional>

#include <boost/json.hpp>

#include "gateway/ocop/test_store.h"
#include "gateway/store/schema.h"

namespace farmgate::ocop {
namespace {

namespace json = boost::json;

constexpr std::int64_t kMinute = 60'000;

// A store with lots written straight into its tables (not through the Ledger), so the record's
// arithmetic is tested on rows whose every number the test chose.
class TraceTest : public testing::ChainedLotsTest {
 protected:
  void add_lot(const std::string& code, std::vector<LotZone> zones, const std::string& planted) {
    ChainedLotsTest::add_lot(code, "Bưởi da xanh", std::move(zones), planted);
  }

  void irrigation(const std::string& lot, const std::string& date, std::int64_t run_id,
                  std::int64_t duration_s, std::optional<double> volume_l) {
    Entry e;
    e.lot = lot;
    e.kind = EntryKind::irrigation;
    e.date = date;
    e.zone = "z1";
    e.run_id = run_id;
    e.start_ms = local_ms(2026, 2, 1, 6) + run_id;
    e.duration_s = duration_s;
    e.volume_l = volume_l;
    e.reason = "rule:water-z1-when-dry";
    e.who = "farmgate";
    add_entry(e);
  }

  void harvest(const std::string& lot, const std::string& date, double kg, bool final) {
    Entry e;
    e.lot = lot;
    e.kind = EntryKind::harvest;
    e.date = date;
    e.quantity_kg = kg;
    e.grade = "loại 1";
    e.final_harvest = final;
    add_entry(e);
  }

  // One zone_minute row (and the series that would have produced it).
  void minute(const std::string& zone, const std::string& kind, const std::string& metric,
              std::int64_t ms, std::int64_t n, double total, double lo, double hi) {
    exec("INSERT OR IGNORE INTO series(kind, device, zone, metric, unit) VALUES ('" + kind +
         "', '" + kind + "-" + zone + "', '" + zone + "', '" + metric + "', '%')");
    exec("INSERT INTO zone_minute VALUES ('" + zone + "', '" + kind + "', '" + metric + "', " +
         std::to_string(ms / kMinute) + ", " + std::to_string(n) + ", " + std::to_string(total) +
         ", " + std::to_string(lo) + ", " + std::to_string(hi) + ")");
  }

  TraceRecord trace(const std::string& code, std::int64_t now_ms, const std::string& url = "") {
    Ledger ledger(*db_, *tz_, LedgerOptions{});
    auto r = build_trace(ledger, code, now_ms, url);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? std::move(*r) : TraceRecord{};
  }
};

TEST_F(TraceTest, SeasonRunsFromPlantingMidnightToTheEndOfTheClosingDay) {
  add_lot("B1", {{"z1", 5000}}, "2026-01-15");
  harvest("B1", "2026-03-01", 100, true);
  const auto r = trace("B1", local_ms(2026, 6, 1));
  // Midnight in Cần Thơ is 17:00 UTC the day before.
  EXPECT_EQ(r.from_ms, 1'768'410'000'000);
  EXPECT_EQ(r.from_ms, local_ms(2026, 1, 15));
  EXPECT_EQ(r.to_ms, local_ms(2026, 3, 2));
  const auto doc = json::parse(trace_json(r)).as_object();
  // 15-31 January, 28 days of February, 1 March.
  EXPECT_EQ(doc.at("season").at("days").as_int64(), 17 + 28 + 1);
  EXPECT_EQ(doc.at("season").at("from").as_int64(), r.from_ms);
}

TEST_F(TraceTest, OpenLotSeasonEndsNow) {
  add_lot("B1", {{"z1", 5000}}, "2026-01-15");
  const std::int64_t now = local_ms(2026, 1, 20, 10, 30);
  const auto r = trace("B1", now);
  EXPECT_EQ(r.to_ms, now);
  // 15 to 20 January, today included.
  EXPECT_EQ(json::parse(trace_json(r)).at("season").at("days").as_int64(), 6);
}

TEST_F(TraceTest, PoolsSoilStatsOverTheLotsZonesWithinTheSeason) {
  add_lot("B1", {{"z1", 5000}, {"z2", 3000}}, "2026-01-15");
  harvest("B1", "2026-03-01", 100, true);
  const std::int64_t t1 = local_ms(2026, 1, 20, 6, 0);
  const std::int64_t t2 = local_ms(2026, 2, 10, 14, 7);
  const std::int64_t t3 = local_ms(2026, 3, 1, 23, 59);
  minute("z1", "soil", "moisture", t1, 4, 4 * 30.0, 28.5, 31.0);
  minute("z1", "soil", "moisture", t2, 2, 2 * 40.0, 39.0, 41.0);
  // Another kind of probe in the lot's other zone counts too.
  minute("z2", "soil_npk", "moisture", t3, 2, 2 * 25.0, 24.0, 26.0);
  // Outside the lot's zones, before planting, after the closing day: not counted.
  minute("z3", "soil", "moisture", t2, 10, 10 * 90.0, 5.0, 95.0);
  minute("z1", "soil", "moisture", local_ms(2026, 1, 14, 23, 59), 1, 99.0, 99.0, 99.0);
  minute("z1", "soil", "moisture", local_ms(2026, 3, 2), 1, 1.0, 1.0, 1.0);
  minute("z1", "soil", "temp_c", t2, 3, 3 * 27.0, 26.0, 28.5);

  const auto r = trace("B1", local_ms(2026, 6, 1));
  EXPECT_EQ(r.moisture.n, 8);
  EXPECT_DOUBLE_EQ(r.moisture.mean, (4 * 30.0 + 2 * 40.0 + 2 * 25.0) / 8);
  EXPECT_DOUBLE_EQ(r.moisture.min, 24.0);
  EXPECT_DOUBLE_EQ(r.moisture.max, 41.0);
  EXPECT_EQ(r.moisture.first_ms, t1);
  EXPECT_EQ(r.moisture.last_ms, t3);
  EXPECT_EQ(r.soil_temp.n, 3);
  EXPECT_DOUBLE_EQ(r.soil_temp.mean, 27.0);
  EXPECT_DOUBLE_EQ(r.soil_temp.max, 28.5);

  const auto soil = json::parse(trace_json(r)).at("soil").as_object();
  EXPECT_EQ(soil.at("moisture").at("n").as_int64(), 8);
  EXPECT_EQ(soil.at("moisture").at("last").as_int64(), t3);
  EXPECT_DOUBLE_EQ(soil.at("temp_c").at("min").to_number<double>(), 26.0);
}

TEST_F(TraceTest, NoSoilDataIsNullNotZero) {
  add_lot("B1", {{"z1", 5000}}, "2026-01-15");
  minute("z2", "soil", "moisture", local_ms(2026, 1, 20), 4, 120.0, 28.0, 32.0);
  const auto r = trace("B1", local_ms(2026, 6, 1));
  EXPECT_EQ(r.moisture.n, 0);
  const auto soil = json::parse(trace_json(r)).at("soil").as_object();
  EXPECT_TRUE(soil.at("moisture").is_null());
  EXPECT_TRUE(soil.at("temp_c").is_null());
}

TEST_F(TraceTest, CanopyIsAveragedPerWeekFromPlanting) {
  add_lot("B1", {{"z1", 5000}}, "2026-01-15");
  // Week 0: days 0 and 6 (the last minute of the bucket); week 1 has no picture; week 2: day 14.
  minute("z1", "camera", "canopy_cover", local_ms(2026, 1, 15, 9), 1, 40.0, 40.0, 40.0);
  minute("z1", "camera", "canopy_cover", local_ms(2026, 1, 21, 23, 59), 3, 3 * 44.0, 43.0, 45.0);
  minute("z1", "camera", "canopy_cover", local_ms(2026, 1, 29, 0, 0), 2, 2 * 50.0, 50.0, 50.0);
  const auto r = trace("B1", local_ms(2026, 2, 10));
  ASSERT_EQ(r.canopy.size(), 2u);
  EXPECT_EQ(r.canopy[0].week, "2026-01-15");
  EXPECT_DOUBLE_EQ(r.canopy[0].mean, (40.0 + 3 * 44.0) / 4);
  EXPECT_EQ(r.canopy[1].week, "2026-01-29");
  EXPECT_DOUBLE_EQ(r.canopy[1].mean, 50.0);
  const auto canopy = json::parse(trace_json(r)).at("canopy").as_array();
  ASSERT_EQ(canopy.size(), 2u);
  EXPECT_EQ(canopy[1].at("week").as_string(), "2026-01-29");
}

TEST_F(TraceTest, LotWithoutCameraHasEmptyCanopy) {
  add_lot("B1", {{"z1", 5000}}, "2026-01-15");
  add_lot("C1", {{"z2", 3000}}, "2026-01-15");
  minute("z1", "soil", "moisture", local_ms(2026, 1, 20), 1, 30.0, 30.0, 30.0);
  // The camera watches z2, not B1's zone.
  minute("z2", "camera", "canopy_cover", local_ms(2026, 1, 20), 1, 60.0, 60.0, 60.0);
  const auto r = trace("B1", local_ms(2026, 2, 10));
  EXPECT_TRUE(r.canopy.empty());
  EXPECT_TRUE(json::parse(trace_json(r)).at("canopy").as_array().empty());
  EXPECT_EQ(trace("C1", local_ms(2026, 2, 10)).canopy.size(), 1u);
}

TEST_F(TraceTest, WaterYieldAndWaterPerKgFromTheEntries) {
  add_lot("B1", {{"z1", 5000}, {"z2", 3000}}, "2026-01-15");
  irrigation("B1", "2026-02-01", 11, 600, 150.5);
  irrigation("B1", "2026-02-02", 12, 900, 200.0);
  irrigation("B1", "2026-02-03", 13, 450, std::nullopt);  // no flow meter on that line
  harvest("B1", "2026-08-20", 300, false);
  harvest("B1", "2026-09-01", 500.5, true);
  const auto r = trace("B1", local_ms(2026, 10, 1));
  EXPECT_EQ(r.irrigation_count, 3);
  EXPECT_DOUBLE_EQ(r.irrigation_minutes, (600 + 900 + 450) / 60.0);
  ASSERT_TRUE(r.water_l.has_value());
  EXPECT_DOUBLE_EQ(*r.water_l, 350.5);
  EXPECT_EQ(r.runs_without_volume, 1);
  EXPECT_DOUBLE_EQ(r.harvest_kg, 800.5);
  ASSERT_TRUE(r.yield_kg_ha.has_value());
  EXPECT_DOUBLE_EQ(*r.yield_kg_ha, 800.5 / 0.8);
  ASSERT_TRUE(r.water_l_per_kg.has_value());
  EXPECT_DOUBLE_EQ(*r.water_l_per_kg, 350.5 / 800.5);

  const auto doc = json::parse(trace_json(r)).as_object();
  EXPECT_EQ(doc.at("water").at("irrigation_count").as_int64(), 3);
  EXPECT_DOUBLE_EQ(doc.at("water").at("water_l").to_number<double>(), 350.5);
  EXPECT_NEAR(doc.at("water").at("water_l_per_kg").to_number<double>(), 350.5 / 800.5, 0.005);
  EXPECT_DOUBLE_EQ(doc.at("harvest").at("total_kg").to_number<double>(), 800.5);
  EXPECT_NEAR(doc.at("harvest").at("yield_kg_ha").to_number<double>(), 1000.625, 0.005);
}

TEST_F(TraceTest, NoVolumeKnownLeavesWaterNull) {
  add_lot("B1", {{"z1", 5000}}, "2026-01-15");
  irrigation("B1", "2026-02-01", 11, 600, std::nullopt);
  harvest("B1", "2026-09-01", 500, true);
  const auto r = trace("B1", local_ms(2026, 10, 1));
  EXPECT_FALSE(r.water_l.has_value());
  EXPECT_FALSE(r.water_l_per_kg.has_value());
  const auto water = json::parse(trace_json(r)).at("water").as_object();
  EXPECT_TRUE(water.at("water_l").is_null());
  EXPECT_TRUE(water.at("water_l_per_kg").is_null());
  EXPECT_EQ(water.at("runs_without_volume").as_int64(), 1);
}

TEST_F(TraceTest, JsonSplitsHarvestsFromDiaryAndHasTheApiShape) {
  add_lot("B1", {{"z1", 5000}}, "2026-01-15");
  Entry spray;
  spray.lot = "B1";
  spray.kind = EntryKind::pesticide;
  spray.date = "2026-03-02";
  spray.material = "Regent 800WG";
  spray.active_ingredient = "fipronil";
  spray.amount = 2.5;
  spray.unit = "g/bình 16 L";
  spray.phi_days = 14;
  add_entry(spray);
  irrigation("B1", "2026-03-03", 7, 600, 120.0);
  harvest("B1", "2026-04-01", 250, false);
  const auto r = trace("B1", local_ms(2026, 5, 1), "https://example.vn/lo/B1");
  const auto doc = json::parse(trace_json(r)).as_object();

  const auto& lot = doc.at("lot").as_object();
  EXPECT_EQ(lot.at("code").as_string(), "B1");
  EXPECT_EQ(lot.at("product").as_string(), "Bưởi da xanh");
  EXPECT_TRUE(lot.at("gtin").is_null());
  EXPECT_TRUE(lot.at("ocop_stars").is_null());
  EXPECT_TRUE(lot.at("closed").is_null());
  EXPECT_EQ(lot.at("entries").as_int64(), 3);
  EXPECT_EQ(lot.at("zones").as_array().at(0).at("zone").as_string(), "z1");

  const auto& diary = doc.at("diary").as_array();
  const auto& harvests = doc.at("harvests").as_array();
  ASSERT_EQ(diary.size(), 2u);
  ASSERT_EQ(harvests.size(), 1u);
  EXPECT_EQ(diary[0].at("kind").as_string(), "pesticide");
  EXPECT_EQ(diary[0].at("phi_until").as_string(), "2026-03-16");
  EXPECT_EQ(diary[0].at("active_ingredient").as_string(), "fipronil");
  EXPECT_TRUE(diary[0].at("run_id").is_null());
  EXPECT_TRUE(diary[0].at("zone").is_null());
  EXPECT_EQ(diary[1].at("kind").as_string(), "irrigation");
  EXPECT_EQ(diary[1].at("run_id").as_int64(), 7);
  EXPECT_TRUE(diary[1].at("phi_until").is_null());
  EXPECT_EQ(harvests[0].at("seq").as_int64(), 3);
  EXPECT_EQ(harvests[0].at("grade").as_string(), "loại 1");
  EXPECT_EQ(harvests[0].at("final").as_bool(), false);
  EXPECT_TRUE(harvests[0].at("override_by").is_null());
  EXPECT_EQ(harvests[0].at("prev_hash").as_string(), diary[1].at("hash").as_string());

  EXPECT_EQ(doc.at("chain").at("ok").as_bool(), true);
  EXPECT_EQ(doc.at("chain").at("entries").as_int64(), 3);
  EXPECT_TRUE(doc.at("chain").at("broken_at").is_null());
  EXPECT_EQ(doc.at("url").as_string(), "https://example.vn/lo/B1");
  EXPECT_TRUE(json::parse(trace_json(trace("B1", local_ms(2026, 5, 1)))).at("url").is_null());
}

TEST_F(TraceTest, AnEditedRowShowsAsABrokenChain) {
  add_lot("B1", {{"z1", 5000}}, "2026-01-15");
  irrigation("B1", "2026-02-01", 11, 600, 150.0);
  harvest("B1", "2026-04-01", 250, false);
  exec("UPDATE lot_entries SET quantity_kg = 2500 WHERE lot = 'B1' AND seq = 2");
  const auto r = trace("B1", local_ms(2026, 5, 1));
  EXPECT_FALSE(r.chain.ok);
  EXPECT_EQ(r.chain.broken_at, 2);
  const auto chain = json::parse(trace_json(r)).at("chain").as_object();
  EXPECT_EQ(chain.at("ok").as_bool(), false);
  EXPECT_EQ(chain.at("broken_at").as_int64(), 2);
  EXPECT_FALSE(chain.at("reason").as_string().empty());
}

TEST_F(TraceTest, UnknownLotIsNotFound) {
  Ledger ledger(*db_, *tz_, LedgerOptions{});
  auto r = build_trace(ledger, "NOPE", local_ms(2026, 5, 1), "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "not_found");
}

}  // namespace
}  // namespace farmgate::ocop
