#include "gateway/ocop/export.h"

#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include <boost/json.hpp>

#include "gateway/ocop/test_store.h"
#include "gateway/store/schema.h"

namespace farmgate::ocop {
namespace {

namespace json = boost::json;
using Table = std::vector<std::vector<std::string>>;

class ExportTest : public testing::ChainedLotsTest {
 protected:
  void harvest(const std::string& lot, const std::string& date, double kg) {
    Entry e;
    e.lot = lot;
    e.kind = EntryKind::harvest;
    e.date = date;
    e.quantity_kg = kg;
    add_entry(e);
  }

  void irrigation(const std::string& lot, const std::string& date, std::int64_t run_id,
                  double volume_l) {
    Entry e;
    e.lot = lot;
    e.kind = EntryKind::irrigation;
    e.date = date;
    e.run_id = run_id;
    e.start_ms = local_ms(2026, 6, 1, 6) + run_id;
    e.duration_s = 900;
    e.volume_l = volume_l;
    e.reason = "manual";
    e.who = "farmgate";
    add_entry(e);
  }

  void spray(const std::string& lot, const std::string& date, const std::string& note) {
    Entry e;
    e.lot = lot;
    e.kind = EntryKind::pesticide;
    e.date = date;
    e.zone = "z1";
    e.material = "Regent 800WG";
    e.active_ingredient = "fipronil";
    e.amount = 2.5;
    e.unit = "g/bình 16 L";
    e.phi_days = 14;
    e.note = note;
    add_entry(e);
  }

  ExportQuery query(ExportKind kind, Format format = Format::csv, Lang lang = Lang::vi) {
    ExportQuery q;
    q.kind = kind;
    q.format = format;
    q.lang = lang;
    q.from_ms = local_ms(2026, 1, 1);
    q.to_ms = local_ms(2027, 1, 1);
    return q;
  }

  ExportResult run(const ExportQuery& q) {
    Ledger ledger(*db_, *tz_, LedgerOptions{});
    auto r = run_export(ledger, q);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? std::move(*r) : ExportResult{};
  }

  // Reads CSV bodies back with Python's csv module, as a spreadsheet user's script would:
  // through a file, decoded as UTF-8 with the byte order mark.
  std::vector<Table> read_back(const std::vector<std::string>& bodies) {
    std::string cmd =
        "python3 -S -E -c 'import csv, json, sys; print(json.dumps([list(csv.reader(open(p, "
        "encoding=\"utf-8-sig\", newline=\"\"))) for p in sys.argv[1:]]))'";
    for (std::size_t i = 0; i < bodies.size(); ++i) {
      const std::string path = dir_ + "/export-" + std::to_string(i) + ".csv";
      std::ofstream(path, std::ios::binary) << bodies[i];
      cmd += " " + path;
    }
    FILE* p = popen(cmd.c_str(), "r");
    EXPECT_NE(p, nullptr);
    if (p == nullptr) return {};
    std::string out;
    char buf[4096];
    for (std::size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    EXPECT_EQ(pclose(p), 0) << out;
    std::vector<Table> tables;
    boost::system::error_code ec;
    const json::value v = json::parse(out, ec);
    EXPECT_FALSE(ec) << out;
    if (ec) return {};
    for (const auto& t : v.as_array()) {
      Table table;
      for (const auto& row : t.as_array()) {
        std::vector<std::string> cells;
        for (const auto& c : row.as_array()) cells.emplace_back(c.as_string());
        table.push_back(std::move(cells));
      }
      tables.push_back(std::move(table));
    }
    return tables;
  }
};

TEST_F(ExportTest, HeaderRowsInVietnameseAndEnglish) {
  const std::map<ExportKind, std::pair<std::vector<std::string>, std::vector<std::string>>> want{
      {ExportKind::readings,
       {{"Thời gian", "Khu", "Thiết bị", "Loại thiết bị", "Chỉ số", "Giá trị", "Đơn vị"},
        {"Time", "Zone", "Device", "Kind", "Metric", "Value", "Unit"}}},
      {ExportKind::irrigation,
       {{"Mã lần tưới", "Khu", "Bắt đầu", "Kết thúc", "Số phút", "Lượng nước (L)", "Lý do",
         "Người thực hiện", "Kết quả"},
        {"Run", "Zone", "Start", "End", "Minutes", "Water (L)", "Reason", "Started by",
         "Outcome"}}},
      {ExportKind::lots,
       {{"Mã lô", "Sản phẩm", "Giống", "GTIN", "Hạng OCOP (sao)", "Khu", "Diện tích (ha)",
         "Ngày trồng", "Dự kiến thu hoạch", "Ngày kết thúc", "Sản lượng (kg)", "Năng suất (kg/ha)",
         "Nước (m³)", "Hồ sơ nguyên vẹn"},
        {"Lot", "Product", "Variety", "GTIN", "OCOP stars", "Zones", "Area (ha)", "Planted",
         "Expected harvest", "Closed", "Harvested (kg)", "Yield (kg/ha)", "Water (m³)",
         "Record intact"}}},
      {ExportKind::diary,
       {{"Mã lô", "STT", "Ngày", "Loại công việc", "Khu", "Vật tư", "Hoạt chất", "Liều lượng",
         "Đơn vị", "Thời gian cách ly (ngày)", "Sản lượng (kg)", "Phân loại", "Ghi chú",
         "Cán bộ cho thu hoạch trong thời gian cách ly", "Lý do cho phép", "Người ghi", "Mã băm"},
        {"Lot", "No.", "Date", "Kind of work", "Zone", "Material", "Active ingredient", "Amount",
         "Unit", "Pre-harvest interval (days)", "Quantity (kg)", "Grade", "Note",
         "Allowed inside the PHI by", "Reason allowed", "Recorded by", "Hash"}}},
      {ExportKind::season,
       {{"Sản phẩm", "Số lô", "Diện tích (ha)", "Sản lượng (kg)", "Năng suất (kg/ha)", "Nước (m³)",
         "Nước/kg (L/kg)"},
        {"Product", "Lots", "Area (ha)", "Harvested (kg)", "Yield (kg/ha)", "Water (m³)",
         "Water per kg (L/kg)"}}},
  };
  std::vector<std::string> bodies;
  for (const auto& [kind, headers] : want) {
    bodies.push_back(run(query(kind, Format::csv, Lang::vi)).body);
    bodies.push_back(run(query(kind, Format::csv, Lang::en)).body);
  }
  const auto tables = read_back(bodies);
  ASSERT_EQ(tables.size(), bodies.size());
  std::size_t i = 0;
  for (const auto& [kind, headers] : want) {
    ASSERT_FALSE(tables[i].empty());
    EXPECT_EQ(tables[i][0], headers.first) << to_string(kind);
    ASSERT_FALSE(tables[i + 1].empty());
    EXPECT_EQ(tables[i + 1][0], headers.second) << to_string(kind);
    i += 2;
  }
}

TEST_F(ExportTest, CsvReadBackKeepsVietnameseAndDefusesFormulas) {
  add_lot("B1", "Bưởi da xanh", {{"z1", 5000}, {"z2", 3000}}, "2026-02-01");
  spray("B1", "2026-03-02", "=HYPERLINK(\"http://x\") phun sáng sớm");
  harvest("B1", "2026-09-01", 800.5);

  const auto diary = run(query(ExportKind::diary));
  ASSERT_GE(diary.body.size(), 3u);
  EXPECT_EQ(diary.body.substr(0, 3), "\xEF\xBB\xBF");
  EXPECT_NE(diary.body.find("\r\n"), std::string::npos);
  EXPECT_EQ(diary.content_type, "text/csv; charset=utf-8");
  const auto lots = run(query(ExportKind::lots));
  const auto tables = read_back({diary.body, lots.body});
  ASSERT_EQ(tables.size(), 2u);

  const Table& d = tables[0];
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[1][0], "B1");
  EXPECT_EQ(d[1][1], "1");
  EXPECT_EQ(d[1][2], "2026-03-02");
  EXPECT_EQ(d[1][3], "phun thuốc BVTV");
  EXPECT_EQ(d[1][6], "fipronil");
  EXPECT_EQ(d[1][7], "2.5");
  EXPECT_EQ(d[1][8], "g/bình 16 L");
  EXPECT_EQ(d[1][9], "14");
  // The note survives whole, quote and all, but a spreadsheet reads it as text.
  EXPECT_EQ(d[1][12], "'=HYPERLINK(\"http://x\") phun sáng sớm");
  EXPECT_EQ(d[2][3], "thu hoạch");
  EXPECT_EQ(d[2][10], "800.5");
  EXPECT_EQ(d[2][16].size(), 64u);  // the hash, last

  const Table& l = tables[1];
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[1][1], "Bưởi da xanh");
  EXPECT_EQ(l[1][5], "z1, z2");
  EXPECT_EQ(l[1][6], "0.8");
  EXPECT_EQ(l[1][10], "800.5");
  EXPECT_EQ(l[1][11], "1000.63");
  EXPECT_EQ(l[1][13], "có");
}

TEST_F(ExportTest, JsonRowsUseEnglishKeysWhateverTheLanguage) {
  add_lot("B1", "Bưởi da xanh", {{"z1", 5000}}, "2026-02-01");
  spray("B1", "2026-03-02", "=1+2");
  const auto r = run(query(ExportKind::diary, Format::json, Lang::vi));
  EXPECT_EQ(r.content_type, "application/json");
  const auto doc = json::parse(r.body).as_object();
  EXPECT_EQ(doc.at("kind").as_string(), "diary");
  EXPECT_EQ(doc.at("from").as_string(), "2026-01-01T00:00:00+07:00");
  const auto& rows = doc.at("rows").as_array();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("kind").as_string(), "pesticide");
  EXPECT_EQ(rows[0].at("active_ingredient").as_string(), "fipronil");
  EXPECT_DOUBLE_EQ(rows[0].at("amount").to_number<double>(), 2.5);
  EXPECT_EQ(rows[0].at("note").as_string(), "=1+2");
  EXPECT_TRUE(rows[0].at("quantity_kg").is_null());

  const auto lots = json::parse(run(query(ExportKind::lots, Format::json)).body);
  const auto& lot = lots.at("rows").as_array().at(0);
  EXPECT_EQ(lot.at("product").as_string(), "Bưởi da xanh");
  EXPECT_EQ(lot.at("zones").as_array().at(0).as_string(), "z1");
  EXPECT_EQ(lot.at("chain_ok").as_bool(), true);
}

TEST_F(ExportTest, ReadingsInLocalTimeOldestFirstNarrowedByZone) {
  exec(
      "INSERT INTO series(id, kind, device, zone, metric, unit) VALUES "
      "(1, 'soil', 'soil-z1', 'z1', 'moisture', '%'), (2, 'soil', 'soil-z2', 'z2', 'moisture', "
      "'%')");
  const std::int64_t t = local_ms(2026, 6, 1, 6, 30);
  exec("INSERT INTO readings(ts, series, value) VALUES (" + std::to_string(t + 60'000) +
       ", 1, 31.25), (" + std::to_string(t) + ", 1, 30.5), (" + std::to_string(t) + ", 2, 44.0)");
  auto q = query(ExportKind::readings, Format::json);
  q.zone = "z1";
  const auto rows = json::parse(run(q).body).at("rows").as_array();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at("time").as_string(), "2026-06-01T06:30:00+07:00");
  EXPECT_DOUBLE_EQ(rows[0].at("value").to_number<double>(), 30.5);
  EXPECT_EQ(rows[1].at("time").as_string(), "2026-06-01T06:31:00+07:00");
  EXPECT_EQ(rows[1].at("device").as_string(), "soil-z1");
  EXPECT_EQ(rows[1].at("unit").as_string(), "%");
  q.zone = "";
  EXPECT_EQ(json::parse(run(q).body).at("rows").as_array().size(), 3u);
}

TEST_F(ExportTest, ReadingsBeyondMaxRowsAreRefused) {
  exec(
      "INSERT INTO series(id, kind, device, zone, metric, unit) VALUES "
      "(1, 'soil', 'soil-z1', 'z1', 'moisture', '%')");
  const std::int64_t t = local_ms(2026, 6, 1);
  for (int i = 0; i < 3; ++i) {
    exec("INSERT INTO readings(ts, series, value) VALUES (" + std::to_string(t + i * 1000) +
         ", 1, 30)");
  }
  auto q = query(ExportKind::readings);
  q.max_rows = 2;
  Ledger ledger(*db_, *tz_, LedgerOptions{});
  auto r = run_export(ledger, q);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "too_large");
  EXPECT_NE(r.error().message.find('3'), std::string::npos) << r.error().message;
  q.max_rows = 3;
  EXPECT_TRUE(run_export(ledger, q).ok());
}

TEST_F(ExportTest, AnEmptyOrBackwardRangeIsBadInput) {
  Ledger ledger(*db_, *tz_, LedgerOptions{});
  auto q = query(ExportKind::lots);
  q.to_ms = q.from_ms;
  auto r = run_export(ledger, q);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "bad_input");
  q.to_ms = q.from_ms - 1;
  EXPECT_FALSE(run_export(ledger, q).ok());
}

TEST_F(ExportTest, IrrigationRunsOldestFirstWithMinutesAndVolume) {
  const std::int64_t t = local_ms(2026, 6, 1, 5, 30);
  exec(
      "INSERT INTO irrigation_runs(id, zone, actuators, start_ms, end_ms, reason, who, outcome, "
      "volume_l) VALUES (2, 'z1', 'valve-z1,pump', " +
      std::to_string(t + 86'400'000) + ", " + std::to_string(t + 86'400'000 + 15 * 60'000) +
      ", 'rule', 'rule:water-z1-when-dry', 'completed', 210.5), (1, 'z1', 'valve-z1,pump', " +
      std::to_string(t) + ", " + std::to_string(t + 90'000) +
      ", 'manual', 'farmer1', 'stopped', NULL), (3, 'z2', 'valve-z2,pump', " +
      std::to_string(t + 2 * 86'400'000) + ", NULL, 'manual', 'farmer1', 'running', NULL)");
  const auto rows =
      json::parse(run(query(ExportKind::irrigation, Format::json)).body).at("rows").as_array();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].at("id").as_int64(), 1);
  EXPECT_EQ(rows[0].at("start").as_string(), "2026-06-01T05:30:00+07:00");
  EXPECT_EQ(rows[0].at("end").as_string(), "2026-06-01T05:31:30+07:00");
  EXPECT_DOUBLE_EQ(rows[0].at("minutes").to_number<double>(), 1.5);
  EXPECT_TRUE(rows[0].at("volume_l").is_null());
  EXPECT_EQ(rows[1].at("id").as_int64(), 2);
  EXPECT_DOUBLE_EQ(rows[1].at("minutes").to_number<double>(), 15);
  EXPECT_DOUBLE_EQ(rows[1].at("volume_l").to_number<double>(), 210.5);
  EXPECT_EQ(rows[1].at("who").as_string(), "rule:water-z1-when-dry");
  // A run still open has no end yet.
  EXPECT_TRUE(rows[2].at("end").is_null());
  EXPECT_TRUE(rows[2].at("minutes").is_null());
  EXPECT_EQ(rows[2].at("outcome").as_string(), "running");
}

TEST_F(ExportTest, SeasonGroupsHarvestsInTheRangeByProduct) {
  add_lot("A1", "Bưởi da xanh", {{"z1", 5000}}, "2026-01-10");
  add_lot("A2", "Bưởi da xanh", {{"z2", 3000}}, "2026-01-12");
  add_lot("C1", "Cam sành", {{"z3", 2000}}, "2026-01-12");
  irrigation("A1", "2025-12-20", 1, 500);  // before the range: not this season's water
  irrigation("A1", "2026-05-01", 2, 2000);
  harvest("A1", "2026-08-01", 1000);
  harvest("A2", "2026-08-03", 600);
  harvest("C1", "2027-02-01", 400);  // after the range
  auto q = query(ExportKind::season, Format::json);
  const auto rows = json::parse(run(q).body).at("rows").as_array();
  ASSERT_EQ(rows.size(), 1u);
  const auto& b = rows[0];
  EXPECT_EQ(b.at("product").as_string(), "Bưởi da xanh");
  EXPECT_EQ(b.at("lots").as_int64(), 2);
  EXPECT_DOUBLE_EQ(b.at("area_ha").to_number<double>(), 0.8);
  EXPECT_DOUBLE_EQ(b.at("harvest_kg").to_number<double>(), 1600);
  EXPECT_DOUBLE_EQ(b.at("yield_kg_ha").to_number<double>(), 2000);
  EXPECT_DOUBLE_EQ(b.at("water_m3").to_number<double>(), 2.0);
  EXPECT_DOUBLE_EQ(b.at("water_l_per_kg").to_number<double>(), 1.25);

  q.zone = "z2";
  const auto z2 = json::parse(run(q).body).at("rows").as_array();
  ASSERT_EQ(z2.size(), 1u);
  EXPECT_EQ(z2[0].at("lots").as_int64(), 1);
  EXPECT_DOUBLE_EQ(z2[0].at("harvest_kg").to_number<double>(), 600);
  EXPECT_TRUE(z2[0].at("water_m3").is_null());
}

TEST_F(ExportTest, DiaryNarrowedToOneLotAndNamedForDownload) {
  add_lot("B1", "Bưởi da xanh", {{"z1", 5000}}, "2026-02-01");
  add_lot("B2", "Bưởi da xanh", {{"z1", 2000}}, "2026-02-01");
  spray("B1", "2026-06-05", "");
  spray("B2", "2026-06-06", "");
  spray("B1", "2026-07-01", "");  // after the range
  auto q = query(ExportKind::diary, Format::json);
  q.from_ms = local_ms(2026, 6, 1);
  q.to_ms = local_ms(2026, 7, 1);
  q.lot = "B1";
  const auto r = run(q);
  EXPECT_EQ(r.file_name, "farmgate-diary-2026-06-01-2026-06-30.json");
  const auto rows = json::parse(r.body).at("rows").as_array();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("lot").as_string(), "B1");
  EXPECT_EQ(rows[0].at("date").as_string(), "2026-06-05");
  q.lot = "";
  q.format = Format::csv;
  EXPECT_EQ(run(q).file_name, "farmgate-diary-2026-06-01-2026-06-30.csv");
}

TEST_F(ExportTest, AHarvestAllowedInsideAPreHarvestIntervalSaysByWhomAndWhy) {
  add_lot("B1", "Bưởi da xanh", {{"z1", 5000}}, "2026-02-01");
  spray("B1", "2026-06-01", "");
  Entry e;
  e.lot = "B1";
  e.kind = EntryKind::harvest;
  e.date = "2026-06-03";
  e.quantity_kg = 800;
  e.override_by = "cán bộ Hà";
  e.override_reason = "mẫu kiểm nghiệm dư lượng đạt";
  add_entry(e);
  harvest("B1", "2026-06-20", 400);  // after the interval: nothing to say
  const auto rows = json::parse(run(query(ExportKind::diary, Format::json)).body).at("rows");
  ASSERT_EQ(rows.as_array().size(), 3u);
  EXPECT_EQ(rows.at(1).at("override_by").as_string(), "cán bộ Hà");
  EXPECT_EQ(rows.at(1).at("override_reason").as_string(), "mẫu kiểm nghiệm dư lượng đạt");
  EXPECT_TRUE(rows.at(2).at("override_by").is_null());
  EXPECT_TRUE(rows.at(0).at("override_reason").is_null());
}

}  // namespace
}  // namespace farmgate::ocop
