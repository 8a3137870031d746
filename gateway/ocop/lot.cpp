#include "gateway/ocop/lot.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>

#include "gateway/http/auth/crypto.h"

namespace farmgate::ocop {
namespace {

// The canonical text hashed for the chain: each field tagged with its type and prefixed with its
// length, so no choice of field contents can make two different records read the same.
class Canon {
 public:
  explicit Canon(std::string_view domain) { text(domain); }

  void text(std::string_view s) {
    out_ += 's';
    out_ += std::to_string(s.size());
    out_ += ':';
    out_.append(s);
  }
  void integer(std::int64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    tagged('i', std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
  }
  void real(double v) {
    // SQLite stores an integral REAL as an integer and reads it back as +0.0 whatever its sign.
    if (v == 0) v = 0;
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    tagged('d', std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
  }
  void maybe(const std::optional<double>& v) {
    if (v)
      real(*v);
    else
      out_ += 'n';
  }
  const std::string& str() const { return out_; }

 private:
  void tagged(char tag, std::string_view body) {
    out_ += tag;
    out_ += std::to_string(body.size());
    out_ += ':';
    out_.append(body);
  }
  std::string out_;
};

std::string describe(const Entry& e) {
  return "entry " + std::to_string(e.seq) + " (" + to_string(e.kind) + ", " + e.date + ")";
}

ChainCheck broken(std::int64_t checked, std::int64_t at, std::string reason) {
  ChainCheck c;
  c.ok = false;
  c.entries = checked;
  c.broken_at = at;
  c.reason = std::move(reason);
  return c;
}

}  // namespace

double Lot::area_m2() const {
  double sum = 0;
  for (const auto& z : zones) sum += z.area_m2;
  return sum;
}

const char* to_string(EntryKind k) {
  switch (k) {
    case EntryKind::fertiliser:
      return "fertiliser";
    case EntryKind::pesticide:
      return "pesticide";
    case EntryKind::pruning:
      return "pruning";
    case EntryKind::irrigation:
      return "irrigation";
    case EntryKind::other:
      return "other";
    case EntryKind::harvest:
      return "harvest";
  }
  return "other";
}

std::optional<EntryKind> parse_entry_kind(std::string_view s) {
  for (EntryKind k : {EntryKind::fertiliser, EntryKind::pesticide, EntryKind::pruning,
                      EntryKind::irrigation, EntryKind::other, EntryKind::harvest}) {
    if (s == to_string(k)) return k;
  }
  return std::nullopt;
}

bool valid_lot_code(std::string_view code) {
  if (code.empty() || code.size() > 20) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(code.front())) return false;
  return std::all_of(code.begin(), code.end(),
                     [&](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}

std::optional<std::chrono::year_month_day> parse_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto number = [&s](std::size_t from, std::size_t len) -> std::optional<int> {
    int v = 0;
    for (std::size_t i = from; i < from + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  const auto y = number(0, 4), m = number(5, 2), d = number(8, 2);
  if (!y || !m || !d || *y < 1) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{*y},
                                        std::chrono::month{static_cast<unsigned>(*m)},
                                        std::chrono::day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return std::nullopt;
  return ymd;
}

std::string date_text(std::chrono::year_month_day d) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()),
                static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
  return buf;
}

bool valid_date(std::string_view date) {
  return parse_date(date).has_value();
}

std::string add_days(std::string_view date, int days) {
  const auto ymd = parse_date(date);
  if (!ymd) return std::string(date);
  return date_text(
      std::chrono::year_month_day{std::chrono::sys_days(*ymd) + std::chrono::days{days}});
}

Result<std::string> normalize_gtin(std::string_view gtin) {
  const bool digits =
      std::all_of(gtin.begin(), gtin.end(), [](char c) { return c >= '0' && c <= '9'; });
  const std::size_t n = gtin.size();
  if (!digits || (n != 8 && n != 12 && n != 13 && n != 14)) {
    return make_error("bad_gtin", "GTIN '" + std::string(gtin) +
                                      "' is not a GTIN: it must be 8, 12, 13 or 14 digits");
  }
  // GS1 check digit: weights 3, 1, 3, ... from the digit left of the check digit leftwards.
  int sum = 0;
  for (std::size_t i = 0; i + 1 < n; ++i) {
    const int weight = ((n - 2 - i) % 2 == 0) ? 3 : 1;
    sum += (gtin[i] - '0') * weight;
  }
  const int check = (10 - sum % 10) % 10;
  if (gtin.back() - '0' != check) {
    return make_error("bad_gtin", "GTIN " + std::string(gtin) + ": the check digit is " +
                                      std::string(1, gtin.back()) + ", it should be " +
                                      std::to_string(check));
  }
  return std::string(14 - n, '0') + std::string(gtin);
}

std::string lot_hash(const Lot& lot) {
  Canon c("farmgate/ocop/lot/1");
  c.text(lot.code);
  c.text(lot.product);
  c.text(lot.variety);
  c.text(lot.gtin);
  c.integer(lot.ocop_stars);
  // The store returns a lot's zones sorted; hash them in that order whatever order they came in.
  std::vector<LotZone> zones = lot.zones;
  std::sort(zones.begin(), zones.end(),
            [](const LotZone& a, const LotZone& b) { return a.zone < b.zone; });
  c.integer(static_cast<std::int64_t>(zones.size()));
  for (const auto& z : zones) {
    c.text(z.zone);
    c.real(z.area_m2);
  }
  c.text(lot.planted);
  c.text(lot.expected_harvest);
  c.text(lot.notes);
  c.text(lot.created_by);
  c.integer(lot.created_ms);
  return http::auth::sha256_hex(c.str());
}

std::string entry_hash(const Entry& e) {
  Canon c("farmgate/ocop/entry/1");
  c.text(e.prev_hash);
  c.text(e.lot);
  c.integer(e.seq);
  c.text(to_string(e.kind));
  c.text(e.date);
  c.text(e.zone);
  c.text(e.material);
  c.text(e.active_ingredient);
  c.maybe(e.amount);
  c.text(e.unit);
  c.integer(e.phi_days);
  c.text(e.note);
  c.integer(e.run_id);
  c.integer(e.start_ms);
  c.integer(e.duration_s);
  c.maybe(e.volume_l);
  c.text(e.reason);
  c.real(e.quantity_kg);
  c.text(e.grade);
  c.integer(e.final_harvest ? 1 : 0);
  c.text(e.override_by);
  c.text(e.override_reason);
  c.text(e.who);
  c.integer(e.recorded_ms);
  return http::auth::sha256_hex(c.str());
}

ChainCheck verify_chain(const Lot& lot, const std::vector<Entry>& entries) {
  if (lot_hash(lot) != lot.hash) {
    return broken(0, 0, "the lot record " + lot.code + " was changed after it was created");
  }
  std::string prev = lot.hash;
  const Entry* final_harvest = nullptr;
  std::int64_t checked = 0;
  for (const auto& e : entries) {
    const std::int64_t expected = checked + 1;
    if (e.seq != expected) {
      return broken(checked, expected,
                    e.seq > expected ? "entry " + std::to_string(expected) +
                                           " is missing (the next one is " + describe(e) + ")"
                                     : describe(e) + " is out of order: entry " +
                                           std::to_string(expected) + " was expected");
    }
    if (e.lot != lot.code) {
      return broken(checked, e.seq, describe(e) + " belongs to lot " + e.lot + ", not " + lot.code);
    }
    if (entry_hash(e) != e.hash) {
      return broken(checked, e.seq, describe(e) + " was changed after it was recorded");
    }
    if (e.prev_hash != prev) {
      return broken(checked, e.seq,
                    e.seq == 1
                        ? describe(e) + " does not follow the lot record: it was replaced"
                        : describe(e) + " does not follow entry " + std::to_string(e.seq - 1) +
                              ": that entry was changed or replaced");
    }
    if (final_harvest != nullptr) {
      return broken(checked, e.seq,
                    describe(e) + " was added after the final harvest (" + final_harvest->date +
                        ") closed the lot");
    }
    if (e.kind == EntryKind::harvest && e.final_harvest) final_harvest = &e;
    prev = e.hash;
    ++checked;
  }
  if (lot.entries > checked) {
    return broken(checked, checked + 1,
                  "the lot has " + std::to_string(lot.entries) + " entries but only " +
                      std::to_string(checked) + " are stored: entry " +
                      std::to_string(checked + 1) + " and later were removed");
  }
  if (lot.entries < checked || lot.head != prev) {
    return broken(checked, checked,
                  checked == 0 ? "the lot's newest entry does not match its record"
                               : "the lot's newest entry is not " + describe(entries.back()) +
                                     ": the lot record was changed");
  }
  const std::string closed = final_harvest != nullptr ? final_harvest->date : std::string();
  if (lot.closed != closed) {
    return broken(checked, 0,
                  closed.empty()
                      ? "the lot is marked closed on " + lot.closed + " but has no final harvest"
                      : "the lot's final harvest was on " + closed + " but the lot record says " +
                            (lot.closed.empty() ? "open" : "closed on " + lot.closed));
  }
  ChainCheck ok;
  ok.entries = checked;
  return ok;
}

}  // namespace farmgate::ocop
