#include "gateway/ocop/lot.h"

#include <gtest/gtest.h>

namespace farmgate::ocop {
namespace {

TEST(LotGtin, AcceptsEveryLengthAndPadsTo14Digits) {
  // Check digits worked by hand with GS1's weights (3, 1, 3, ... from the right).
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"96385074", "00000096385074"},        // GTIN-8
      {"036000291452", "00036000291452"},    // GTIN-12 (UPC-A)
      {"8934567890120", "08934567890120"},   // GTIN-13, Vietnam's 893 prefix
      {"18934567890127", "18934567890127"},  // GTIN-14
  };
  for (const auto& c : cases) {
    auto r = normalize_gtin(c.in);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.error().message;
    EXPECT_EQ(*r, c.out);
  }
}

TEST(LotGtin, WrongCheckDigitNamesTheRightOne) {
  struct Case {
    const char* in;
    char right;
  } cases[] = {
      {"96385075", '4'}, {"036000291450", '2'}, {"8934567890123", '0'}, {"18934567890120", '7'}};
  for (const auto& c : cases) {
    auto r = normalize_gtin(c.in);
    ASSERT_FALSE(r.ok()) << c.in;
    EXPECT_EQ(r.error().code, "bad_gtin");
    EXPECT_NE(r.error().message.find(std::string("should be ") + c.right), std::string::npos)
        << r.error().message;
  }
}

TEST(LotGtin, RefusesWrongLengthsAndNonDigits) {
  for (const char* in : {"", "1234567", "123456789", "12345678901", "123456789012345",
                         "893456789012a", " 96385074", "9638-5074"}) {
    auto r = normalize_gtin(in);
    ASSERT_FALSE(r.ok()) << in;
    EXPECT_EQ(r.error().code, "bad_gtin");
  }
}

TEST(LotDate, ValidDateKnowsTheCalendar) {
  for (const char* d : {"2026-01-31", "2024-02-29", "2000-02-29", "2026-12-31", "0001-01-01"}) {
    EXPECT_TRUE(valid_date(d)) << d;
  }
  for (const char* d : {"2026-02-29", "1900-02-29", "2026-04-31", "2026-13-01", "2026-00-10",
                        "2026-01-00", "2026-1-01", "2026/01/01", "26-01-01", "2026-01-01 ", "",
                        "abcd-ef-gh", "0000-01-01", "2026-01-+1"}) {
    EXPECT_FALSE(valid_date(d)) << d;
  }
}

TEST(LotDate, AddDaysCrossesMonthYearAndLeapDays) {
  EXPECT_EQ(add_days("2026-06-01", 14), "2026-06-15");
  EXPECT_EQ(add_days("2026-01-31", 1), "2026-02-01");
  EXPECT_EQ(add_days("2026-02-28", 1), "2026-03-01");
  EXPECT_EQ(add_days("2024-02-28", 1), "2024-02-29");
  EXPECT_EQ(add_days("2024-02-29", 1), "2024-03-01");
  EXPECT_EQ(add_days("2026-12-25", 7), "2027-01-01");
  EXPECT_EQ(add_days("2027-01-01", -1), "2026-12-31");
  EXPECT_EQ(add_days("2024-03-01", -1), "2024-02-29");
  EXPECT_EQ(add_days("2026-03-15", 0), "2026-03-15");
  EXPECT_EQ(add_days("2025-03-01", 365), "2026-03-01");
  EXPECT_EQ(add_days("2023-03-01", 366), "2024-03-01");
}

TEST(LotCode, FollowsTheDocumentedAlphabet) {
  for (const char* c : {"A", "9", "BUOI-2026.1", "lua_ST25", "a2345678901234567890"}) {
    EXPECT_TRUE(valid_lot_code(c)) << c;
  }
  for (const char* c : {"", "-A", ".a", "_a", "a b", "a/b", "a%20", "a21234567890123456789", "bưởi",
                        "a?b", "a#b"}) {
    EXPECT_FALSE(valid_lot_code(c)) << c;
  }
}

TEST(LotEntryKind, NamesRoundTrip) {
  for (EntryKind k : {EntryKind::fertiliser, EntryKind::pesticide, EntryKind::pruning,
                      EntryKind::irrigation, EntryKind::other, EntryKind::harvest}) {
    EXPECT_EQ(parse_entry_kind(to_string(k)), k);
  }
  EXPECT_FALSE(parse_entry_kind("Harvest").has_value());
  EXPECT_FALSE(parse_entry_kind("").has_value());
}

Lot sample_lot() {
  Lot lot;
  lot.code = "B1";
  lot.product = "Bưởi da xanh";
  lot.zones = {{"z2", 500}, {"z1", 1200.5}};
  lot.planted = "2026-01-10";
  lot.created_by = "an";
  lot.created_ms = 1'767'000'000'000;
  lot.hash = lot_hash(lot);
  lot.head = lot.hash;
  return lot;
}

Entry sample_entry(const Lot& lot) {
  Entry e;
  e.lot = lot.code;
  e.seq = 1;
  e.kind = EntryKind::pesticide;
  e.date = "2026-03-01";
  e.material = "Regent 800WG";
  e.active_ingredient = "fipronil";
  e.amount = 1.5;
  e.phi_days = 14;
  e.who = "an";
  e.recorded_ms = 1'772'000'000'000;
  e.prev_hash = lot.head;
  return e;
}

TEST(LotHash, EveryFieldCountsButNotTheDerivedOnes) {
  const Lot lot = sample_lot();
  EXPECT_EQ(lot.hash.size(), 64u);
  Lot same = lot;
  same.closed = "2026-09-01";
  same.head = "x";
  same.entries = 7;
  std::swap(same.zones[0], same.zones[1]);  // the store returns them sorted
  EXPECT_EQ(lot_hash(same), lot.hash);

  Lot other = lot;
  other.zones[1].area_m2 = 1200.25;
  EXPECT_NE(lot_hash(other), lot.hash);
  other = lot;
  other.created_ms += 1;
  EXPECT_NE(lot_hash(other), lot.hash);
  // Moving a character from one field to the next is a different record.
  other = lot;
  other.product = "Bưởi da xanh ";
  other.variety = "";
  Lot shifted = lot;
  shifted.product = "Bưởi da xanh";
  shifted.variety = " ";
  EXPECT_NE(lot_hash(other), lot_hash(shifted));
}

TEST(LotHash, EntryHashSeparatesAbsentFromZeroAndCoversLinks) {
  const Lot lot = sample_lot();
  Entry e = sample_entry(lot);
  const std::string h = entry_hash(e);
  Entry zero = e;
  zero.amount = 0.0;
  Entry none = e;
  none.amount.reset();
  EXPECT_NE(entry_hash(zero), entry_hash(none));
  Entry negzero = e;
  negzero.amount = -0.0;
  EXPECT_EQ(entry_hash(negzero), entry_hash(zero));  // SQLite reads both back as 0
  for (auto change : std::initializer_list<void (*)(Entry&)>{
           [](Entry& x) { x.prev_hash[0] = x.prev_hash[0] == 'a' ? 'b' : 'a'; },
           [](Entry& x) { x.seq = 2; }, [](Entry& x) { x.lot = "B2"; },
           [](Entry& x) { x.amount = 1.5000000000000002; }, [](Entry& x) { x.phi_days = 7; },
           [](Entry& x) { x.kind = EntryKind::fertiliser; }, [](Entry& x) { x.who = "bình"; },
           [](Entry& x) { x.final_harvest = true; }, [](Entry& x) { x.volume_l = 0.0; }}) {
    Entry c = e;
    change(c);
    EXPECT_NE(entry_hash(c), h);
  }
  Entry with_hash = e;
  with_hash.hash = "anything";
  EXPECT_EQ(entry_hash(with_hash), h);
}

TEST(LotChain, VerifiesAndNamesTheBrokenLink) {
  Lot lot = sample_lot();
  std::vector<Entry> chain;
  for (int i = 1; i <= 3; ++i) {
    Entry e = sample_entry(lot);
    e.seq = i;
    e.date = "2026-03-0" + std::to_string(i);
    e.prev_hash = chain.empty() ? lot.hash : chain.back().hash;
    e.hash = entry_hash(e);
    chain.push_back(e);
  }
  lot.head = chain.back().hash;
  lot.entries = 3;
  auto ok = verify_chain(lot, chain);
  EXPECT_TRUE(ok.ok) << ok.reason;
  EXPECT_EQ(ok.entries, 3);

  auto edited = chain;
  edited[1].amount = 3;
  auto c = verify_chain(lot, edited);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.broken_at, 2);
  EXPECT_NE(c.reason.find("entry 2 (pesticide, 2026-03-02)"), std::string::npos) << c.reason;

  // Rehashing the edited entry moves the break to the next link.
  edited[1].hash = entry_hash(edited[1]);
  c = verify_chain(lot, edited);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.broken_at, 3);

  auto gap = chain;
  gap.erase(gap.begin() + 1);
  c = verify_chain(lot, gap);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.broken_at, 2);

  auto shorter = chain;
  shorter.pop_back();
  c = verify_chain(lot, shorter);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.broken_at, 3);

  Lot renamed = lot;
  renamed.product = "Cam sành";
  c = verify_chain(renamed, chain);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.broken_at, 0);

  Lot reopened = lot;
  reopened.closed = "2026-03-04";
  c = verify_chain(reopened, chain);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.broken_at, 0);
}

}  // namespace
}  // namespace farmgate::ocop
