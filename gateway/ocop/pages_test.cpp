#include "gateway/ocop/pages.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "gateway/ocop/qr.h"

namespace farmgate::ocop {
namespace {

constexpr std::int64_t kHourMs = 3'600'000;

bool has(const std::string& page, const std::string& text) {
  return page.find(text) != std::string::npos;
}

std::int64_t utc_midnight_ms(int y, unsigned m, unsigned d) {
  const std::chrono::sys_days day{std::chrono::year{y} / std::chrono::month{m} /
                                  std::chrono::day{d}};
  return std::chrono::duration_cast<std::chrono::milliseconds>(day.time_since_epoch()).count();
}

Entry entry(std::int64_t seq, EntryKind kind, std::string date) {
  Entry e;
  e.lot = "BT-2026-01";
  e.seq = seq;
  e.kind = kind;
  e.date = std::move(date);
  e.who = "Nguyễn Văn Ba";
  return e;
}

TraceRecord record() {
  TraceRecord r;
  r.lot.code = "BT-2026-01";
  r.lot.product = "Bưởi da xanh";
  r.lot.variety = "Da xanh \"Bến Tre\"";
  r.lot.gtin = "08934567890128";
  r.lot.ocop_stars = 4;
  r.lot.zones = {{"z1", 5200}, {"z2", 3000}};
  r.lot.planted = "2026-03-01";
  r.lot.expected_harvest = "2026-08-15";
  r.lot.hash = "ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12";
  r.lot.head = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0";
  // Can Tho is UTC+7: the season starts at the planting date's local midnight.
  r.from_ms = utc_midnight_ms(2026, 3, 1) - 7 * kHourMs;
  r.to_ms = utc_midnight_ms(2026, 7, 21) - 7 * kHourMs;

  Entry fert = entry(1, EntryKind::fertiliser, "2026-03-10");
  fert.material = "NPK 20-20-15";
  fert.amount = 1.5;
  fert.unit = "kg";
  fert.zone = "z1";
  Entry spray = entry(2, EntryKind::pesticide, "2026-06-12");
  spray.material = "Regent 800WG";
  spray.active_ingredient = "fipronil";
  spray.amount = 25;
  spray.unit = "ml/bình 16 L";
  spray.phi_days = 7;
  Entry run = entry(3, EntryKind::irrigation, "2026-06-13");
  run.duration_s = 2700;
  run.volume_l = 1250;
  run.reason = "rule:dry-z1";
  run.who = "farmgate";
  Entry other = entry(4, EntryKind::other, "2026-06-14");
  other.note = "<script>alert('x')</script> dọn cỏ & tỉa";
  Entry harvest = entry(5, EntryKind::harvest, "2026-06-16");
  harvest.quantity_kg = 1250.5;
  harvest.grade = "loại 1";
  harvest.override_by = "Trần Thị Cán Bộ";
  harvest.override_reason = "mẫu kiểm nghiệm đạt";
  Entry last = entry(6, EntryKind::harvest, "2026-07-20");
  last.quantity_kg = 800;
  last.final_harvest = true;
  r.entries = {fert, spray, run, other, harvest, last};
  r.lot.entries = 6;
  r.lot.closed = "2026-07-20";

  r.chain.ok = true;
  r.chain.entries = 6;
  r.irrigation_count = 14;
  r.irrigation_minutes = 750;
  r.water_l = 79'335;
  r.runs_without_volume = 2;
  r.harvest_kg = 2050.5;
  r.yield_kg_ha = 2500.6;
  r.water_l_per_kg = 38.69;
  r.moisture = {1000, 22, 31.26, 40.5, r.from_ms, r.to_ms};
  r.soil_temp = {1000, 24.5, 27.04, 31.9, r.from_ms, r.to_ms};
  r.canopy = {{"2026-03-01", 12.5}, {"2026-03-08", 18}, {"2026-03-15", 26.75}};
  r.url = "https://htx.example.vn/dl/01/08934567890128/10/BT-2026-01";
  return r;
}

std::string svg_of(const std::string& url) {
  auto svg = qr_svg(url);
  return svg.ok() ? *svg : "";
}

TEST(TracePageTest, TextFromPeopleIsEscapedAndVietnameseKeptIntact) {
  const TraceRecord r = record();
  const std::string page = trace_page(r, svg_of(r.url), Lang::vi);
  EXPECT_FALSE(has(page, "<script")) << "no script at all, least of all a person's";
  EXPECT_TRUE(has(page, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; dọn cỏ &amp; tỉa"));
  EXPECT_TRUE(has(page, "Da xanh &quot;Bến Tre&quot;"));
  EXPECT_TRUE(has(page, "Bưởi da xanh"));
  EXPECT_TRUE(has(page, "Nguyễn Văn Ba"));
  EXPECT_TRUE(has(page, "ml/bình 16 L"));
}

TEST(TracePageTest, IsSelfContainedHtmlWithPrintAndPhoneLayouts) {
  const TraceRecord r = record();
  const std::string svg = svg_of(r.url);
  ASSERT_FALSE(svg.empty());
  const std::string page = trace_page(r, svg, Lang::en);
  EXPECT_TRUE(page.starts_with("<!DOCTYPE html>"));
  EXPECT_TRUE(has(page, "<meta charset=\"utf-8\">"));
  EXPECT_TRUE(has(page, "@page{size:A4;margin:15mm}"));
  EXPECT_TRUE(has(page, "@media (max-width:480px)"));
  EXPECT_TRUE(has(page, svg));  // the QR code inline
  EXPECT_TRUE(has(page, r.url));
  for (const char* external : {"<script", " src=", "<link", "@import", "url("}) {
    EXPECT_FALSE(has(page, external)) << external;
  }
  EXPECT_TRUE(has(page, "OCOP ★★★★ "));
  EXPECT_FALSE(has(page, "★★★★★"));
  EXPECT_TRUE(has(page, "<code>9f8e7d6c5b4a3928…</code>"));  // the chain head, short
  EXPECT_FALSE(has(page, r.lot.head));
}

TEST(TracePageTest, VietnameseHasItsLabelsDecimalCommaAndDayFirstDates) {
  const TraceRecord r = record();
  const std::string page = trace_page(r, "", Lang::vi, "2026-07-21 08:05");
  EXPECT_TRUE(has(page, "<html lang=\"vi\">"));
  for (const char* label : {"Hồ sơ truy xuất nguồn gốc", "Mã lô", "Vùng trồng", "Ngày trồng",
                            "Tóm tắt mùa vụ", "Nhật ký sản xuất", "Thu hoạch", "Bón phân",
                            "Phun thuốc BVTV", "Tưới nước", "Độ ẩm đất", "Nhiệt độ đất"}) {
    EXPECT_TRUE(has(page, label)) << label;
  }
  EXPECT_FALSE(has(page, "Production diary"));
  EXPECT_TRUE(has(page, "01/03/2026"));  // planted
  EXPECT_TRUE(has(page, "20/07/2026"));  // closed
  EXPECT_FALSE(has(page, "2026-07-20"));
  EXPECT_TRUE(has(page, "Tạo lúc 21/07/2026 08:05"));
  EXPECT_TRUE(has(page, "38,7 L/kg"));
  EXPECT_TRUE(has(page, "79,3 m³"));
  EXPECT_TRUE(has(page, "1.250,5"));  // harvest kg, grouped
  EXPECT_TRUE(has(page, "22,0 / 31,3 / 40,5 %"));
  EXPECT_TRUE(has(page, "z1 (0,52 ha), z2 (0,3 ha) · tổng 0,82 ha"));
  EXPECT_TRUE(has(page, "45 phút · 1.250 L"));
  EXPECT_TRUE(has(page, "7 ngày"));
  EXPECT_TRUE(has(page, "Thu hoạch trong thời gian cách ly, được cho phép bởi Trần Thị Cán Bộ"));
}

TEST(TracePageTest, EnglishHasItsLabelsDecimalPointAndIsoDates) {
  const TraceRecord r = record();
  const std::string page = trace_page(r, "", Lang::en, "2026-07-21 08:05");
  EXPECT_TRUE(has(page, "<html lang=\"en\">"));
  for (const char* label :
       {"Traceability record", "Lot code", "Zones", "Planted", "Season summary", "Production diary",
        "Harvests", "Fertiliser", "Pesticide", "Irrigation", "Soil moisture", "Soil temperature"}) {
    EXPECT_TRUE(has(page, label)) << label;
  }
  EXPECT_FALSE(has(page, "Nhật ký sản xuất"));
  EXPECT_TRUE(has(page, "2026-03-01"));
  EXPECT_FALSE(has(page, "01/03/2026"));
  EXPECT_TRUE(has(page, "Generated 2026-07-21 08:05"));
  EXPECT_TRUE(has(page, "38.7 L per kg"));
  EXPECT_TRUE(has(page, "1,250.5"));
  EXPECT_TRUE(has(page, "22.0 / 31.3 / 40.5 %"));
  EXPECT_TRUE(has(page, "45 min · 1,250 L"));
}

TEST(TracePageTest, BrokenChainShowsTheReasonAndMarksTheEntry) {
  TraceRecord r = record();
  const std::string intact = trace_page(r, "", Lang::vi);
  EXPECT_TRUE(has(intact, "✓ Chuỗi dữ liệu toàn vẹn"));
  EXPECT_FALSE(has(intact, "KHÔNG khớp"));
  EXPECT_FALSE(has(intact, "class=\"broken\""));

  r.chain.ok = false;
  r.chain.broken_at = 2;
  r.chain.reason = "entry 2 (pesticide, 2026-06-12) was changed after it was recorded";
  const std::string vi = trace_page(r, "", Lang::vi);
  EXPECT_TRUE(has(vi, "✗ Chuỗi dữ liệu KHÔNG khớp"));
  EXPECT_TRUE(has(vi, r.chain.reason));
  EXPECT_TRUE(has(vi, "Mục đầu tiên không khớp: #2"));
  EXPECT_TRUE(has(vi, "<tr class=\"broken\"><td class=\"n\">✗ 2</td>"));
  EXPECT_FALSE(has(vi, "Chuỗi dữ liệu toàn vẹn"));
  const std::string en = trace_page(r, "", Lang::en);
  EXPECT_TRUE(has(en, "does NOT verify"));
  EXPECT_TRUE(has(en, r.chain.reason));
}

TEST(TracePageTest, SaysWhenSoilStatisticsStartAfterPlanting) {
  TraceRecord r = record();
  EXPECT_FALSE(has(trace_page(r, "", Lang::vi), "Số liệu đất từ ngày"));
  // No readings before 11 March (local): probes installed later, or past retention.
  r.moisture.first_ms = utc_midnight_ms(2026, 3, 11) - 7 * kHourMs + 30 * 60'000;
  r.soil_temp.first_ms = r.moisture.first_ms + kHourMs;
  EXPECT_TRUE(has(trace_page(r, "", Lang::vi), "Số liệu đất từ ngày 11/03/2026"));
  EXPECT_TRUE(has(trace_page(r, "", Lang::en), "Soil statistics start on 2026-03-11"));
  EXPECT_TRUE(has(trace_page(r, "", Lang::vi), "cảm biến chưa lắp"));
}

TEST(TracePageTest, RecordWithoutDataSaysSoInsteadOfZeros) {
  TraceRecord r;
  r.lot.code = "L1";
  r.lot.product = "Lúa ST25";
  r.lot.zones = {{"z3", 10'000}};
  r.lot.planted = "2026-07-01";
  const std::string page = trace_page(r, "", Lang::vi);
  EXPECT_TRUE(has(page, "Không có số liệu"));
  EXPECT_TRUE(has(page, "Chưa thu hoạch."));
  EXPECT_TRUE(has(page, "Không rõ"));
  EXPECT_FALSE(has(page, "OCOP"));
  EXPECT_FALSE(has(page, "<figure"));
}

TEST(LabelPageTest, HoldsQrProductCodeHarvestDateAndStars) {
  const TraceRecord r = record();
  const std::string svg = svg_of(r.url);
  ASSERT_FALSE(svg.empty());
  const std::string vi = label_page(r.lot, "2026-07-20", r.url, svg, Lang::vi);
  EXPECT_TRUE(has(vi, "@page{size:50mm 30mm"));
  EXPECT_TRUE(has(vi, svg));
  EXPECT_TRUE(has(vi, r.url));
  EXPECT_TRUE(has(vi, ">Bưởi da xanh<"));
  EXPECT_TRUE(has(vi, ">BT-2026-01<"));
  EXPECT_TRUE(has(vi, "Ngày thu hoạch"));
  EXPECT_TRUE(has(vi, "20/07/2026"));
  EXPECT_TRUE(has(vi, "★★★★ OCOP"));
  EXPECT_FALSE(has(vi, "<script"));
  const std::string en = label_page(r.lot, "2026-07-20", r.url, svg, Lang::en);
  EXPECT_TRUE(has(en, "Harvest date"));
  EXPECT_TRUE(has(en, "2026-07-20"));
}

TEST(LabelPageTest, BeforeAnyHarvestShowsTheExpectedHarvestAsSuch) {
  Lot lot = record().lot;
  lot.ocop_stars = 0;
  lot.product = "Cam <sành>";
  const std::string vi = label_page(lot, "", "", "<svg/>", Lang::vi);
  EXPECT_TRUE(has(vi, "Dự kiến thu hoạch"));
  EXPECT_TRUE(has(vi, "15/08/2026"));
  EXPECT_FALSE(has(vi, "Ngày thu hoạch"));
  EXPECT_FALSE(has(vi, "OCOP"));
  EXPECT_TRUE(has(vi, "Cam &lt;sành&gt;"));
  EXPECT_TRUE(has(label_page(lot, "", "", "<svg/>", Lang::en), "Expected harvest"));
}

TEST(HtmlEscapeTest, EscapesMarkupAndReplacesWhatIsNotUtf8Text) {
  EXPECT_EQ(html_escape("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
  EXPECT_EQ(html_escape("Bưởi ★"), "Bưởi ★");
  EXPECT_EQ(html_escape("x\xC3(y"), "x\xEF\xBF\xBD(y");  // a lead byte without its tail
  EXPECT_EQ(html_escape("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(html_escape(std::string_view("a\0b\x01", 4)),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD");
  EXPECT_EQ(html_escape("line\nnext\ttab"), "line\nnext\ttab");
  EXPECT_EQ(html_escape("\xF0\x9F\x8C\xB1"), "\xF0\x9F\x8C\xB1");                  // 🌱 kept
  EXPECT_EQ(html_escape("\xF0\x9F\x8C"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // cut short
}

}  // namespace
}  // namespace farmgate::ocop
