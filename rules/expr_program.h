// Program: a compiled Expression (internal to rules/expr*). A flat array of typed nodes whose
// children come before them, so evaluation walks indices and never allocates. Built by
// expr_compile.cpp, run by expr.cpp; immutable once built.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/time.h"
#include "rules/expr_catalogue.h"

namespace farmgate::rules::expr_detail {

// Values at run time are doubles: numbers as is, durations in ms, times of day in ms since
// midnight, weekdays as 0 (Monday) .. 6, booleans as 0/1.
enum class Type : std::uint8_t { number, duration, time, weekday, boolean, error };

enum class Op : std::uint8_t {
  literal,
  latest,  // bare metric reference
  avg,
  min,
  max,
  delta,
  age,
  time_now,
  weekday_now,
  sunrise,
  sunset,
  between,  // between(t, from, to) on times of day, wrapping past midnight
  neg,
  add,
  sub,
  mul,
  div,
  lt,
  le,
  gt,
  ge,
  eq,
  ne,
  in,  // a in [list]
  not_,
  and_,
  or_,
};

struct Node {
  Op op = Op::literal;
  Type type = Type::error;
  std::int32_t a = -1, b = -1, c = -1;  // operands (node indices)
  double value = 0;                     // literal value; window length in ms for aggregates
  std::uint32_t ref = 0;                // metric ops: index into Program::refs
  std::uint32_t list_begin = 0;         // `in`: range in Program::lists
  std::uint32_t list_end = 0;
  std::uint32_t offset = 0;  // source span in bytes, for messages
  std::uint32_t length = 0;
};

// A metric reference as written, resolved to the series it reads.
struct Ref {
  std::string text;                 // "z1.soil.moisture"
  bool zone_level = false;          // ZONE.KIND.METRIC: mean over the zone's devices of KIND
  std::vector<std::uint32_t> deps;  // indices into Program::dependencies
};

struct Program {
  std::string text;
  std::vector<Node> nodes;
  std::vector<std::int32_t> lists;
  std::vector<Ref> refs;
  std::vector<SeriesKey> dependencies;
  std::int32_t root = -1;
  Millis longest_window{0};
};

}  // namespace farmgate::rules::expr_detail
