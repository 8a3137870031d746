#include "gateway/ocop/ledger.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "gateway/uplink/line_protocol.h"

namespace farmgate::ocop {
namespace {

constexpr std::size_t kEntryTextMax = 200;
constexpr std::size_t kProductMax = 100;
constexpr std::size_t kVarietyMax = 100;
constexpr std::size_t kNotesMax = 2000;
constexpr int kPhiMaxDays = 365;

constexpr const char* kLotColumns =
    "code, product, variety, gtin, ocop_stars, planted, expected_harvest, closed, notes, "
    "created_by, created_ms, hash, head, entries";
constexpr const char* kEntryColumns =
    "lot, seq, kind, date, zone, material, active_ingredient, amount, unit, phi_days, note, "
    "run_id, start_ms, duration_s, volume_l, reason, quantity_kg, grade, final, override_by, "
    "override_reason, who, recorded_ms, prev_hash, hash";

Error sql_error(const Error& e) {
  return make_error("sqlite", e.message);
}
Error bad(const std::string& field, const std::string& why) {
  return make_error("bad_input", field + ": " + why);
}

// A transaction that rolls back unless committed: BEGIN IMMEDIATE for writes (so a
// read-then-write cannot race another writer), plain BEGIN so that reads see one snapshot.
class Tx {
 public:
  static Result<Tx> begin(sqlite::Db& db, bool write) {
    if (auto r = db.exec(write ? "BEGIN IMMEDIATE" : "BEGIN"); !r) return sql_error(r.error());
    return Tx(db);
  }
  Tx(Tx&& o) noexcept : db_(std::exchange(o.db_, nullptr)) {}
  Tx& operator=(Tx&&) = delete;
  ~Tx() {
    if (db_ != nullptr) (void)db_->exec("ROLLBACK");
  }
  Result<void> commit() {
    sqlite::Db* db = std::exchange(db_, nullptr);
    if (auto r = db->exec("COMMIT"); !r) {
      (void)db->exec("ROLLBACK");  // a failed COMMIT can leave the transaction open
      return sql_error(r.error());
    }
    return {};
  }

 private:
  explicit Tx(sqlite::Db& db) : db_(&db) {}
  sqlite::Db* db_;
};

Result<sqlite::Stmt> prepare(sqlite::Db& db, const std::string& sql) {
  auto s = sqlite::Stmt::prepare(db, sql);
  if (!s) return sql_error(s.error());
  return s;
}

// The number of characters of `s`, or why it is not acceptable text: invalid UTF-8, or a control
// character (a line break only where `multiline`).
Result<std::size_t> text_length(std::string_view s, bool multiline) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size(); ++count) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      const bool allowed = multiline && (c == '\n' || c == '\r' || c == '\t');
      if ((c < 0x20 || c == 0x7f) && !allowed) {
        return make_error("control", "contains a control character");
      }
      ++i;
      continue;
    }
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4, cp = c & 0x07;
    } else {
      return make_error("utf8", "is not valid UTF-8");
    }
    if (i + len > s.size()) return make_error("utf8", "is not valid UTF-8");
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return make_error("utf8", "is not valid UTF-8");
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF.
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return make_error("utf8", "is not valid UTF-8");
    }
    if (cp >= 0x80 && cp <= 0x9f) return make_error("control", "contains a control character");
    i += len;
  }
  return count;
}

std::optional<Error> check_text(const std::string& field, const std::string& value, std::size_t max,
                                bool multiline = false, bool required = false) {
  auto n = text_length(value, multiline);
  if (!n) return bad(field, n.error().message);
  if (required && value.find_first_not_of(" \t\r\n") == std::string::npos) {
    return bad(field, "is empty");
  }
  if (*n > max) {
    return bad(field, "is " + std::to_string(*n) + " characters long, at most " +
                          std::to_string(max) + " are allowed");
  }
  return std::nullopt;
}

std::optional<Error> check_date(const std::string& field, const std::string& value) {
  if (!valid_date(value)) return bad(field, "'" + value + "' is not a date (YYYY-MM-DD)");
  return std::nullopt;
}

Lot read_lot(const sqlite::Stmt& s) {
  Lot l;
  l.code = s.text(0);
  l.product = s.text(1);
  l.variety = s.text(2);
  l.gtin = s.text(3);
  l.ocop_stars = static_cast<int>(s.int64(4));
  l.planted = s.text(5);
  l.expected_harvest = s.text(6);
  l.closed = s.text(7);
  l.notes = s.text(8);
  l.created_by = s.text(9);
  l.created_ms = s.int64(10);
  l.hash = s.text(11);
  l.head = s.text(12);
  l.entries = s.int64(13);
  return l;
}

Entry read_entry(const sqlite::Stmt& s) {
  Entry e;
  e.lot = s.text(0);
  e.seq = s.int64(1);
  // An unknown kind can only come from an edited row; "other" keeps it readable and its hash
  // (over the kind's name) then no longer matches.
  e.kind = parse_entry_kind(s.text(2)).value_or(EntryKind::other);
  e.date = s.text(3);
  e.zone = s.text(4);
  e.material = s.text(5);
  e.active_ingredient = s.text(6);
  if (!s.is_null(7)) e.amount = s.real(7);
  e.unit = s.text(8);
  e.phi_days = static_cast<int>(s.int64(9));
  e.note = s.text(10);
  e.run_id = s.int64(11);
  e.start_ms = s.int64(12);
  e.duration_s = s.int64(13);
  if (!s.is_null(14)) e.volume_l = s.real(14);
  e.reason = s.text(15);
  e.quantity_kg = s.real(16);
  e.grade = s.text(17);
  e.final_harvest = s.int64(18) != 0;
  e.override_by = s.text(19);
  e.override_reason = s.text(20);
  e.who = s.text(21);
  e.recorded_ms = s.int64(22);
  e.prev_hash = s.text(23);
  e.hash = s.text(24);
  return e;
}

Result<std::vector<Entry>> read_entries(sqlite::Stmt& s) {
  std::vector<Entry> out;
  for (;;) {
    auto row = s.step();
    if (!row) return sql_error(row.error());
    if (!*row) break;
    out.push_back(read_entry(s));
  }
  return out;
}

Result<std::optional<Lot>> load_lot(sqlite::Db& db, const std::string& code) {
  auto s = prepare(db, std::string("SELECT ") + kLotColumns + " FROM lots WHERE code = ?1");
  if (!s) return s.error();
  s->bind(1, code);
  auto row = s->step();
  if (!row) return sql_error(row.error());
  if (!*row) return std::optional<Lot>();
  Lot lot = read_lot(*s);
  auto z = prepare(db, "SELECT zone, area_m2 FROM lot_zones WHERE lot = ?1 ORDER BY zone");
  if (!z) return z.error();
  z->bind(1, code);
  for (;;) {
    auto zr = z->step();
    if (!zr) return sql_error(zr.error());
    if (!*zr) break;
    lot.zones.push_back(LotZone{z->text(0), z->real(1)});
  }
  return std::optional<Lot>(std::move(lot));
}

Result<std::vector<Entry>> load_entries(sqlite::Db& db, const std::string& code) {
  auto s = prepare(
      db, std::string("SELECT ") + kEntryColumns + " FROM lot_entries WHERE lot = ?1 ORDER BY seq");
  if (!s) return s.error();
  s->bind(1, code);
  return read_entries(*s);
}

// Appends entries to one lot inside the caller's write transaction, keeping `lot` (head, entry
// count, closed) in step with its row.
class Appender {
 public:
  static Result<Appender> make(sqlite::Db& db) {
    auto ins = prepare(db, std::string("INSERT INTO lot_entries(") + kEntryColumns +
                               ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                               "?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)");
    if (!ins) return ins.error();
    auto upd = prepare(db, "UPDATE lots SET head = ?2, entries = ?3, closed = ?4 WHERE code = ?1");
    if (!upd) return upd.error();
    return Appender(std::move(*ins), std::move(*upd));
  }

  // Fills e's lot, seq and hashes, stores it and advances the lot.
  Result<void> append(Lot& lot, Entry& e) {
    e.lot = lot.code;
    e.seq = lot.entries + 1;
    e.prev_hash = lot.head;
    if (e.amount && *e.amount == 0) e.amount = 0.0;  // no -0: SQLite would not keep its sign
    e.hash = entry_hash(e);
    auto& s = insert_;
    s.bind(1, e.lot).bind(2, e.seq).bind(3, std::string_view(to_string(e.kind)));
    s.bind(4, e.date).bind(5, e.zone).bind(6, e.material).bind(7, e.active_ingredient);
    if (e.amount)
      s.bind(8, *e.amount);
    else
      s.bind_null(8);
    s.bind(9, e.unit).bind(10, e.phi_days).bind(11, e.note).bind(12, e.run_id);
    s.bind(13, e.start_ms).bind(14, e.duration_s);
    if (e.volume_l)
      s.bind(15, *e.volume_l);
    else
      s.bind_null(15);
    s.bind(16, e.reason).bind(17, e.quantity_kg).bind(18, e.grade);
    s.bind(19, std::int64_t{e.final_harvest ? 1 : 0}).bind(20, e.override_by);
    s.bind(21, e.override_reason).bind(22, e.who).bind(23, e.recorded_ms);
    s.bind(24, e.prev_hash).bind(25, e.hash);
    if (auto r = s.run(); !r) return sql_error(r.error());
    lot.head = e.hash;
    lot.entries = e.seq;
    if (e.kind == EntryKind::harvest && e.final_harvest) lot.closed = e.date;
    update_.bind(1, lot.code).bind(2, lot.head).bind(3, lot.entries).bind(4, lot.closed);
    if (auto r = update_.run(); !r) return sql_error(r.error());
    return {};
  }

 private:
  Appender(sqlite::Stmt insert, sqlite::Stmt update)
      : insert_(std::move(insert)), update_(std::move(update)) {}
  sqlite::Stmt insert_, update_;
};

// Imports the finished runs on the lot's zones, started on or after its planting (and on or
// before `until`, when given), that it does not hold yet. Inside the caller's write transaction.
Result<int> import_lot_runs(sqlite::Db& db, const rules::SiteTime& tz, Lot& lot, Appender& appender,
                            const std::string& until, std::int64_t now_ms) {
  if (!valid_date(lot.planted)) return 0;  // an edited row: verify() says so
  // The SQL bound only narrows the scan (a day early, whatever the zone's offset); the local date
  // decides.
  const int y = std::stoi(lot.planted.substr(0, 4));
  const int m = std::stoi(lot.planted.substr(5, 2));
  const int d = std::stoi(lot.planted.substr(8, 2));
  auto midnight = tz.from_local(y, m, d, 0, 0);
  const std::int64_t from_ms = midnight ? to_epoch_ms(*midnight) - 86'400'000 : 0;

  auto s =
      prepare(db,
              "SELECT r.id, r.zone, r.start_ms, r.end_ms, r.reason, r.who, r.volume_l "
              "FROM irrigation_runs r "
              "WHERE r.zone IN (SELECT zone FROM lot_zones WHERE lot = ?1) "
              "AND r.end_ms IS NOT NULL AND r.end_ms > r.start_ms AND r.start_ms >= max(?2, 0) "
              "AND r.start_ms <= ?3 AND r.id > 0 AND NOT EXISTS (SELECT 1 FROM lot_entries e "
              "WHERE e.lot = ?1 AND e.run_id = r.id) "
              "ORDER BY r.start_ms, r.id");
  if (!s) return s.error();
  // Runs stamped before 1970 or after now can only come from an edited or broken clock.
  s->bind(1, lot.code).bind(2, from_ms).bind(3, now_ms);
  std::vector<Entry> runs;
  for (;;) {
    auto row = s->step();
    if (!row) return sql_error(row.error());
    if (!*row) break;
    Entry e;
    e.kind = EntryKind::irrigation;
    e.run_id = s->int64(0);
    e.zone = s->text(1);
    e.start_ms = s->int64(2);
    const std::int64_t run_ms = s->int64(3) - e.start_ms;  // > 0, no overflow: start >= 0
    e.duration_s = run_ms / 1000 + (run_ms % 1000 >= 500 ? 1 : 0);
    e.reason = s->text(4);
    e.who = s->text(5).empty() ? "farmgate" : s->text(5);
    if (!s->is_null(6)) e.volume_l = s->real(6);
    e.date = local_date(tz, e.start_ms);
    e.recorded_ms = now_ms;
    if (e.date < lot.planted || (!until.empty() && e.date > until)) continue;
    runs.push_back(std::move(e));
  }
  for (auto& e : runs) {
    if (auto r = appender.append(lot, e); !r) return r.error();
  }
  return static_cast<int>(runs.size());
}

std::string pesticide_name(const Entry& e) {
  if (e.material.empty()) return e.active_ingredient;
  if (e.active_ingredient.empty()) return e.material;
  return e.material + " (" + e.active_ingredient + ")";
}

}  // namespace

std::string local_date(const rules::SiteTime& tz, std::int64_t ms) {
  const auto t = tz.to_local(from_epoch_ms(ms));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", t.year, t.month, t.day);
  return buf;
}

Ledger::Ledger(sqlite::Db& db, const rules::SiteTime& tz, LedgerOptions options)
    : db_(db), tz_(tz), options_(std::move(options)) {}

Result<Lot> Ledger::create_lot(const NewLot& in, const std::string& who, std::int64_t now_ms) {
  Lot lot;
  if (!valid_lot_code(in.code)) {
    return bad("code", "'" + in.code +
                           "' is not a lot code (1-20 letters, digits, '.', '_' or '-', "
                           "starting with a letter or digit)");
  }
  lot.code = in.code;
  if (auto e = check_text("product", in.product, kProductMax, false, true)) return *e;
  {
    // The product is a tag of the harvest line upstream; refuse what the protocol cannot carry
    // now rather than at the harvest.
    lineproto::Point probe{"harvest", {{"product", in.product}}, {{"x", std::int64_t{1}}}, {}};
    std::string ignored;
    if (!lineproto::encode(probe, ignored)) {
      return bad("product",
                 "a backslash cannot stand at its end or before a space, comma, '=' "
                 "or another backslash");
    }
  }
  if (auto e = check_text("variety", in.variety, kVarietyMax)) return *e;
  if (auto e = check_text("notes", in.notes, kNotesMax, true)) return *e;
  lot.product = in.product;
  lot.variety = in.variety;
  lot.notes = in.notes;
  if (!in.gtin.empty()) {
    auto g = normalize_gtin(in.gtin);
    if (!g) return bad("gtin", g.error().message);
    lot.gtin = *g;
  }
  if (in.ocop_stars != 0 && (in.ocop_stars < 3 || in.ocop_stars > 5)) {
    return bad("ocop_stars", std::to_string(in.ocop_stars) + " is not a rating (0, 3, 4 or 5)");
  }
  lot.ocop_stars = in.ocop_stars;

  if (in.zones.empty()) return bad("zones", "a lot needs at least one zone");
  std::set<std::string> seen;
  for (const auto& z : in.zones) {
    auto known = std::find_if(options_.zones.begin(), options_.zones.end(),
                              [&](const LotZone& c) { return c.zone == z.zone; });
    if (known == options_.zones.end()) {
      return bad("zones", "'" + z.zone + "' is not a configured zone");
    }
    if (!seen.insert(z.zone).second) return bad("zones", "'" + z.zone + "' is listed twice");
    double area = z.area_m2;
    if (!std::isfinite(area) || area < 0) {
      return bad("zones", "the area of '" + z.zone + "' must be a number of m² above 0");
    }
    if (area == 0) area = known->area_m2;
    if (!(area > 0) || !std::isfinite(area)) {
      return bad("zones",
                 "'" + z.zone + "' has no area: give area_m2 here or in the zone's configuration");
    }
    lot.zones.push_back(LotZone{z.zone, area});
  }
  std::sort(lot.zones.begin(), lot.zones.end(),
            [](const LotZone& a, const LotZone& b) { return a.zone < b.zone; });

  if (auto e = check_date("planted", in.planted)) return *e;
  const std::string today = local_date(tz_, now_ms);
  if (in.planted > today) return bad("planted", in.planted + " is after today (" + today + ")");
  if (!in.expected_harvest.empty()) {
    if (auto e = check_date("expected_harvest", in.expected_harvest)) return *e;
    if (in.expected_harvest < in.planted) {
      return bad("expected_harvest",
                 in.expected_harvest + " is before the planting date " + in.planted);
    }
  }
  lot.planted = in.planted;
  lot.expected_harvest = in.expected_harvest;
  if (auto e = check_text("created_by", who, 100, false, true)) return *e;
  lot.created_by = who;
  lot.created_ms = now_ms;
  lot.hash = lot_hash(lot);
  lot.head = lot.hash;

  auto tx = Tx::begin(db_, true);
  if (!tx) return tx.error();
  {
    // Codes differing only in case would print as two lots nobody can tell apart on a label.
    auto taken = prepare(db_, "SELECT code FROM lots WHERE code = ?1 COLLATE NOCASE");
    if (!taken) return taken.error();
    taken->bind(1, lot.code);
    auto row = taken->step();
    if (!row) return sql_error(row.error());
    if (*row) return make_error("exists", "lot code '" + taken->text(0) + "' is taken");
  }
  auto ins = prepare(db_, std::string("INSERT INTO lots(") + kLotColumns +
                              ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                              "?14)");
  if (!ins) return ins.error();
  ins->bind(1, lot.code).bind(2, lot.product).bind(3, lot.variety).bind(4, lot.gtin);
  ins->bind(5, lot.ocop_stars).bind(6, lot.planted).bind(7, lot.expected_harvest);
  ins->bind(8, lot.closed).bind(9, lot.notes).bind(10, lot.created_by);
  ins->bind(11, lot.created_ms).bind(12, lot.hash).bind(13, lot.head).bind(14, lot.entries);
  if (auto r = ins->run(); !r) return sql_error(r.error());
  auto zone = prepare(db_, "INSERT INTO lot_zones(lot, zone, area_m2) VALUES(?1, ?2, ?3)");
  if (!zone) return zone.error();
  for (const auto& z : lot.zones) {
    zone->bind(1, lot.code).bind(2, z.zone).bind(3, z.area_m2);
    if (auto r = zone->run(); !r) return sql_error(r.error());
  }
  if (auto r = tx->commit(); !r) return r.error();
  return lot;
}

Result<std::vector<Lot>> Ledger::lots() {
  auto tx = Tx::begin(db_, false);
  if (!tx) return tx.error();
  auto s = prepare(db_, std::string("SELECT ") + kLotColumns +
                            " FROM lots ORDER BY planted DESC, created_ms DESC, code");
  if (!s) return s.error();
  std::vector<Lot> out;
  std::map<std::string, std::size_t> index;
  for (;;) {
    auto row = s->step();
    if (!row) return sql_error(row.error());
    if (!*row) break;
    out.push_back(read_lot(*s));
    index.emplace(out.back().code, out.size() - 1);
  }
  auto z = prepare(db_, "SELECT lot, zone, area_m2 FROM lot_zones ORDER BY lot, zone");
  if (!z) return z.error();
  for (;;) {
    auto row = z->step();
    if (!row) return sql_error(row.error());
    if (!*row) break;
    if (auto it = index.find(z->text(0)); it != index.end()) {
      out[it->second].zones.push_back(LotZone{z->text(1), z->real(2)});
    }
  }
  if (auto r = tx->commit(); !r) return r.error();
  return out;
}

Result<std::optional<Lot>> Ledger::lot(const std::string& code) {
  auto tx = Tx::begin(db_, false);
  if (!tx) return tx.error();
  auto lot = load_lot(db_, code);
  if (!lot) return lot.error();
  if (auto r = tx->commit(); !r) return r.error();
  return lot;
}

Result<std::vector<Entry>> Ledger::entries(const std::string& code) {
  return load_entries(db_, code);
}

Result<std::vector<Entry>> Ledger::entries_between(const std::string& zone, const std::string& from,
                                                   const std::string& to) {
  if (!from.empty()) {
    if (auto e = check_date("from", from)) return *e;
  }
  if (!to.empty()) {
    if (auto e = check_date("to", to)) return *e;
  }
  if (!from.empty() && !to.empty() && to < from) return bad("to", to + " is before " + from);
  auto s = prepare(db_, std::string("SELECT ") + kEntryColumns +
                            " FROM lot_entries WHERE (?1 = '' OR lot IN (SELECT lot FROM "
                            "lot_zones WHERE zone = ?1)) AND (?2 = '' OR date >= ?2) AND "
                            "(?3 = '' OR date <= ?3) ORDER BY lot, seq");
  if (!s) return s.error();
  s->bind(1, zone).bind(2, from).bind(3, to);
  return read_entries(*s);
}

Result<Entry> Ledger::add_entry(const std::string& code, const NewEntry& in, const Actor& who,
                                std::int64_t now_ms) {
  if (in.kind == EntryKind::irrigation) {
    return bad("kind", "irrigation entries come from the run log, they are not typed in");
  }
  if (auto e = check_text("who", who.name, 100, false, true)) return *e;
  const bool harvest = in.kind == EntryKind::harvest;
  const bool pesticide = in.kind == EntryKind::pesticide;
  for (const auto& [field, value, multiline] :
       {std::tuple<const char*, const std::string&, bool>{"material", in.material, false},
        {"active_ingredient", in.active_ingredient, false},
        {"unit", in.unit, false},
        {"note", in.note, true},
        {"grade", in.grade, false},
        {"override_reason", in.override_reason, true}}) {
    if (auto e = check_text(field, value, kEntryTextMax, multiline)) return *e;
  }
  if (in.amount && !(std::isfinite(*in.amount) && *in.amount >= 0)) {
    return bad("amount", "must be a number of 0 or more");
  }
  if (pesticide) {
    if (in.material.empty() && in.active_ingredient.empty()) {
      return bad("material", "a pesticide needs its product name or its active ingredient");
    }
    if (in.phi_days < 0 || in.phi_days > kPhiMaxDays) {
      return bad("phi_days", std::to_string(in.phi_days) + " is not 0 to " +
                                 std::to_string(kPhiMaxDays) + " days");
    }
  } else {
    if (!in.active_ingredient.empty()) return bad("active_ingredient", "only for a pesticide");
    if (in.phi_days != 0) return bad("phi_days", "only for a pesticide");
  }
  if (harvest) {
    if (!(std::isfinite(in.quantity_kg) && in.quantity_kg > 0)) {
      return bad("quantity_kg", "a harvest needs a quantity above 0 kg");
    }
  } else {
    if (in.quantity_kg != 0) return bad("quantity_kg", "only for a harvest");
    if (!in.grade.empty()) return bad("grade", "only for a harvest");
    if (in.final_harvest) return bad("final_harvest", "only for a harvest");
    if (!in.override_reason.empty()) return bad("override_reason", "only for a harvest");
  }
  if (auto e = check_date("date", in.date)) return *e;
  const std::string today = local_date(tz_, now_ms);
  if (in.date > today) return bad("date", in.date + " is after today (" + today + ")");

  auto tx = Tx::begin(db_, true);
  if (!tx) return tx.error();
  auto found = load_lot(db_, code);
  if (!found) return found.error();
  if (!*found) return make_error("not_found", "no lot '" + code + "'");
  Lot lot = std::move(**found);
  if (!lot.closed.empty()) {
    return make_error("closed", "lot " + lot.code + " was closed by its final harvest on " +
                                    lot.closed + "; nothing more can be added to it");
  }
  if (in.date < lot.planted) {
    return bad("date", in.date + " is before the lot was planted (" + lot.planted + ")");
  }
  if (!in.zone.empty() && std::none_of(lot.zones.begin(), lot.zones.end(),
                                       [&](const LotZone& z) { return z.zone == in.zone; })) {
    return bad("zone", "'" + in.zone + "' is not a zone of lot " + lot.code);
  }

  Entry e;
  e.kind = in.kind;
  e.date = in.date;
  e.zone = in.zone;
  e.material = in.material;
  e.active_ingredient = in.active_ingredient;
  e.amount = in.amount;
  e.unit = in.unit;
  e.phi_days = pesticide ? in.phi_days : 0;
  e.note = in.note;
  e.quantity_kg = harvest ? in.quantity_kg : 0;
  e.grade = in.grade;
  e.final_harvest = harvest && in.final_harvest;
  e.who = who.name;
  e.recorded_ms = now_ms;

  if (harvest) {
    // The interval that ends last decides; sprays after the harvest date cannot be on it.
    auto history = load_entries(db_, lot.code);
    if (!history) return history.error();
    const Entry* binding = nullptr;
    std::string allowed;
    for (const auto& p : *history) {
      if (p.kind != EntryKind::pesticide || p.phi_days <= 0 || p.date > in.date) continue;
      const std::string from = add_days(p.date, p.phi_days);
      if (from > in.date && from > allowed) {
        allowed = from;
        binding = &p;
      }
    }
    if (binding == nullptr && !in.override_reason.empty()) {
      return bad("override_reason", "is only for a harvest inside a pre-harvest interval");
    }
    if (binding != nullptr) {
      const std::string why = "harvest on " + in.date + " is inside the pre-harvest interval of " +
                              pesticide_name(*binding) + ", applied on " + binding->date +
                              " with a pre-harvest "
                              "interval of " +
                              std::to_string(binding->phi_days) + " days: harvest from " + allowed;
      if (in.override_reason.find_first_not_of(" \t\r\n") == std::string::npos) {
        return make_error("pre_harvest_interval", why);
      }
      if (!who.may_override) {
        return make_error("forbidden", why + "; only an officer or an admin may override it");
      }
      e.override_by = who.name;
      e.override_reason = in.override_reason;
    }
  }

  auto appender = Appender::make(db_);
  if (!appender) return appender.error();
  if (e.final_harvest) {
    // Runs not imported yet would be shut out by the closing: bring in the season's last ones.
    if (auto n = import_lot_runs(db_, tz_, lot, *appender, e.date, now_ms); !n) return n.error();
  }
  if (auto r = appender->append(lot, e); !r) return r.error();

  if (harvest && options_.outbox) {
    lineproto::Point p;
    p.measurement = "harvest";
    p.tags = {{"site", options_.site}, {"lot", lot.code}, {"product", lot.product}};
    p.fields.emplace_back("quantity_kg", e.quantity_kg);
    p.fields.emplace_back("grade", e.grade);
    if (const double area = lot.area_m2(); area > 0) {
      p.fields.emplace_back("yield_kg_ha", e.quantity_kg / (area / 10'000.0));
    }
    p.fields.emplace_back("final", e.final_harvest);
    p.fields.emplace_back("hash", e.hash);
    p.time = from_epoch_ms(e.recorded_ms);
    std::string line;
    if (auto r = lineproto::encode(p, line); !r) return r.error();
    if (!line.empty() && line.back() == '\n') line.pop_back();
    auto out = prepare(db_, "INSERT INTO outbox(line, created) VALUES(?1, ?2)");
    if (!out) return out.error();
    out->bind(1, line).bind(2, now_ms);
    if (auto r = out->run(); !r) return sql_error(r.error());
  }
  if (auto r = tx->commit(); !r) return r.error();
  return e;
}

Result<int> Ledger::import_runs(std::int64_t now_ms) {
  auto tx = Tx::begin(db_, true);
  if (!tx) return tx.error();
  auto s = prepare(db_, "SELECT code FROM lots WHERE closed = '' ORDER BY code");
  if (!s) return s.error();
  std::vector<std::string> open;
  for (;;) {
    auto row = s->step();
    if (!row) return sql_error(row.error());
    if (!*row) break;
    open.push_back(s->text(0));
  }
  auto appender = Appender::make(db_);
  if (!appender) return appender.error();
  int added = 0;
  for (const auto& code : open) {
    auto lot = load_lot(db_, code);
    if (!lot) return lot.error();
    if (!*lot) continue;
    auto n = import_lot_runs(db_, tz_, **lot, *appender, "", now_ms);
    if (!n) return n.error();
    added += *n;
  }
  if (auto r = tx->commit(); !r) return r.error();
  return added;
}

Result<std::optional<Ledger::LotEntries>> Ledger::read(const std::string& code) {
  auto tx = Tx::begin(db_, false);
  if (!tx) return tx.error();
  auto lot = load_lot(db_, code);
  if (!lot) return lot.error();
  if (!*lot) return std::optional<LotEntries>{};
  auto entries = load_entries(db_, code);
  if (!entries) return entries.error();
  if (auto r = tx->commit(); !r) return r.error();
  return std::optional<LotEntries>{LotEntries{std::move(**lot), std::move(*entries)}};
}

Result<ChainCheck> Ledger::verify(const std::string& code) {
  auto read_back = read(code);
  if (!read_back) return read_back.error();
  if (!*read_back) return make_error("not_found", "no lot '" + code + "'");
  return verify_chain((*read_back)->lot, (*read_back)->entries);
}

}  // namespace farmgate::ocop
