// farmgate_series_bench: the 7-day series query of the phone page's charts
// (GET /api/v1/zones/{zone}/series, store::query_series) against a store full of readings.
//
//   farmgate_series_bench fill --db PATH --devices N --interval-s S [--days 7] [--end-ms MS]
//   farmgate_series_bench query --db PATH --from MS --to MS [--zone z1] [--metric soil.moisture]
//                         [--points 300] [--repeat 50]
//                         [--variants shipped,scan,index_scan]
//
// fill creates the file with the gateway's own schema (store::migrate) and writes D days of
// readings ending at --end-ms (default now) straight into it, in large transactions: devices
// soil-0001..soil-N of kind soil over zones z1, z2 in turn (as bench/gen-config.sh and
// `farmgate-sim --devices N` name them), each reporting moisture, temp_c and ec every S seconds,
// the devices' report times spread evenly over the interval. It prints one JSON line with the
// row count and the file's size. Nothing but the schema is shared with the running gateway, so
// the file is what farmgate would have after D days of the same reports.
//
// query times the chart's query in this process, with a read-only connection as the API's
// Reader opens it, `repeat` times per variant, and prints one JSON line per variant with
// p50/p99/min/max in ms and the points returned:
//   shipped  store::query_series as the gateway runs it: from the per-minute sums (zone_minute,
//            schema 5) when buckets are a minute or wider, as for a week in 300 points
//   scan     the readings themselves (ts range, the zone's series) read without GROUP BY, bucketed
//   in C++:
//            what the range scan alone costs
//   index_scan  what-if: CREATE INDEX readings_series_ts ON readings(series, ts, value) (its
//            build time is printed), then the scan variant through it. Creates the index in the
//            file: run it last, on a file no gateway uses afterwards.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/store/reader.h"
#include "gateway/store/schema.h"
#include "gateway/store/sqlite.h"

namespace {

using namespace farmgate;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string command;
  std::map<std::string, std::string> kv;
  std::string get(const std::string& k, const std::string& fallback) const {
    const auto it = kv.find(k);
    return it == kv.end() ? fallback : it->second;
  }
  std::int64_t num(const std::string& k, std::int64_t fallback) const {
    const auto it = kv.find(k);
    return it == kv.end() ? fallback : std::stoll(it->second);
  }
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "farmgate_series_bench: %s\n", what.c_str());
  std::exit(1);
}

template <class T>
T check(Result<T> r, const std::string& what) {
  if (!r) die(what + ": " + r.error().message);
  return std::move(r).value();
}
void check(Result<void> r, const std::string& what) {
  if (!r) die(what + ": " + r.error().message);
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// A soil probe's three metrics, with daily cycles and a little noise, inside the kinds' ranges
// of gen-config.sh (values outside them would never have been stored).
struct Metric {
  const char* name;
  const char* unit;
};
constexpr Metric kMetrics[] = {{"moisture", "%"}, {"temp_c", "°C"}, {"ec", "mS/cm"}};

double value_of(int metric, int device, std::int64_t ts, std::uint32_t& rng) {
  rng = rng * 1664525u + 1013904223u;
  const double noise = static_cast<double>(rng >> 8) / static_cast<double>(1u << 24) - 0.5;
  const double day = std::sin(static_cast<double>(ts % 86'400'000) / 86'400'000.0 * 6.2832);
  switch (metric) {
    case 0:
      return 35 + 8 * day + (device % 7) + noise;
    case 1:
      return 27 + 5 * day + noise * 0.4;
    default:
      return 1.2 + 0.2 * day + noise * 0.05;
  }
}

int fill(const Args& a) {
  const std::string path = a.get("--db", "");
  const int devices = static_cast<int>(a.num("--devices", 10));
  const std::int64_t interval_ms = a.num("--interval-s", 60) * 1000;
  const std::int64_t days = a.num("--days", 7);
  const std::int64_t end_ms = a.num("--end-ms", now_ms());
  if (path.empty() || devices < 1 || interval_ms < 1000 || days < 1) die("fill: bad arguments");
  if (std::filesystem::exists(path)) die("fill: " + path + " exists; give a new file");

  auto db = check(sqlite::Db::open(path), "open " + path);
  check(store::migrate(db), "migrate");
  // A bench file: a crash while filling only loses the bench's own data.
  check(db.exec("PRAGMA synchronous=OFF"), "pragma");
  const auto t0 = Clock::now();
  check(db.exec("BEGIN"), "begin");
  {
    auto st =
        check(sqlite::Stmt::prepare(db,
                                    "INSERT INTO series(id, kind, device, zone, metric, unit) "
                                    "VALUES(?1, 'soil', ?2, ?3, ?4, ?5)"),
              "prepare series");
    for (int d = 0; d < devices; ++d) {
      char device[32];
      std::snprintf(device, sizeof device, "soil-%04d", d + 1);
      for (int m = 0; m < 3; ++m) {
        st.bind(1, d * 3 + m + 1)
            .bind(2, std::string_view(device))
            .bind(3, std::string_view(d % 2 == 0 ? "z1" : "z2"))
            .bind(4, std::string_view(kMetrics[m].name))
            .bind(5, std::string_view(kMetrics[m].unit));
        check(st.run(), "insert series");
      }
    }
  }
  auto ins = check(sqlite::Stmt::prepare(db,
                                         "INSERT INTO readings(ts, series, value, quality) "
                                         "VALUES(?1, ?2, ?3, 0)"),
                   "prepare readings");
  const std::int64_t begin_ms = end_ms - days * 86'400'000;
  std::uint32_t rng = 1;
  std::int64_t rows = 0;
  for (std::int64_t slot = begin_ms; slot < end_ms; slot += interval_ms) {
    for (int d = 0; d < devices; ++d) {
      // Spread over the interval, so that the keys interleave as a real farm's do.
      const std::int64_t ts = slot + interval_ms * d / devices;
      if (ts >= end_ms) break;
      for (int m = 0; m < 3; ++m) {
        ins.bind(1, ts).bind(2, d * 3 + m + 1).bind(3, value_of(m, d, ts, rng));
        check(ins.run(), "insert reading");
        ++rows;
      }
    }
    if (rows % 300'000 < static_cast<std::int64_t>(devices) * 3) {
      check(db.exec("COMMIT; BEGIN"), "commit");
    }
  }
  check(db.exec("COMMIT"), "commit");
  // What the store keeps up as it commits readings, computed once here.
  check(store::rebuild_zone_minutes(db), "zone minutes");
  check(db.exec("PRAGMA wal_checkpoint(TRUNCATE)"), "checkpoint");
  const double secs = ms_since(t0) / 1000;
  std::printf(
      "{\"devices\":%d,\"interval_s\":%lld,\"days\":%lld,\"series\":%d,\"rows\":%lld,"
      "\"from_ms\":%lld,\"to_ms\":%lld,\"seconds\":%.1f,\"bytes\":%lld}\n",
      devices, static_cast<long long>(interval_ms / 1000), static_cast<long long>(days),
      devices * 3, static_cast<long long>(rows), static_cast<long long>(begin_ms),
      static_cast<long long>(end_ms), secs,
      static_cast<long long>(std::filesystem::file_size(path)));
  return 0;
}

struct Query {
  std::string zone, kind, metric;
  std::int64_t from = 0, to = 0;
  int points = 300;
  std::int64_t width() const {
    return std::max<std::int64_t>(1, (to - from + points - 1) / points);
  }
};

// The shipped query's rows without its GROUP BY: bucketed here instead.
std::size_t scan_points(sqlite::Db& db, const Query& q) {
  auto st = check(sqlite::Stmt::prepare(db,
                                        "SELECT r.ts, r.value FROM readings r "
                                        "WHERE r.ts >= ?1 AND r.ts < ?2 AND r.series IN "
                                        "(SELECT id FROM series WHERE zone = ?3 AND kind = ?4 AND "
                                        "metric = ?5)"),
                  "prepare scan");
  st.bind(1, q.from).bind(2, q.to).bind(3, q.zone).bind(4, q.kind).bind(5, q.metric);
  struct Bucket {
    double sum = 0, min = 1e300, max = -1e300;
    std::int64_t n = 0;
  };
  std::vector<Bucket> buckets(static_cast<std::size_t>(q.points));
  const std::int64_t w = q.width();
  for (;;) {
    if (!check(st.step(), "scan")) break;
    auto& b = buckets[static_cast<std::size_t>((st.int64(0) - q.from) / w)];
    const double v = st.real(1);
    b.sum += v;
    b.min = std::min(b.min, v);
    b.max = std::max(b.max, v);
    ++b.n;
  }
  return static_cast<std::size_t>(
      std::count_if(buckets.begin(), buckets.end(), [](const Bucket& b) { return b.n > 0; }));
}

void build_index(const std::string& path) {
  auto db = check(sqlite::Db::open(path), "open " + path);
  const auto t0 = Clock::now();
  check(db.exec("CREATE INDEX IF NOT EXISTS readings_series_ts ON readings(series, ts, value)"),
        "build index");
  std::fprintf(stderr, "index built in %.0f ms\n", ms_since(t0));
}

std::string plan_of(sqlite::Db& db, const std::string& sql) {
  auto st = check(sqlite::Stmt::prepare(db, "EXPLAIN QUERY PLAN " + sql), "explain");
  st.bind(1, 0).bind(2, 1).bind(3, 1).bind(4, "z1").bind(5, "soil").bind(6, "moisture");
  std::string out;
  while (check(st.step(), "explain")) out += (out.empty() ? "" : "; ") + st.text(3);
  return out;
}

void report(const std::string& variant, std::vector<double> ms, std::size_t points,
            std::int64_t rows_in_range, const std::string& plan) {
  std::sort(ms.begin(), ms.end());
  const auto pct = [&](double p) {
    const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(ms.size())));
    return ms[std::clamp<std::size_t>(rank, 1, ms.size()) - 1];
  };
  std::string escaped;
  for (const char c : plan) escaped += c == '"' ? '\'' : c;
  std::printf(
      "{\"variant\":\"%s\",\"repeat\":%zu,\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"min_ms\":%.2f,"
      "\"max_ms\":%.2f,\"points\":%zu,\"rows_in_range\":%lld,\"plan\":\"%s\"}\n",
      variant.c_str(), ms.size(), pct(0.5), pct(0.99), ms.front(), ms.back(), points,
      static_cast<long long>(rows_in_range), escaped.c_str());
  std::fflush(stdout);
}

int query(const Args& a) {
  const std::string path = a.get("--db", "");
  Query q;
  q.zone = a.get("--zone", "z1");
  const std::string metric = a.get("--metric", "soil.moisture");
  const auto dot = metric.find('.');
  if (dot == std::string::npos) die("query: --metric is kind.metric");
  q.kind = metric.substr(0, dot);
  q.metric = metric.substr(dot + 1);
  q.from = a.num("--from", -1);
  q.to = a.num("--to", -1);
  q.points = static_cast<int>(a.num("--points", 300));
  const int repeat = static_cast<int>(a.num("--repeat", 50));
  if (path.empty() || q.from < 0 || q.to <= q.from || q.points < 1 || repeat < 1) {
    die("query: needs --db, --from < --to, --points >= 1, --repeat >= 1");
  }
  std::vector<std::string> variants;
  std::stringstream list(a.get("--variants", "shipped,scan,index_scan"));
  for (std::string v; std::getline(list, v, ',');) variants.push_back(v);

  // Every row the range scan has to step over, all series: what the (ts, series) key costs.
  std::int64_t rows_in_range = 0;
  {
    auto db = check(sqlite::Db::open(path, true), "open " + path);
    auto st =
        check(sqlite::Stmt::prepare(db, "SELECT count(*) FROM readings WHERE ts >= ?1 AND ts < ?2"),
              "prepare count");
    st.bind(1, q.from).bind(2, q.to);
    (void)check(st.step(), "count");
    rows_in_range = st.int64(0);
  }
  // What store::query_series reads for buckets of a minute or more (a week in 300 points).
  const std::string shipped_sql =
      "SELECT minute, n, total, lo, hi FROM zone_minute WHERE zone = ?1 AND kind = ?2 AND "
      "metric = ?3 AND minute >= ?4 AND minute <= ?5 ORDER BY minute";
  for (const auto& v : variants) {
    std::function<std::size_t(sqlite::Db&)> run;
    std::string plan;
    if (v == "shipped") {
      run = [&](sqlite::Db& db) {
        auto s = check(store::query_series(db, q.zone, metric, q.from, q.to, q.points), "query");
        return s.points.size();
      };
    } else if (v == "scan" || v == "index_scan") {
      if (v == "index_scan") build_index(path);
      run = [&](sqlite::Db& db) { return scan_points(db, q); };
    } else {
      die("query: unknown variant " + v);
    }
    // A fresh read-only connection per variant, as the API's Reader holds one.
    auto db = check(sqlite::Db::open(path, true), "open " + path);
    if (v == "shipped") plan = plan_of(db, shipped_sql);
    std::vector<double> ms;
    std::size_t points = 0;
    for (int i = 0; i < repeat; ++i) {
      const auto t0 = Clock::now();
      points = run(db);
      ms.push_back(ms_since(t0));
    }
    report(v, std::move(ms), points, rows_in_range, plan);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (argc >= 2) a.command = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) a.kv[argv[i]] = argv[i + 1];
  try {
    if (a.command == "fill" && argc % 2 == 0) return fill(a);
    if (a.command == "query" && argc % 2 == 0) return query(a);
  } catch (const std::exception& e) {
    die(std::string("bad argument: ") + e.what());  // std::stoll on a non-number
  }
  std::fprintf(stderr,
               "usage: farmgate_series_bench fill --db PATH --devices N --interval-s S "
               "[--days 7] [--end-ms MS]\n"
               "       farmgate_series_bench query --db PATH --from MS --to MS [--zone z1] "
               "[--metric soil.moisture] [--points 300] [--repeat 50] "
               "[--variants shipped,scan,index_scan]\n");
  return 2;
}
