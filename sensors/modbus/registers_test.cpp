// Register decoding and read planning: every type and word order, scale and offset, and a
// fuzz-style run over random maps and words.
#include "sensors/modbus/registers.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

namespace farmgate::sensors::modbus {
namespace {

using config::ModbusRegister;
using config::ModbusTable;
using config::ModbusType;
using config::WordOrder;

ModbusRegister reg(ModbusType type, WordOrder order = WordOrder::big, double scale = 1,
                   double offset = 0) {
  ModbusRegister r;
  r.metric = "m";
  r.type = type;
  r.word_order = order;
  r.scale = scale;
  r.offset = offset;
  return r;
}

double decoded(const ModbusRegister& r, std::vector<std::uint16_t> words) {
  auto v = decode_register(r, words);
  EXPECT_TRUE(v.ok()) << v.error().message;
  return v.ok() ? *v : std::numeric_limits<double>::quiet_NaN();
}

TEST(RegisterDecodeTest, ReadsSixteenBitRegistersSignedAndUnsigned) {
  EXPECT_EQ(decoded(reg(ModbusType::uint16), {0xFFFF}), 65535);
  EXPECT_EQ(decoded(reg(ModbusType::int16), {0xFFFF}), -1);
  EXPECT_EQ(decoded(reg(ModbusType::int16), {0x8000}), -32768);
  EXPECT_EQ(decoded(reg(ModbusType::int16), {0x7FFF}), 32767);
  EXPECT_EQ(decoded(reg(ModbusType::uint16), {0x01EF}), 495);
}

TEST(RegisterDecodeTest, ReadsThirtyTwoBitIntegersInBothWordOrders) {
  EXPECT_EQ(decoded(reg(ModbusType::uint32, WordOrder::big), {0x0001, 0x0002}), 65538);
  EXPECT_EQ(decoded(reg(ModbusType::uint32, WordOrder::little), {0x0002, 0x0001}), 65538);
  EXPECT_EQ(decoded(reg(ModbusType::uint32, WordOrder::big), {0xFFFF, 0xFFFF}), 4294967295.0);
  EXPECT_EQ(decoded(reg(ModbusType::int32, WordOrder::big), {0xFFFF, 0xFFFE}), -2);
  EXPECT_EQ(decoded(reg(ModbusType::int32, WordOrder::little), {0xFFFE, 0xFFFF}), -2);
  EXPECT_EQ(decoded(reg(ModbusType::int32, WordOrder::big), {0x8000, 0x0000}), -2147483648.0);
}

TEST(RegisterDecodeTest, ReadsFloatsInBothWordOrders) {
  // 25.5f is 0x41CC0000; -0.15625f is 0xBE200000.
  EXPECT_EQ(decoded(reg(ModbusType::float32, WordOrder::big), {0x41CC, 0x0000}), 25.5);
  EXPECT_EQ(decoded(reg(ModbusType::float32, WordOrder::little), {0x0000, 0x41CC}), 25.5);
  EXPECT_EQ(decoded(reg(ModbusType::float32, WordOrder::big), {0xBE20, 0x0000}), -0.15625);
  // The same words in the other order are another number entirely.
  EXPECT_NE(decoded(reg(ModbusType::float32, WordOrder::little), {0x41CC, 0x0000}), 25.5);
}

TEST(RegisterDecodeTest, AppliesScaleThenOffset) {
  EXPECT_DOUBLE_EQ(decoded(reg(ModbusType::uint16, WordOrder::big, 0.1), {315}), 31.5);
  EXPECT_DOUBLE_EQ(decoded(reg(ModbusType::uint16, WordOrder::big, 0.1, -40), {315}), -8.5);
  EXPECT_DOUBLE_EQ(decoded(reg(ModbusType::int16, WordOrder::big, 0.01), {0xFF38}), -2.0);
  EXPECT_DOUBLE_EQ(decoded(reg(ModbusType::uint16, WordOrder::big, 0.001), {800}), 0.8);
}

TEST(RegisterDecodeTest, ScaledValuesAreTheDecimalsTheProbeMeant) {
  // Exactly, not within a ulp: 284 × 0.1 would otherwise print as 28.400000000000002.
  EXPECT_EQ(decoded(reg(ModbusType::uint16, WordOrder::big, 0.1), {284}), 28.4);
  EXPECT_EQ(decoded(reg(ModbusType::uint16, WordOrder::big, 0.01), {707}), 7.07);
  EXPECT_EQ(decoded(reg(ModbusType::uint32, WordOrder::big, 1), {0x7FFF, 0xFFFF}), 2147483647.0)
      << "large integers are not rounded";
}

TEST(RegisterDecodeTest, RefusesNanAndInfinity) {
  const auto nan = decode_register(reg(ModbusType::float32), std::vector<std::uint16_t>{0x7FC0, 0});
  ASSERT_FALSE(nan.ok());
  EXPECT_EQ(nan.error().code, "not_finite");
  const auto inf = decode_register(reg(ModbusType::float32), std::vector<std::uint16_t>{0xFF80, 0});
  ASSERT_FALSE(inf.ok());
  EXPECT_EQ(inf.error().code, "not_finite");
  // A finite float scaled past double's range.
  const auto big =
      decode_register(reg(ModbusType::float32, WordOrder::big, 1e300), {{0x7F7F, 0xFFFF}});
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, "not_finite");
}

TEST(RegisterDecodeTest, RefusesTheWrongNumberOfWords) {
  const auto short_read = decode_register(reg(ModbusType::uint32), std::vector<std::uint16_t>{1});
  ASSERT_FALSE(short_read.ok());
  EXPECT_EQ(short_read.error().code, "short_read");
  EXPECT_FALSE(decode_register(reg(ModbusType::uint16), std::vector<std::uint16_t>{1, 2}).ok());
  EXPECT_FALSE(decode_register(reg(ModbusType::int16), std::vector<std::uint16_t>{}).ok());
}

ModbusRegister at(ModbusTable table, unsigned address, ModbusType type = ModbusType::uint16) {
  ModbusRegister r = reg(type);
  r.table = table;
  r.address = address;
  return r;
}

TEST(PlanReadsTest, MergesAdjacentRegistersOfOneTable) {
  const std::vector<ModbusRegister> map{at(ModbusTable::holding, 2), at(ModbusTable::holding, 0),
                                        at(ModbusTable::holding, 1)};
  EXPECT_EQ(plan_reads(map), (std::vector<ReadBlock>{{ModbusTable::holding, 0, 3}}));
}

TEST(PlanReadsTest, SplitsAtGapsAndTables) {
  const std::vector<ModbusRegister> map{
      at(ModbusTable::holding, 0x12), at(ModbusTable::holding, 0x13),
      at(ModbusTable::holding, 0x15), at(ModbusTable::input, 0x14), at(ModbusTable::holding, 0x06)};
  EXPECT_EQ(plan_reads(map), (std::vector<ReadBlock>{{ModbusTable::holding, 0x06, 1},
                                                     {ModbusTable::holding, 0x12, 2},
                                                     {ModbusTable::holding, 0x15, 1},
                                                     {ModbusTable::input, 0x14, 1}}));
}

TEST(PlanReadsTest, CoversBothWordsOfThirtyTwoBitRegistersAndOverlaps) {
  const std::vector<ModbusRegister> map{at(ModbusTable::input, 10, ModbusType::float32),
                                        at(ModbusTable::input, 12, ModbusType::uint16),
                                        at(ModbusTable::input, 11, ModbusType::uint16)};
  EXPECT_EQ(plan_reads(map), (std::vector<ReadBlock>{{ModbusTable::input, 10, 3}}));
}

TEST(PlanReadsTest, NeverAsksForMoreThanOneReadMayCarry) {
  std::vector<ModbusRegister> map;
  for (unsigned a = 0; a < 300; ++a) map.push_back(at(ModbusTable::holding, a));
  const auto reads = plan_reads(map);
  EXPECT_EQ(reads, (std::vector<ReadBlock>{{ModbusTable::holding, 0, 125},
                                           {ModbusTable::holding, 125, 125},
                                           {ModbusTable::holding, 250, 50}}));
}

// The reference value computed another way: through the bytes, as a device would send them.
double reference(const ModbusRegister& r, const std::vector<std::uint16_t>& w) {
  if (r.type == ModbusType::uint16) return w[0] * r.scale + r.offset;
  if (r.type == ModbusType::int16) {
    return (w[0] >= 0x8000 ? static_cast<double>(w[0]) - 65536 : w[0]) * r.scale + r.offset;
  }
  const std::uint16_t hi = r.word_order == WordOrder::big ? w[0] : w[1];
  const std::uint16_t lo = r.word_order == WordOrder::big ? w[1] : w[0];
  const unsigned char bytes[4] = {
      static_cast<unsigned char>(lo & 0xFF), static_cast<unsigned char>(lo >> 8),
      static_cast<unsigned char>(hi & 0xFF), static_cast<unsigned char>(hi >> 8)};
  double raw = 0;
  if (r.type == ModbusType::float32) {
    float f;
    std::memcpy(&f, bytes, 4);  // little-endian host (x86, ARM as Debian runs it)
    raw = f;
  } else {
    const double u = hi * 65536.0 + lo;
    raw = (r.type == ModbusType::int32 && hi >= 0x8000) ? u - 4294967296.0 : u;
  }
  return raw * r.scale + r.offset;
}

TEST(RegisterFuzzTest, RandomMapsAndWordsDecodeOrAreRefusedNeverCrash) {
  static_assert(std::endian::native == std::endian::little, "reference() assumes it");
  std::mt19937_64 rng(20261123);
  const ModbusType types[] = {ModbusType::int16, ModbusType::uint16, ModbusType::int32,
                              ModbusType::uint32, ModbusType::float32};
  std::size_t refused = 0;
  for (int round = 0; round < 20000; ++round) {
    ModbusRegister r =
        reg(types[rng() % 5], rng() % 2 ? WordOrder::big : WordOrder::little,
            std::ldexp(static_cast<double>(rng() % 2000) - 1000, static_cast<int>(rng() % 40) - 20),
            static_cast<double>(rng() % 200) - 100);
    if (r.scale == 0) r.scale = 1;
    std::vector<std::uint16_t> words(rng() % 4);  // sometimes the wrong length
    for (auto& w : words) w = static_cast<std::uint16_t>(rng());
    const auto v = decode_register(r, words);
    if (words.size() != r.words()) {
      EXPECT_FALSE(v.ok());
      continue;
    }
    const double expected = reference(r, words);
    if (!std::isfinite(expected)) {
      EXPECT_FALSE(v.ok()) << "round " << round;
      ++refused;
      continue;
    }
    ASSERT_TRUE(v.ok()) << "round " << round << ": " << v.error().message;
    EXPECT_TRUE(std::isfinite(*v));
    if (std::abs(expected) < 1e9) {
      EXPECT_NEAR(*v, expected, 5.1e-7 + std::abs(expected) * 1e-15)
          << "round " << round << ": rounded to a millionth";
    } else {
      EXPECT_DOUBLE_EQ(*v, expected) << "round " << round;
    }
  }
  EXPECT_GT(refused, 0u) << "random floats should include NaN or infinity";

  // Random maps: every register lies whole inside one planned read of its table, and no read
  // is longer than the protocol allows.
  for (int round = 0; round < 2000; ++round) {
    std::vector<ModbusRegister> map(1 + rng() % 40);
    for (auto& r : map) {
      r = at(rng() % 2 ? ModbusTable::holding : ModbusTable::input,
             static_cast<unsigned>(rng() % 400), types[rng() % 5]);
    }
    const auto reads = plan_reads(map);
    for (const auto& b : reads) {
      EXPECT_GE(b.count, 1u);
      EXPECT_LE(b.count, kMaxReadWords);
    }
    for (const auto& r : map) {
      bool covered = false;
      for (const auto& b : reads) {
        covered = covered || (b.table == r.table && r.address >= b.address &&
                              r.address + r.words() <= b.address + b.count);
      }
      EXPECT_TRUE(covered) << "round " << round << " address " << r.address;
    }
  }
}

}  // namespace
}  // namespace farmgate::sensors::modbus
