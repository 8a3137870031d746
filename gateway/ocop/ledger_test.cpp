#include "gateway/ocop/ledger.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>

#include "gateway/ocop/test_store.h"
#include "gateway/store/schema.h"
#include "gateway/uplink/line_protocol_test_parser.h"

namespace farmgate::ocop {
namespace {

class LedgerTest : public testing::StoreFileTest {
 protected:
  void SetUp() override {
    StoreFileTest::SetUp();
    now_ = local_ms(2026, 7, 1, 10, 0);
    make_ledger(false);
  }
  void TearDown() override {
    ledger_.reset();
    StoreFileTest::TearDown();
  }

  void make_ledger(bool outbox) {
    LedgerOptions o;
    o.zones = {{"z1", 1000}, {"z2", 2500}, {"z3", 0}};
    o.site = "vuon-tu";
    o.outbox = outbox;
    ledger_.emplace(*db_, *tz_, o);
  }

  NewLot pomelo(const std::string& code = "BUOI-2026") {
    NewLot l;
    l.code = code;
    l.product = "Bưởi da xanh";
    l.variety = "Năm Roi";
    l.gtin = "8934567890120";
    l.ocop_stars = 4;
    l.zones = {{"z2", 0}, {"z1", 800}};
    l.planted = "2026-01-15";
    l.expected_harvest = "2026-08-01";
    l.notes = "Vườn ông Tư,\nấp Phú Hòa";
    return l;
  }

  Lot create(const NewLot& l) {
    auto r = ledger_->create_lot(l, "cán bộ Hà", now_);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : Lot{};
  }

  static NewEntry spray(const std::string& date, int phi) {
    NewEntry e;
    e.kind = EntryKind::pesticide;
    e.date = date;
    e.zone = "z2";
    e.material = "Regent 800WG";
    e.active_ingredient = "fipronil";
    e.amount = 1.5;
    e.unit = "g/bình 16 L";
    e.phi_days = phi;
    return e;
  }
  static NewEntry harvest(const std::string& date, double kg, bool final = false) {
    NewEntry e;
    e.kind = EntryKind::harvest;
    e.date = date;
    e.quantity_kg = kg;
    e.grade = "loại 1";
    e.final_harvest = final;
    return e;
  }

  Result<Entry> add(const NewEntry& e, const Actor& who = farmer_) {
    return ledger_->add_entry("BUOI-2026", e, who, now_);
  }

  void exec(const std::string& sql) {
    auto r = db_->exec(sql);
    ASSERT_TRUE(r.ok()) << r.error().message << " in " << sql;
  }
  std::int64_t count(const std::string& sql) {
    auto s = sqlite::Stmt::prepare(*db_, sql);
    EXPECT_TRUE(s.ok());
    auto row = s->step();
    EXPECT_TRUE(row.ok() && *row);
    return s->int64(0);
  }
  void insert_run(std::int64_t id, const std::string& zone, std::int64_t start,
                  std::optional<std::int64_t> end, const std::string& who = "",
                  std::optional<double> volume = std::nullopt) {
    auto s = sqlite::Stmt::prepare(
        *db_,
        "INSERT INTO irrigation_runs(id, zone, actuators, start_ms, end_ms, reason, who, "
        "outcome, volume_l) VALUES(?1, ?2, 'v1', ?3, ?4, 'rule:dry-' || ?2, ?5, ?6, ?7)");
    ASSERT_TRUE(s.ok());
    s->bind(1, id).bind(2, zone).bind(3, start).bind(5, who);
    if (end)
      s->bind(4, *end).bind(6, std::string_view("completed"));
    else
      s->bind_null(4).bind(6, std::string_view("running"));
    if (volume)
      s->bind(7, *volume);
    else
      s->bind_null(7);
    ASSERT_TRUE(s->run().ok());
  }

  static inline const Actor farmer_{"nông dân Tư", false};
  static inline const Actor officer_{"cán bộ Hà", true};
  std::optional<Ledger> ledger_;
  std::int64_t now_ = 0;
};

TEST_F(LedgerTest, LotCreateListGetRoundTripsVietnameseText) {
  const Lot made = create(pomelo());
  EXPECT_EQ(made.gtin, "08934567890120");
  ASSERT_EQ(made.zones.size(), 2u);
  EXPECT_EQ(made.zones[0].zone, "z1");
  EXPECT_EQ(made.zones[0].area_m2, 800);
  EXPECT_EQ(made.zones[1].area_m2, 2500);  // taken from the configuration
  EXPECT_EQ(made.area_m2(), 3300);
  EXPECT_EQ(made.hash, lot_hash(made));
  EXPECT_EQ(made.head, made.hash);

  NewLot rice = pomelo("LUA-ST25");
  rice.product = "Lúa ST25";
  rice.variety = "";
  rice.gtin = "";
  rice.zones = {{"z3", 1500.25}};
  rice.planted = "2026-03-02";
  rice.ocop_stars = 0;
  create(rice);

  auto got = ledger_->lot("BUOI-2026");
  ASSERT_TRUE(got.ok() && got->has_value());
  const Lot& g = **got;
  EXPECT_EQ(g.product, "Bưởi da xanh");
  EXPECT_EQ(g.variety, "Năm Roi");
  EXPECT_EQ(g.notes, "Vườn ông Tư,\nấp Phú Hòa");
  EXPECT_EQ(g.created_by, "cán bộ Hà");
  EXPECT_EQ(g.created_ms, now_);
  EXPECT_EQ(g.ocop_stars, 4);
  EXPECT_EQ(g.planted, "2026-01-15");
  EXPECT_EQ(g.expected_harvest, "2026-08-01");
  EXPECT_EQ(g.hash, made.hash);
  EXPECT_EQ(lot_hash(g), g.hash);  // values read back from SQLite hash the same

  auto all = ledger_->lots();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].code, "LUA-ST25");  // planted later: listed first
  EXPECT_EQ((*all)[1].code, "BUOI-2026");
  EXPECT_EQ((*all)[0].zones.size(), 1u);
  EXPECT_EQ((*all)[0].zones[0].area_m2, 1500.25);
  EXPECT_EQ((*all)[1].zones.size(), 2u);

  auto none = ledger_->lot("KHONG");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  auto again = ledger_->create_lot(pomelo("buoi-2026"), "x", now_);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "exists");
}

TEST_F(LedgerTest, LotValidationNamesTheField) {
  struct Case {
    std::function<void(NewLot&)> change;
    const char* field;
  };
  const Case cases[] = {
      {[](NewLot& l) { l.code = ""; }, "code"},
      {[](NewLot& l) { l.code = "lô-1"; }, "code"},
      {[](NewLot& l) { l.code = "-A"; }, "code"},
      {[](NewLot& l) { l.product = ""; }, "product"},
      {[](NewLot& l) { l.product = "   "; }, "product"},
      {[](NewLot& l) { l.product = std::string(101, 'a'); }, "product"},
      {[](NewLot& l) { l.product = "Bưởi\nda xanh"; }, "product"},
      {[](NewLot& l) { l.product = "Bưởi \xff"; }, "product"},
      {[](NewLot& l) { l.product = "Bưởi\\"; }, "product"},
      {[](NewLot& l) { l.variety = std::string(101, 'v'); }, "variety"},
      {[](NewLot& l) { l.gtin = "8934567890123"; }, "gtin"},
      {[](NewLot& l) { l.gtin = "12345"; }, "gtin"},
      {[](NewLot& l) { l.ocop_stars = 2; }, "ocop_stars"},
      {[](NewLot& l) { l.ocop_stars = 6; }, "ocop_stars"},
      {[](NewLot& l) { l.zones.clear(); }, "zones"},
      {[](NewLot& l) {
         l.zones = {{"z9", 10}};
       },
       "zones"},
      {[](NewLot& l) {
         l.zones = {{"z1", 10}, {"z1", 20}};
       },
       "zones"},
      {[](NewLot& l) {
         l.zones = {{"z1", -5}};
       },
       "zones"},
      {[](NewLot& l) {
         l.zones = {{"z3", 0}};
       },
       "zones"},
      {[](NewLot& l) { l.planted = "2026-02-30"; }, "planted"},
      {[](NewLot& l) { l.planted = "15/01/2026"; }, "planted"},
      {[](NewLot& l) { l.planted = "2026-07-02"; }, "planted"},
      {[](NewLot& l) { l.expected_harvest = "2026-01-14"; }, "expected_harvest"},
      {[](NewLot& l) { l.expected_harvest = "soon"; }, "expected_harvest"},
  };
  for (const auto& c : cases) {
    NewLot l = pomelo();
    c.change(l);
    auto r = ledger_->create_lot(l, "an", now_);
    ASSERT_FALSE(r.ok()) << c.field;
    EXPECT_EQ(r.error().code, "bad_input") << c.field;
    EXPECT_EQ(r.error().message.rfind(std::string(c.field) + ": ", 0), 0u)
        << c.field << " / " << r.error().message;
  }
  auto msg = ledger_->create_lot(
      [&] {
        NewLot l = pomelo();
        l.planted = "2026-02-30";
        return l;
      }(),
      "an", now_);
  EXPECT_EQ(msg.error().message, "planted: '2026-02-30' is not a date (YYYY-MM-DD)");
  EXPECT_EQ(count("SELECT count(*) FROM lots"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM lot_zones"), 0);
}

TEST_F(LedgerTest, EntryValidationNamesTheField) {
  create(pomelo());
  struct Case {
    std::function<void(NewEntry&)> change;
    const char* field;
  };
  const Case cases[] = {
      {[](NewEntry& e) { e.kind = EntryKind::irrigation; }, "kind"},
      {[](NewEntry& e) { e.date = "2026-06-31"; }, "date"},
      {[](NewEntry& e) { e.date = "2026-01-14"; }, "date"},  // before planting
      {[](NewEntry& e) { e.date = "2026-07-02"; }, "date"},  // after today
      {[](NewEntry& e) { e.zone = "z3"; }, "zone"},
      {[](NewEntry& e) { e.material = "", e.active_ingredient = ""; }, "material"},
      {[](NewEntry& e) { e.phi_days = -1; }, "phi_days"},
      {[](NewEntry& e) { e.phi_days = 366; }, "phi_days"},
      {[](NewEntry& e) { e.amount = -1; }, "amount"},
      {[](NewEntry& e) { e.amount = std::nan(""); }, "amount"},
      {[](NewEntry& e) { e.note = std::string(201, 'n'); }, "note"},
      {[](NewEntry& e) { e.material = std::string(201, 'm'); }, "material"},
      {[](NewEntry& e) { e.unit = "g\x01"; }, "unit"},
      {[](NewEntry& e) { e.quantity_kg = 5; }, "quantity_kg"},
      {[](NewEntry& e) { e.grade = "A"; }, "grade"},
      {[](NewEntry& e) { e.override_reason = "vì sao"; }, "override_reason"},
      {[](NewEntry& e) { e.kind = EntryKind::fertiliser; }, "active_ingredient"},
      {[](NewEntry& e) { e.kind = EntryKind::harvest, e.active_ingredient = ""; }, "phi_days"},
      {[](NewEntry& e) {
         e = NewEntry{};
         e.kind = EntryKind::harvest, e.date = "2026-06-01";
       },
       "quantity_kg"},
  };
  for (const auto& c : cases) {
    NewEntry e = spray("2026-06-01", 14);
    c.change(e);
    auto r = add(e);
    ASSERT_FALSE(r.ok()) << c.field;
    EXPECT_EQ(r.error().code, "bad_input") << c.field;
    EXPECT_EQ(r.error().message.rfind(std::string(c.field) + ": ", 0), 0u)
        << c.field << " / " << r.error().message;
  }
  // 200 Vietnamese characters are 200, not their ~400 bytes.
  std::string long_note;
  for (int i = 0; i < 100; ++i) long_note += "ơn";
  NewEntry ok = spray("2026-06-01", 14);
  ok.note = long_note;
  EXPECT_TRUE(add(ok).ok());
  EXPECT_EQ(count("SELECT entries FROM lots"), 1);

  auto missing = ledger_->add_entry("KHONG", spray("2026-06-01", 1), farmer_, now_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "not_found");
}

TEST_F(LedgerTest, DiaryEntriesChainInTheOrderRecorded) {
  const Lot lot = create(pomelo());
  NewEntry fert;
  fert.kind = EntryKind::fertiliser;
  fert.date = "2026-03-10";
  fert.material = "NPK 20-20-15";
  fert.amount = 0.0;  // zero is kept apart from "not given"
  fert.unit = "kg";
  fert.note = "bón thúc đợt 1";
  NewEntry prune;
  prune.kind = EntryKind::pruning;
  prune.date = "2026-02-01";  // recorded late: the chain keeps the recording order
  NewEntry other;
  other.kind = EntryKind::other;
  other.date = "2026-04-01";
  other.zone = "z1";
  other.note = "Bao trái bằng túi giấy";
  for (const auto& e : {fert, prune, spray("2026-05-01", 7), other}) {
    auto r = add(e);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  auto entries = ledger_->entries("BUOI-2026");
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 4u);
  const auto& es = *entries;
  EXPECT_EQ(es[0].prev_hash, lot.hash);
  for (std::size_t i = 0; i < es.size(); ++i) {
    EXPECT_EQ(es[i].seq, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(es[i].hash, entry_hash(es[i]));
    if (i > 0) {
      EXPECT_EQ(es[i].prev_hash, es[i - 1].hash);
    }
    EXPECT_EQ(es[i].who, "nông dân Tư");
    EXPECT_EQ(es[i].recorded_ms, now_);
  }
  EXPECT_EQ(es[0].kind, EntryKind::fertiliser);
  ASSERT_TRUE(es[0].amount.has_value());
  EXPECT_EQ(*es[0].amount, 0);
  EXPECT_EQ(es[0].note, "bón thúc đợt 1");
  EXPECT_FALSE(es[1].amount.has_value());
  EXPECT_EQ(es[1].date, "2026-02-01");
  EXPECT_EQ(es[2].active_ingredient, "fipronil");
  EXPECT_EQ(es[2].unit, "g/bình 16 L");
  EXPECT_EQ(es[2].phi_days, 7);
  EXPECT_EQ(es[3].zone, "z1");

  auto after = ledger_->lot("BUOI-2026");
  EXPECT_EQ((*after)->entries, 4);
  EXPECT_EQ((*after)->head, es[3].hash);
  auto v = ledger_->verify("BUOI-2026");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->reason;
  EXPECT_EQ(v->entries, 4);

  // The diary export's selection.
  NewLot rice = pomelo("LUA-ST25");
  rice.gtin = "";
  rice.zones = {{"z3", 100}};
  create(rice);
  NewEntry rice_fert = fert;
  rice_fert.date = "2026-04-01";
  ASSERT_TRUE(ledger_->add_entry("LUA-ST25", rice_fert, farmer_, now_).ok());
  auto z1 = ledger_->entries_between("z1", "2026-03-01", "2026-04-30");
  ASSERT_TRUE(z1.ok());
  ASSERT_EQ(z1->size(), 2u);  // the lot on z1, its entries in March and April
  EXPECT_EQ((*z1)[0].seq, 1);
  EXPECT_EQ((*z1)[1].seq, 4);
  auto all = ledger_->entries_between("", "2026-04-01", "");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].lot, "BUOI-2026");
  EXPECT_EQ((*all)[2].lot, "LUA-ST25");
  auto bad_range = ledger_->entries_between("", "2026-05-01", "2026-04-01");
  ASSERT_FALSE(bad_range.ok());
  EXPECT_EQ(bad_range.error().code, "bad_input");
}

TEST_F(LedgerTest, HarvestInsidePreHarvestIntervalIsRefusedWithTheFirstAllowedDate) {
  create(pomelo());
  ASSERT_TRUE(add(spray("2026-06-01", 14)).ok());  // sprayed on z2
  NewEntry shorter = spray("2026-06-05", 3);
  shorter.material = "";
  shorter.active_ingredient = "abamectin";
  ASSERT_TRUE(add(shorter).ok());

  NewEntry h = harvest("2026-06-10", 120);
  h.zone = "z1";  // another zone of the lot: still refused
  auto r = add(h);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "pre_harvest_interval");
  const std::string& m = r.error().message;
  EXPECT_NE(m.find("Regent 800WG (fipronil)"), std::string::npos) << m;
  EXPECT_NE(m.find("2026-06-01"), std::string::npos) << m;
  EXPECT_NE(m.find("14 days"), std::string::npos) << m;
  EXPECT_NE(m.find("harvest from 2026-06-15"), std::string::npos) << m;
  EXPECT_EQ(count("SELECT count(*) FROM lot_entries WHERE kind = 'harvest'"), 0);

  // A spray after the harvest's date cannot be on what was picked that day.
  EXPECT_TRUE(add(harvest("2026-05-31", 10)).ok());

  auto edge = add(harvest("2026-06-14", 10));
  ASSERT_FALSE(edge.ok());
  EXPECT_EQ(edge.error().code, "pre_harvest_interval");
  EXPECT_TRUE(add(harvest("2026-06-15", 10)).ok());
}

TEST_F(LedgerTest, OfficerOverrideIsRecordedAndAFarmersIsForbidden) {
  create(pomelo());
  ASSERT_TRUE(add(spray("2026-06-10", 14)).ok());
  NewEntry h = harvest("2026-06-20", 300);
  h.override_reason = "Mẫu kiểm nghiệm dư lượng đạt, phiếu số 12/2026";
  auto farmer = add(h, farmer_);
  ASSERT_FALSE(farmer.ok());
  EXPECT_EQ(farmer.error().code, "forbidden");
  EXPECT_NE(farmer.error().message.find("harvest from 2026-06-24"), std::string::npos)
      << farmer.error().message;
  EXPECT_EQ(count("SELECT entries FROM lots"), 1);

  auto officer = add(h, officer_);
  ASSERT_TRUE(officer.ok()) << officer.error().message;
  EXPECT_EQ(officer->override_by, "cán bộ Hà");
  EXPECT_EQ(officer->override_reason, h.override_reason);
  auto stored = ledger_->entries("BUOI-2026");
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ(stored->back().override_by, "cán bộ Hà");
  EXPECT_EQ(stored->back().override_reason, h.override_reason);
  EXPECT_EQ(stored->back().quantity_kg, 300);
  EXPECT_TRUE(ledger_->verify("BUOI-2026")->ok);

  // Outside any interval an override reason is refused, not kept as a note.
  NewEntry late = harvest("2026-06-24", 50);
  late.override_reason = "không cần";
  auto r = add(late, officer_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "bad_input");
  EXPECT_EQ(r.error().message.rfind("override_reason: ", 0), 0u);
}

TEST_F(LedgerTest, FinalHarvestClosesTheLot) {
  create(pomelo());
  ASSERT_TRUE(add(harvest("2026-06-20", 900)).ok());
  auto last = add(harvest("2026-06-28", 450, true));
  ASSERT_TRUE(last.ok()) << last.error().message;
  auto lot = ledger_->lot("BUOI-2026");
  EXPECT_EQ((*lot)->closed, "2026-06-28");

  NewEntry note;
  note.kind = EntryKind::other;
  note.date = "2026-06-30";
  auto r = add(note);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "closed");
  auto h = add(harvest("2026-06-30", 1));
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().code, "closed");

  insert_run(1, "z1", local_ms(2026, 6, 29, 6, 0), local_ms(2026, 6, 29, 6, 10));
  auto n = ledger_->import_runs(now_);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
  EXPECT_EQ(count("SELECT entries FROM lots"), 2);
  EXPECT_TRUE(ledger_->verify("BUOI-2026")->ok);
}

TEST_F(LedgerTest, ImportRunsAddsFinishedRunsOnceAndSkipsTheRest) {
  create(pomelo());  // zones z1, z2, planted 2026-01-15
  // 2026-01-14 23:30 UTC is 2026-01-15 06:30 in Ho Chi Minh City: on the planting day.
  const std::int64_t planting_day = local_ms(2026, 1, 15, 6, 30);
  insert_run(10, "z1", planting_day, planting_day + 600'400, "", 1234.5);
  insert_run(11, "z2", local_ms(2026, 3, 1, 17, 0), local_ms(2026, 3, 1, 17, 5) + 499, "an");
  insert_run(12, "z3", local_ms(2026, 3, 1, 17, 0), local_ms(2026, 3, 1, 17, 10));  // another zone
  insert_run(13, "z1", local_ms(2026, 1, 14, 23, 50),
             local_ms(2026, 1, 15, 0, 10));                          // before planting
  insert_run(14, "z2", local_ms(2026, 6, 30, 18, 0), std::nullopt);  // still running
  insert_run(17, "z1", now_ + 3'600'000, now_ + 4'000'000);          // stamped in the future
  insert_run(15, "z1", local_ms(2026, 4, 1, 6, 0), local_ms(2026, 4, 1, 6, 0));  // no duration
  NewEntry typed;
  typed.kind = EntryKind::other;
  typed.date = "2026-02-01";
  ASSERT_TRUE(add(typed).ok());

  auto n = ledger_->import_runs(now_ + 1);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, 2);
  auto es = ledger_->entries("BUOI-2026");
  ASSERT_EQ(es->size(), 3u);
  const Entry& a = (*es)[1];
  EXPECT_EQ(a.kind, EntryKind::irrigation);
  EXPECT_EQ(a.seq, 2);
  EXPECT_EQ(a.run_id, 10);
  EXPECT_EQ(a.date, "2026-01-15");
  EXPECT_EQ(a.zone, "z1");
  EXPECT_EQ(a.start_ms, planting_day);
  EXPECT_EQ(a.duration_s, 600);  // 600.4 s
  ASSERT_TRUE(a.volume_l.has_value());
  EXPECT_EQ(*a.volume_l, 1234.5);
  EXPECT_EQ(a.reason, "rule:dry-z1");
  EXPECT_EQ(a.who, "farmgate");
  EXPECT_EQ(a.recorded_ms, now_ + 1);
  const Entry& b = (*es)[2];
  EXPECT_EQ(b.run_id, 11);
  EXPECT_EQ(b.zone, "z2");
  EXPECT_EQ(b.duration_s, 300);  // 300.499 s
  EXPECT_FALSE(b.volume_l.has_value());
  EXPECT_EQ(b.who, "an");

  auto again = ledger_->import_runs(now_ + 2);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);

  // The run that was still going ends; the next import takes it, and only it.
  exec(
      "UPDATE irrigation_runs SET end_ms = start_ms + 60000, outcome = 'completed' "
      "WHERE id = 14");
  auto third = ledger_->import_runs(now_ + 3);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(*third, 1);
  EXPECT_EQ(count("SELECT count(*) FROM lot_entries WHERE run_id = 14"), 1);
  auto v = ledger_->verify("BUOI-2026");
  EXPECT_TRUE(v->ok) << v->reason;
  EXPECT_EQ(v->entries, 4);

  // A second lot on z1 gets the same runs as its own entries.
  NewLot second = pomelo("CAM-1");
  second.gtin = "";
  second.zones = {{"z1", 100}};
  second.planted = "2026-03-01";
  create(second);
  auto fourth = ledger_->import_runs(now_ + 4);
  ASSERT_TRUE(fourth.ok());
  EXPECT_EQ(*fourth, 0);  // z1's runs since 2026-03-01 have no duration
  insert_run(16, "z1", local_ms(2026, 5, 1, 6, 0), local_ms(2026, 5, 1, 6, 15));
  auto fifth = ledger_->import_runs(now_ + 5);
  ASSERT_TRUE(fifth.ok());
  EXPECT_EQ(*fifth, 2);
  EXPECT_EQ(count("SELECT count(*) FROM lot_entries WHERE run_id = 16"), 2);
}

TEST_F(LedgerTest, FinalHarvestBringsInTheSeasonsLastRunsFirst) {
  create(pomelo());
  insert_run(1, "z2", local_ms(2026, 6, 27, 6, 0), local_ms(2026, 6, 27, 6, 20));
  insert_run(2, "z2", local_ms(2026, 6, 29, 6, 0),
             local_ms(2026, 6, 29, 6, 20));  // after the harvest
  auto h = add(harvest("2026-06-28", 700, true));
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->seq, 2);
  auto es = ledger_->entries("BUOI-2026");
  ASSERT_EQ(es->size(), 2u);
  EXPECT_EQ((*es)[0].run_id, 1);
  EXPECT_TRUE(ledger_->verify("BUOI-2026")->ok);
}

TEST_F(LedgerTest, ChainVerifiesAfterManyAppends) {
  create(pomelo());
  for (int i = 0; i < 40; ++i) {
    NewEntry e = spray("2026-0" + std::to_string(2 + i % 4) + "-1" + std::to_string(i % 10), 0);
    e.amount = 0.1 * i;  // values without a short exact decimal form
    e.note = "lần " + std::to_string(i);
    ASSERT_TRUE(add(e).ok());
    insert_run(100 + i, i % 2 ? "z1" : "z2", local_ms(2026, 3, 1, 6, i),
               local_ms(2026, 3, 1, 6, i) + 33'333, "",
               i % 3 ? std::optional<double>(i / 7.0) : std::nullopt);
    if (i % 10 == 9) {
      ASSERT_TRUE(ledger_->import_runs(now_).ok());
    }
  }
  auto v = ledger_->verify("BUOI-2026");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->reason;
  EXPECT_EQ(v->entries, 80);
}

class LedgerTamperTest : public LedgerTest {
 protected:
  void SetUp() override {
    LedgerTest::SetUp();
    create(pomelo());
    NewEntry fert;
    fert.kind = EntryKind::fertiliser;
    fert.date = "2026-03-10";
    fert.material = "Phân hữu cơ";
    fert.amount = 20;
    fert.unit = "kg";
    ASSERT_TRUE(add(fert).ok());
    ASSERT_TRUE(add(spray("2026-04-01", 7)).ok());
    ASSERT_TRUE(add(harvest("2026-05-01", 80)).ok());
    ASSERT_TRUE(ledger_->verify("BUOI-2026")->ok);
  }

  // Edits the file the way someone with the SD card would: SQL, no hashes recomputed.
  void tamper(const std::string& sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db_->get(), sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
    ASSERT_EQ(sqlite3_changes(db_->get()), 1);
  }
};

TEST_F(LedgerTamperTest, EditedDoseNamesTheEntry) {
  tamper("UPDATE lot_entries SET amount = 0.5 WHERE lot = 'BUOI-2026' AND seq = 2");
  auto v = ledger_->verify("BUOI-2026");
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->broken_at, 2);
  EXPECT_NE(v->reason.find("entry 2 (pesticide, 2026-04-01)"), std::string::npos) << v->reason;
}

TEST_F(LedgerTamperTest, DeletedLastEntryShows) {
  tamper("DELETE FROM lot_entries WHERE lot = 'BUOI-2026' AND seq = 3");
  auto v = ledger_->verify("BUOI-2026");
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->broken_at, 3);
}

TEST_F(LedgerTamperTest, DeletedLastEntryShowsEvenWithTheCountFixed) {
  tamper("DELETE FROM lot_entries WHERE lot = 'BUOI-2026' AND seq = 3");
  tamper("UPDATE lots SET entries = 2 WHERE code = 'BUOI-2026'");
  auto v = ledger_->verify("BUOI-2026");
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
}

TEST_F(LedgerTamperTest, EditedProductBreaksTheLotRecord) {
  tamper("UPDATE lots SET product = 'Bưởi Năm Roi' WHERE code = 'BUOI-2026'");
  auto v = ledger_->verify("BUOI-2026");
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->broken_at, 0);
  EXPECT_FALSE(v->reason.empty());
}

TEST_F(LedgerTamperTest, EditedZoneAreaBreaksTheLotRecord) {
  tamper("UPDATE lot_zones SET area_m2 = 8000 WHERE lot = 'BUOI-2026' AND zone = 'z1'");
  auto v = ledger_->verify("BUOI-2026");
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->broken_at, 0);
}

TEST_F(LedgerTamperTest, VerifyOfAnUnknownLotIsNotFound) {
  auto v = ledger_->verify("KHONG");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, "not_found");
}

TEST_F(LedgerTest, HarvestWritesOneOutboxLineInItsTransaction) {
  make_ledger(true);
  create(pomelo());
  ASSERT_TRUE(add(spray("2026-05-01", 7)).ok());
  EXPECT_EQ(count("SELECT count(*) FROM outbox"), 0);
  auto h = add(harvest("2026-06-01", 660, true));
  ASSERT_TRUE(h.ok()) << h.error().message;
  ASSERT_EQ(count("SELECT count(*) FROM outbox"), 1);

  auto s = sqlite::Stmt::prepare(*db_, "SELECT line, created FROM outbox");
  ASSERT_TRUE(s.ok() && s->step().ok());
  EXPECT_EQ(s->int64(1), now_);
  auto point = lineproto::testing::LineParser(s->text(0) + "\n").parse();
  ASSERT_TRUE(point.ok()) << point.error().message << " in " << s->text(0);
  EXPECT_EQ(point->measurement, "harvest");
  using Tags = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(point->tags,
            (Tags{{"lot", "BUOI-2026"}, {"product", "Bưởi da xanh"}, {"site", "vuon-tu"}}));
  std::map<std::string, lineproto::FieldValue> fields(point->fields.begin(), point->fields.end());
  EXPECT_EQ(fields.size(), 5u);
  EXPECT_EQ(fields["quantity_kg"], lineproto::FieldValue(660.0));
  EXPECT_EQ(fields["grade"], lineproto::FieldValue(std::string("loại 1")));
  EXPECT_EQ(fields["yield_kg_ha"], lineproto::FieldValue(660.0 / 0.33));  // 3,300 m²
  EXPECT_EQ(fields["final"], lineproto::FieldValue(true));
  EXPECT_EQ(fields["hash"], lineproto::FieldValue(h->hash));
  EXPECT_EQ(to_epoch_ms(point->time), now_);

  // A refused harvest writes nothing.
  NewLot other = pomelo("CAM-1");
  other.gtin = "";
  create(other);
  ASSERT_TRUE(ledger_->add_entry("CAM-1", spray("2026-06-25", 10), farmer_, now_).ok());
  EXPECT_FALSE(ledger_->add_entry("CAM-1", harvest("2026-06-30", 5), farmer_, now_).ok());
  EXPECT_EQ(count("SELECT count(*) FROM outbox"), 1);
}

TEST_F(LedgerTest, HarvestWithoutUplinksWritesNoOutboxLine) {
  create(pomelo());
  ASSERT_TRUE(add(harvest("2026-06-01", 10)).ok());
  EXPECT_EQ(count("SELECT count(*) FROM outbox"), 0);
}

TEST(LedgerLocalDate, UsesTheSiteZone) {
  auto tz = rules::SiteTime::load("Asia/Ho_Chi_Minh");
  ASSERT_TRUE(tz.ok());
  // 2026-06-14T17:00:00Z is 2026-06-15 00:00 in Ho Chi Minh City (UTC+7).
  const std::int64_t t = 1'781'456'400'000;
  EXPECT_EQ(local_date(*tz, t), "2026-06-15");
  EXPECT_EQ(local_date(*tz, t - 1), "2026-06-14");
}

}  // namespace
}  // namespace farmgate::ocop
