#include "gateway/ocop/pages.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>

namespace farmgate::ocop {
namespace {

// The Vietnamese or the English of a label.
const char* tr(Lang lang, const char* vi, const char* en) {
  return lang == Lang::vi ? vi : en;
}

// `value` rounded to `decimals`, with the language's decimal mark (38,7 / 38.7) and thousands
// grouping (1.250 / 1,250). `trim` drops trailing zeros, for quantities a person typed.
std::string number(double value, int decimals, Lang lang, bool trim = false) {
  if (!std::isfinite(value)) return "—";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  std::string_view text = buf;
  const bool negative = text.starts_with('-');
  if (negative) text.remove_prefix(1);
  const auto dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  if (trim) {
    while (fraction.ends_with('0')) fraction.remove_suffix(1);
  }
  std::string out;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) out += lang == Lang::vi ? '.' : ',';
    out += whole[i];
  }
  if (!fraction.empty()) {
    out += lang == Lang::vi ? ',' : '.';
    out += fraction;
  }
  if (negative && out.find_first_not_of("0.,") != std::string::npos) out.insert(0, "-");
  return out;
}

std::string two(unsigned v) {
  return (v < 10 ? "0" : "") + std::to_string(v);
}

std::string date_in(std::chrono::year_month_day d, Lang lang) {
  const std::string y = std::to_string(static_cast<int>(d.year()));
  const std::string m = two(static_cast<unsigned>(d.month()));
  const std::string day = two(static_cast<unsigned>(d.day()));
  return lang == Lang::vi ? day + "/" + m + "/" + y : y + "-" + m + "-" + day;
}

// A stored "YYYY-MM-DD" (optionally followed by a time, kept as is) as its reader writes dates,
// escaped; text that is not such a date is shown escaped as it was stored.
std::string date(std::string_view ymd, Lang lang) {
  const auto d = parse_date(ymd.substr(0, 10));
  if (!d) return html_escape(ymd);
  return date_in(*d, lang) + html_escape(ymd.substr(10));
}

// The site's UTC offset at planting, from the season's start: trace.h makes from_ms the local
// midnight that begins the planting date. Close enough to date a reading (a zone's DST shift
// moves it by an hour, not a day, except within an hour of midnight).
std::optional<std::int64_t> offset_ms(const TraceRecord& r) {
  const auto planted = parse_date(r.lot.planted);
  if (!planted) return std::nullopt;
  const std::int64_t utc_midnight = std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::sys_days{*planted}.time_since_epoch())
                                        .count();
  const std::int64_t offset = utc_midnight - r.from_ms;
  if (offset < -15 * 3'600'000LL || offset > 15 * 3'600'000LL) return std::nullopt;
  return offset;
}

std::string local_date(std::int64_t ms, std::int64_t offset, Lang lang) {
  const auto days = std::chrono::floor<std::chrono::days>(std::chrono::milliseconds(ms + offset));
  return date_in(std::chrono::year_month_day{std::chrono::sys_days{days}}, lang);
}

const char* kind_name(EntryKind kind, Lang lang) {
  switch (kind) {
    case EntryKind::fertiliser:
      return tr(lang, "Bón phân", "Fertiliser");
    case EntryKind::pesticide:
      return tr(lang, "Phun thuốc BVTV", "Pesticide");
    case EntryKind::pruning:
      return tr(lang, "Tỉa cành", "Pruning");
    case EntryKind::irrigation:
      return tr(lang, "Tưới nước", "Irrigation");
    case EntryKind::other:
      return tr(lang, "Công việc khác", "Other work");
    case EntryKind::harvest:
      return tr(lang, "Thu hoạch", "Harvest");
  }
  return "?";
}

std::string stars(int n) {
  std::string out;
  for (int i = 0; i < std::clamp(n, 0, 5); ++i) out += "★";
  return out;
}

std::string short_hash(std::string_view hash) {
  return html_escape(hash.substr(0, 16)) + (hash.size() > 16 ? "…" : "");
}

double area_ha(const Lot& lot) {
  double m2 = 0;
  for (const LotZone& z : lot.zones) m2 += z.area_m2;
  return m2 / 10'000;
}

std::string head(std::string_view title, std::string_view css, Lang lang) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"";
  out += tr(lang, "vi", "en");
  out +=
      "\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
  out += title;
  out += "</title>\n<style>\n";
  out += css;
  out += "</style>\n</head>\n";
  return out;
}

// ---- the traceability record ----------------------------------------------------------------

constexpr std::string_view kTraceCss = R"css(*{box-sizing:border-box}
body{margin:0;color:#111;background:#fff;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Arial,sans-serif}
main{max-width:60rem;margin:0 auto;padding:1rem}
header.lot{display:flex;flex-wrap:wrap;gap:1rem;justify-content:space-between;align-items:flex-start;border-bottom:2px solid #111;padding-bottom:.75rem}
.kicker{margin:0;font-size:.8rem;text-transform:uppercase;letter-spacing:.05em;color:#444}
h1{font-size:1.5rem;margin:.15rem 0}
h1 .variety{font-weight:400}
.stars{margin:.2rem 0;font-size:1.15rem;color:#8a6d00}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .8rem;margin:.5rem 0 0}
dt{color:#444}
dd{margin:0}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
figure.qr{margin:0;width:10rem;text-align:center}
figure.qr svg{display:block;width:100%;height:auto}
figcaption{font-size:.7rem;overflow-wrap:anywhere}
.chain{margin:1rem 0;padding:.6rem .8rem;border:3px solid #1b7f3a;font-size:1.2rem;font-weight:700}
.chain.bad{border:6px double #b00020}
.chain p{margin:.2rem 0 0;font-size:.95rem;font-weight:400}
h2{font-size:1.15rem;margin:1.4rem 0 .5rem;padding-bottom:.15rem;border-bottom:1px solid #888}
h3{font-size:1rem;margin:1rem 0 .4rem}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(13rem,1fr));gap:.5rem}
.tiles div{border:1px solid #bbb;padding:.4rem .6rem}
.tiles span{display:block;font-size:.8rem;color:#444}
.tiles b{display:block;font-size:1.15rem}
.note{font-size:.85rem;color:#333}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.9rem}
table.wide{min-width:40rem}
th,td{border:1px solid #999;padding:.25rem .4rem;text-align:left;vertical-align:top}
th{font-weight:600}
.n{text-align:right;white-space:nowrap}
.d{white-space:nowrap}
table.narrow{width:auto;min-width:16rem}
thead{display:table-header-group}
tr{break-inside:avoid;page-break-inside:avoid}
tr.broken td{font-weight:700;border:2px solid #b00020}
.spark{display:block;width:14rem;max-width:100%;height:3rem;margin:.3rem 0}
footer{margin-top:1.5rem;padding-top:.5rem;border-top:1px solid #888;font-size:.8rem;color:#333}
@page{size:A4;margin:15mm}
@media print{body{font-size:10pt}main{max-width:none;padding:0}.scroll{overflow:visible}table.wide{min-width:0}h2,h3{break-after:avoid}figure.qr{width:35mm}}
@media (max-width:480px){main{padding:.6rem}figure.qr{width:100%;max-width:15rem;margin:0 auto}dl.facts{grid-template-columns:1fr;gap:0}dt{margin-top:.3rem;font-size:.8rem}}
)css";

void fact(std::string& out, const char* term, const std::string& value) {
  out += "<dt>";
  out += term;
  out += "</dt><dd>";
  out += value;
  out += "</dd>\n";
}

void tile(std::string& out, const char* label, const std::string& value,
          const std::string& detail = "") {
  out += "<div><span>";
  out += label;
  out += "</span><b>";
  out += value;
  out += "</b>";
  if (!detail.empty()) out += "<span>" + detail + "</span>";
  out += "</div>\n";
}

std::string stats_text(const Stats& s, const char* unit, Lang lang) {
  if (s.n <= 0) return tr(lang, "Không có số liệu", "No data");
  return number(s.min, 1, lang) + " / " + number(s.mean, 1, lang) + " / " + number(s.max, 1, lang) +
         " " + unit;
}

void header_section(std::string& out, const TraceRecord& r, const std::string& qr_svg, Lang lang) {
  const Lot& lot = r.lot;
  out += "<header class=\"lot\">\n<div>\n<p class=\"kicker\">";
  out += tr(lang, "Hồ sơ truy xuất nguồn gốc", "Traceability record");
  out += "</p>\n<h1>" + html_escape(lot.product);
  if (!lot.variety.empty())
    out += " <span class=\"variety\">" + html_escape(lot.variety) + "</span>";
  out += "</h1>\n";
  if (lot.ocop_stars > 0) {
    out += "<p class=\"stars\">OCOP " + stars(lot.ocop_stars) + " <small>(" +
           std::to_string(lot.ocop_stars) + tr(lang, " sao", "-star") + ")</small></p>\n";
  }
  out += "<dl class=\"facts\">\n";
  fact(out, tr(lang, "Mã lô", "Lot code"), "<code>" + html_escape(lot.code) + "</code>");
  if (!lot.gtin.empty()) fact(out, "GTIN", "<code>" + html_escape(lot.gtin) + "</code>");
  std::string zones;
  for (const LotZone& z : lot.zones) {
    if (!zones.empty()) zones += ", ";
    zones += html_escape(z.zone) + " (" + number(z.area_m2 / 10'000, 3, lang, true) + " ha)";
  }
  if (lot.zones.size() > 1) {
    zones += " · " + std::string(tr(lang, "tổng ", "total ")) +
             number(area_ha(lot), 3, lang, true) + " ha";
  }
  fact(out, tr(lang, "Vùng trồng", "Zones"), zones);
  fact(out, tr(lang, "Ngày trồng", "Planted"), date(lot.planted, lang));
  if (!lot.closed.empty()) {
    fact(out, tr(lang, "Kết thúc vụ (thu hoạch cuối)", "Closed (final harvest)"),
         date(lot.closed, lang));
  } else if (!lot.expected_harvest.empty()) {
    fact(out, tr(lang, "Dự kiến thu hoạch", "Expected harvest"),
         date(lot.expected_harvest, lang) + tr(lang, " · đang canh tác", " · in season"));
  }
  if (!lot.notes.empty()) fact(out, tr(lang, "Ghi chú", "Notes"), html_escape(lot.notes));
  if (qr_svg.empty() && !r.url.empty()) {
    fact(out, tr(lang, "Địa chỉ tra cứu", "Public URL"), html_escape(r.url));
  }
  out += "</dl>\n</div>\n";
  if (!qr_svg.empty()) {
    out += "<figure class=\"qr\">" + qr_svg + "<figcaption>" + html_escape(r.url) +
           "</figcaption></figure>\n";
  }
  out += "</header>\n";
}

void chain_section(std::string& out, const TraceRecord& r, Lang lang) {
  if (r.chain.ok) {
    out += "<section class=\"chain ok\">✓ ";
    out += tr(lang, "Chuỗi dữ liệu toàn vẹn", "Chain verified");
    out +=
        "<p>" + std::to_string(r.chain.entries) +
        tr(lang, " mục đã được kiểm tra bằng chuỗi mã băm SHA-256: không có gì bị sửa sau khi ghi.",
           " entries checked against their SHA-256 hash chain: nothing was changed after it "
           "was recorded.") +
        "</p></section>\n";
    return;
  }
  out += "<section class=\"chain bad\">✗ ";
  out += tr(lang, "Chuỗi dữ liệu KHÔNG khớp", "The hash chain does NOT verify");
  out += "<p>" + html_escape(r.chain.reason) + "</p>";
  if (r.chain.broken_at == 0) {
    out += tr(lang, "<p>Sai lệch ở chính hồ sơ lô.</p>", "<p>The lot record itself fails.</p>");
  } else if (r.chain.broken_at > 0) {
    out += tr(lang, "<p>Mục đầu tiên không khớp: #", "<p>The first entry that fails: #") +
           std::to_string(r.chain.broken_at) + "</p>";
  }
  out += "</section>\n";
}

std::string sparkline(const std::vector<WeekPoint>& points) {
  // 0-100 % mapped onto a 100 x 30 box; one point draws as a short flat line.
  std::string pts;
  const std::size_t n = points.size();
  for (std::size_t i = 0; i < n; ++i) {
    const double x = n == 1 ? 0 : 100.0 * static_cast<double>(i) / static_cast<double>(n - 1);
    const double v = std::isfinite(points[i].mean) ? std::clamp(points[i].mean, 0.0, 100.0) : 0;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.1f,%.1f ", x, 30 - v * 0.3);
    pts += buf;
    if (n == 1) {
      std::snprintf(buf, sizeof buf, "100,%.1f", 30 - v * 0.3);
      pts += buf;
    }
  }
  return "<svg class=\"spark\" viewBox=\"-2 -2 104 34\" preserveAspectRatio=\"none\" "
         "aria-hidden=\"true\"><rect x=\"-2\" y=\"-2\" width=\"104\" height=\"34\" fill=\"none\" "
         "stroke=\"#bbb\" stroke-width=\".5\"/><polyline fill=\"none\" stroke=\"#1b7f3a\" "
         "stroke-width=\"1.5\" vector-effect=\"non-scaling-stroke\" points=\"" +
         pts + "\"/></svg>";
}

void season_section(std::string& out, const TraceRecord& r, Lang lang) {
  out += "<section>\n<h2>";
  out += tr(lang, "Tóm tắt mùa vụ", "Season summary");
  out += "</h2>\n<div class=\"tiles\">\n";
  {
    std::string value =
        r.water_l ? number(*r.water_l / 1000, 1, lang) + " m³" : tr(lang, "Không rõ", "Unknown");
    std::string detail;
    if (r.water_l_per_kg) {
      detail =
          number(*r.water_l_per_kg, 1, lang) + tr(lang, " L/kg sản phẩm", " L per kg harvested");
    }
    if (r.runs_without_volume > 0) {
      if (!detail.empty()) detail += " · ";
      detail += std::to_string(r.runs_without_volume) +
                tr(lang, " lần tưới không đo được lượng nước (không có đồng hồ nước)",
                   " runs without a measured volume (no flow meter)");
    }
    tile(out, tr(lang, "Nước tưới", "Irrigation water"), value, detail);
  }
  tile(out, tr(lang, "Số lần tưới", "Irrigation runs"),
       std::to_string(r.irrigation_count) + tr(lang, " lần", " runs"),
       number(r.irrigation_minutes / 60, 1, lang) + tr(lang, " giờ tưới", " hours in total"));
  tile(out, tr(lang, "Sản lượng", "Harvested"), number(r.harvest_kg, 1, lang, true) + " kg",
       r.yield_kg_ha ? number(*r.yield_kg_ha, 0, lang) + " kg/ha" : "");
  const std::string min_mean_max =
      tr(lang, "thấp nhất / trung bình / cao nhất", "min / mean / max");
  tile(out, tr(lang, "Độ ẩm đất", "Soil moisture"), stats_text(r.moisture, "%", lang),
       r.moisture.n > 0 ? min_mean_max : "");
  tile(out, tr(lang, "Nhiệt độ đất", "Soil temperature"), stats_text(r.soil_temp, "°C", lang),
       r.soil_temp.n > 0 ? min_mean_max : "");
  out += "</div>\n";
  // The statistics start after planting: the probes came later, or older readings are past the
  // store's retention. Either way the reader must know the season is not all covered.
  const auto offset = offset_ms(r);
  std::int64_t first = 0;
  for (const Stats* s : {&r.moisture, &r.soil_temp}) {
    if (s->n > 0 && (first == 0 || s->first_ms < first)) first = s->first_ms;
  }
  if (offset && first > r.from_ms + 86'400'000) {
    out += "<p class=\"note\">";
    out += tr(lang, "Số liệu đất từ ngày ", "Soil statistics start on ");
    out += local_date(first, *offset, lang);
    out += tr(lang,
              " (trước ngày này không có số liệu: cảm biến chưa lắp, hoặc số liệu cũ đã hết thời "
              "hạn lưu trữ của thiết bị).",
              " (none before: the probes came later, or older readings are past the gateway's "
              "retention).");
    out += "</p>\n";
  }
  if (!r.canopy.empty()) {
    out += "<h3>";
    out += tr(lang, "Độ che phủ tán lá (camera), trung bình theo tuần",
              "Canopy cover (camera), weekly mean");
    out += "</h3>\n" + sparkline(r.canopy) +
           "\n<div class=\"scroll\"><table class=\"narrow\">\n<thead><tr><th>";
    out += tr(lang, "Tuần từ ngày", "Week from");
    out += "</th><th class=\"n\">";
    out += tr(lang, "Che phủ (%)", "Cover (%)");
    out += "</th></tr></thead>\n<tbody>\n";
    for (const WeekPoint& w : r.canopy) {
      out += "<tr><td class=\"d\">" + date(w.week, lang) + "</td><td class=\"n\">" +
             number(w.mean, 1, lang) + "</td></tr>\n";
    }
    out += "</tbody></table></div>\n";
  }
  out += "</section>\n";
}

std::string seq_cell(const Entry& e, const ChainCheck& chain) {
  const bool broken = !chain.ok && chain.broken_at == e.seq;
  return std::string(broken ? "<td class=\"n\">✗ " : "<td class=\"n\">") + std::to_string(e.seq) +
         "</td>";
}

const char* row_open(const Entry& e, const ChainCheck& chain) {
  return !chain.ok && chain.broken_at == e.seq ? "<tr class=\"broken\">" : "<tr>";
}

void harvest_section(std::string& out, const TraceRecord& r, Lang lang) {
  out += "<section>\n<h2>";
  out += tr(lang, "Thu hoạch", "Harvests");
  out += "</h2>\n";
  const bool any = std::any_of(r.entries.begin(), r.entries.end(),
                               [](const Entry& e) { return e.kind == EntryKind::harvest; });
  if (!any) {
    out += tr(lang, "<p>Chưa thu hoạch.</p>\n", "<p>No harvest yet.</p>\n");
    out += "</section>\n";
    return;
  }
  out += "<div class=\"scroll\"><table class=\"wide\">\n<thead><tr><th class=\"n\">#</th><th>";
  out += tr(lang, "Ngày", "Date");
  out += "</th><th class=\"n\">";
  out += tr(lang, "Số lượng (kg)", "Quantity (kg)");
  out += "</th><th>";
  out += tr(lang, "Phân loại", "Grade");
  out += "</th><th>";
  out += tr(lang, "Ghi chú", "Notes");
  out += "</th><th>";
  out += tr(lang, "Người ghi", "Recorded by");
  out += "</th></tr></thead>\n<tbody>\n";
  for (const Entry& e : r.entries) {
    if (e.kind != EntryKind::harvest) continue;
    std::string notes;
    auto add = [&notes](const std::string& text) {
      if (text.empty()) return;
      if (!notes.empty()) notes += "<br>";
      notes += text;
    };
    if (e.final_harvest)
      add(tr(lang, "Thu hoạch cuối, kết thúc vụ", "Final harvest, closes the lot"));
    if (!e.zone.empty()) add(tr(lang, "Vùng ", "Zone ") + html_escape(e.zone));
    if (!e.override_by.empty() || !e.override_reason.empty()) {
      add(std::string("⚠ ") +
          tr(lang, "Thu hoạch trong thời gian cách ly, được cho phép bởi ",
             "Harvested inside a pre-harvest interval, allowed by ") +
          html_escape(e.override_by) + ": " + html_escape(e.override_reason));
    }
    add(html_escape(e.note));
    out += row_open(e, r.chain) + seq_cell(e, r.chain) + "<td class=\"d\">" + date(e.date, lang) +
           "</td><td class=\"n\">" + number(e.quantity_kg, 3, lang, true) + "</td><td>" +
           html_escape(e.grade) + "</td><td>" + notes + "</td><td>" + html_escape(e.who) +
           "</td></tr>\n";
  }
  out += "</tbody></table></div>\n</section>\n";
}

void diary_section(std::string& out, const TraceRecord& r, Lang lang) {
  out += "<section>\n<h2>";
  out += tr(lang, "Nhật ký sản xuất", "Production diary");
  out += "</h2>\n";
  const bool any = std::any_of(r.entries.begin(), r.entries.end(),
                               [](const Entry& e) { return e.kind != EntryKind::harvest; });
  if (!any) {
    out += tr(lang, "<p>Chưa có mục nào.</p>\n", "<p>No entries yet.</p>\n");
    out += "</section>\n";
    return;
  }
  out += "<div class=\"scroll\"><table class=\"wide\">\n<thead><tr><th class=\"n\">#</th><th>";
  out += tr(lang, "Ngày", "Date");
  out += "</th><th>";
  out += tr(lang, "Công việc", "Work");
  out += "</th><th>";
  out += tr(lang, "Vật tư / hoạt chất", "Material / active ingredient");
  out += "</th><th>";
  out += tr(lang, "Liều lượng", "Dose");
  out += "</th><th>";
  out += tr(lang, "Cách ly", "PHI");
  out += "</th><th>";
  out += tr(lang, "Ghi chú", "Note");
  out += "</th><th>";
  out += tr(lang, "Người ghi", "Recorded by");
  out += "</th></tr></thead>\n<tbody>\n";
  for (const Entry& e : r.entries) {
    if (e.kind == EntryKind::harvest) continue;
    std::string work = kind_name(e.kind, lang);
    if (!e.zone.empty()) work += " · " + html_escape(e.zone);
    std::string material = html_escape(e.material);
    if (!e.active_ingredient.empty()) {
      if (!material.empty()) material += " / ";
      material += "<i>" + html_escape(e.active_ingredient) + "</i>";
    }
    std::string dose;
    if (e.kind == EntryKind::irrigation) {
      dose = number(static_cast<double>(e.duration_s) / 60, 0, lang) + tr(lang, " phút", " min");
      if (e.volume_l) dose += " · " + number(*e.volume_l, 0, lang) + " L";
    } else if (e.amount) {
      dose = number(*e.amount, 3, lang, true);
      if (!e.unit.empty()) dose += " " + html_escape(e.unit);
    }
    const std::string phi =
        e.phi_days > 0 ? std::to_string(e.phi_days) + tr(lang, " ngày", " days") : "";
    std::string note = html_escape(e.note);
    if (e.kind == EntryKind::irrigation && !e.reason.empty()) {
      note += (note.empty() ? "" : "<br>") + std::string("<small>") + html_escape(e.reason) +
              "</small>";
    }
    out += row_open(e, r.chain) + seq_cell(e, r.chain) + "<td class=\"d\">" + date(e.date, lang) +
           "</td><td>" + work + "</td><td>" + material + "</td><td class=\"n\">" + dose +
           "</td><td class=\"n\">" + phi + "</td><td>" + note + "</td><td>" + html_escape(e.who) +
           "</td></tr>\n";
  }
  out += "</tbody></table></div>\n</section>\n";
}

// ---- the label --------------------------------------------------------------------------------

// Everything is sized in --u: 1 mm on paper, 2 mm on a screen, so the card previews the sticker.
constexpr std::string_view kLabelCss = R"css(@page{size:50mm 30mm;margin:0}
*{box-sizing:border-box}
html,body{margin:0}
body{color:#000;background:#fff;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Arial,sans-serif}
.label{--u:1mm;width:calc(50*var(--u));height:calc(30*var(--u));display:flex;gap:calc(1.2*var(--u));padding:calc(1.2*var(--u));overflow:hidden;background:#fff;break-inside:avoid;page-break-inside:avoid}
.qr{flex:0 0 calc(24*var(--u));display:flex;flex-direction:column}
.qr svg{display:block;width:calc(24*var(--u));height:calc(24*var(--u))}
.url{margin:0;font-size:calc(1.25*var(--u));line-height:1.1;max-height:calc(2.8*var(--u));overflow:hidden;overflow-wrap:anywhere}
.text{flex:1;min-width:0;display:flex;flex-direction:column;justify-content:space-between;font-size:calc(2.4*var(--u));line-height:1.15}
.text p{margin:0}
.product{font-weight:700;font-size:calc(2.8*var(--u));max-height:calc(6.5*var(--u));overflow:hidden;overflow-wrap:anywhere}
.stars{font-size:calc(2.4*var(--u))}
.k{display:block;font-size:calc(1.6*var(--u));color:#222}
.v{font-weight:700}
.code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
@media screen{body{background:#e6e6e6;padding:1rem;display:flex;justify-content:center}.label{--u:2mm;border-radius:calc(1.2*var(--u));box-shadow:0 1px 5px rgba(0,0,0,.35)}}
)css";

}  // namespace

std::string html_escape(std::string_view text) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&#39;";
          break;
        default:
          // Control characters are parse errors in HTML: shown as U+FFFD, not passed on.
          if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
            out += kReplacement;
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    // The page is declared UTF-8: a broken sequence becomes U+FFFD rather than garbling it.
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // no overlong forms
      if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;  // nothing past U+10FFFF
    }
    bool valid = len > 0 && i + len <= text.size();
    for (std::size_t k = 1; valid && k < len; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      valid = k == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
    }
    if (valid) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out += kReplacement;
      ++i;
    }
  }
  return out;
}

std::string trace_page(const TraceRecord& record, const std::string& qr_svg, Lang lang,
                       const std::string& generated) {
  const Lot& lot = record.lot;
  std::string out = head(html_escape(lot.product) + " · " + html_escape(lot.code) + " — " +
                             tr(lang, "Hồ sơ truy xuất nguồn gốc", "Traceability record"),
                         kTraceCss, lang);
  out += "<body>\n<main>\n";
  header_section(out, record, qr_svg, lang);
  chain_section(out, record, lang);
  season_section(out, record, lang);
  harvest_section(out, record, lang);
  diary_section(out, record, lang);
  out += "<footer>";
  if (!generated.empty()) {
    out += tr(lang, "Tạo lúc ", "Generated ");
    out += date(generated, lang);
    out += tr(lang, " bởi farmgate · ", " by farmgate · ");
  }
  out += tr(lang, "Mã băm đầu chuỗi (SHA-256): ", "Chain head (SHA-256): ");
  out += "<code>" + short_hash(lot.head.empty() ? lot.hash : lot.head) + "</code> · ";
  out += std::to_string(lot.entries) + tr(lang, " mục", " entries");
  out += "</footer>\n</main>\n</body>\n</html>\n";
  return out;
}

std::string label_page(const Lot& lot, const std::string& harvest_date, const std::string& url,
                       const std::string& qr_svg, Lang lang) {
  std::string out = head(tr(lang, "Tem lô ", "Label of lot ") + html_escape(lot.code) + " · " +
                             html_escape(lot.product),
                         kLabelCss, lang);
  out += "<body>\n<div class=\"label\">\n<div class=\"qr\">" + qr_svg;
  if (!url.empty()) out += "<p class=\"url\">" + html_escape(url) + "</p>";
  out +=
      "</div>\n<div class=\"text\">\n<p class=\"product\">" + html_escape(lot.product) + "</p>\n";
  if (lot.ocop_stars > 0) out += "<p class=\"stars\">" + stars(lot.ocop_stars) + " OCOP</p>\n";
  out += "<p><span class=\"k\">";
  out += tr(lang, "Mã lô", "Lot");
  out += "</span><span class=\"v code\">" + html_escape(lot.code) + "</span></p>\n";
  if (!harvest_date.empty()) {
    out += "<p><span class=\"k\">";
    out += tr(lang, "Ngày thu hoạch", "Harvest date");
    out += "</span><span class=\"v\">" + date(harvest_date, lang) + "</span></p>\n";
  } else if (!lot.expected_harvest.empty()) {
    out += "<p><span class=\"k\">";
    out += tr(lang, "Dự kiến thu hoạch", "Expected harvest");
    out += "</span><span class=\"v\">" + date(lot.expected_harvest, lang) + "</span></p>\n";
  }
  out += "</div>\n</div>\n</body>\n</html>\n";
  return out;
}

}  // namespace farmgate::ocop
