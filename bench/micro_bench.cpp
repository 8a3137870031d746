// farmgate_micro_bench: Google Benchmark microbenchmarks of the per-message hot paths of ingest
// (decode → journal → store) and of the uplink's encoder. One message of the simulator carries
// three readings (moisture, temp_c, ec); the counters report both messages/s and readings/s.
//
// Run: build-bench/bench/farmgate_micro_bench [--benchmark_filter=REGEX]
// The store and journal benchmarks write to a fresh directory under $TMPDIR (default /tmp),
// removed at the end of each benchmark, so their figures include the real file system.
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/event.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/reading.h"
#include "gateway/store/journal.h"
#include "gateway/store/sqlite.h"
#include "gateway/store/store.h"
#include "gateway/uplink/influx_writer.h"
#include "gateway/uplink/line_protocol.h"
#include "sensors/json_decoder.h"
#include "sensors/topic_pattern.h"

namespace farmgate::bench {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kStartMs = 1'767'225'600'000;  // 2026-01-01T00:00Z
constexpr double kReadingsPerMessage = 3;

// The reference farm's zones and kind, with `n` load devices named as farmgate-sim names them
// (soil-0001.. over z1, z2 in turn), or the two reference devices when n == 0.
config::Config farm(int n) {
  config::Config c;
  c.site = "demo-farm";
  c.zones = {{"z1", "z1"}, {"z2", "z2"}};
  c.kinds = {{"soil",
              {{"moisture", "%", 0, 100}, {"temp_c", "°C", -10, 70}, {"ec", "mS/cm", 0, 20}}}};
  if (n == 0) {
    c.devices = {{"soil-z1", "soil", "z1", {}}, {"soil-z2", "soil", "z2", {}}};
  } else {
    for (int i = 0; i < n; ++i) {
      char id[32];
      std::snprintf(id, sizeof id, "soil-%04d", i + 1);
      c.devices.push_back({id, "soil", i % 2 == 0 ? "z1" : "z2", {}});
    }
  }
  c.mqtt_sources = {{"field", "farm/{zone}/{device}/telemetry", 1, 16 * 1024}};
  return c;
}

struct SimMessage {
  std::string topic;
  std::string payload;
};

// Messages shaped exactly as farmgate-sim sends them, cycling over every device.
std::vector<SimMessage> messages(const config::Config& c) {
  std::vector<SimMessage> out;
  for (std::size_t k = 0; k < c.devices.size(); ++k) {
    const auto& d = c.devices[k];
    char payload[128];
    std::snprintf(payload, sizeof payload,
                  "{\"moisture\": %.1f, \"temp_c\": %.1f, \"ec\": %.2f, \"ts\": %lld}",
                  20.0 + static_cast<double>(k % 50), 25.0 + static_cast<double>(k % 7) / 10,
                  0.5 + static_cast<double>(k % 9) / 10, static_cast<long long>(kStartMs));
    out.push_back({"farm/" + d.zone + "/" + d.id + "/telemetry", payload});
  }
  return out;
}

ReadingBatch batch(const std::string& device, const std::string& zone, std::int64_t ts) {
  const Timestamp t = from_epoch_ms(ts);
  return {Reading{device, zone, "soil", "moisture", 31.5, "%", t},
          Reading{device, zone, "soil", "temp_c", 27.1, "°C", t},
          Reading{device, zone, "soil", "ec", 0.84, "mS/cm", t}};
}

class NullLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view, std::string_view) override {}
};

class NullEvents final : public EventSink {
 public:
  void raise(Event) override {}
};

// A fresh directory, removed with the object.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/farmgate-bench-XXXXXX";
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void set_rates(benchmark::State& state, double messages) {
  state.counters["msgs/s"] = benchmark::Counter(messages, benchmark::Counter::kIsRate);
  state.counters["readings/s"] =
      benchmark::Counter(messages * kReadingsPerMessage, benchmark::Counter::kIsRate);
}

// Gives a store file the history of a farm that has run for a while: `rounds` readings for each
// of the 1,000 devices × 3 metrics of farm(1000), one minute apart, ending before kStartMs. The
// store must have created the schema (Store::open) and not be running. Inserted in key order, so
// it takes a second or two. Without history every series' rows share a few B-tree pages and the
// store looks much faster than it is after a season (see BM_ReadingsKeyOrder).
bool prefill_history(const std::string& path, const config::Config& c, int rounds) {
  if (rounds == 0) return true;
  auto db = sqlite::Db::open(path);
  if (!db || !db->exec("BEGIN")) return false;
  auto series = sqlite::Stmt::prepare(
      *db, "INSERT INTO series(id, kind, device, zone, metric, unit) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  auto reading = sqlite::Stmt::prepare(
      *db, "INSERT INTO readings(series, ts, value, quality) VALUES(?1, ?2, ?3, 0)");
  if (!series || !reading) return false;
  std::int64_t id = 0;
  for (const auto& d : c.devices) {
    for (const auto& m : c.kinds[0].metrics) {
      ++id;
      series->bind(1, id).bind(2, std::string_view("soil")).bind(3, std::string_view(d.id));
      series->bind(4, std::string_view(d.zone)).bind(5, std::string_view(m.name));
      if (!series->bind(6, std::string_view(m.unit)).run()) return false;
      for (int r = rounds; r > 0; --r) {
        reading->bind(1, id).bind(2, kStartMs - std::int64_t{r} * 60'000).bind(3, 30.0);
        if (!reading->run()) return false;
      }
    }
  }
  return static_cast<bool>(db->exec("COMMIT"));
}

// --- JsonDecoder::decode --------------------------------------------------------------------

// Arg: number of configured devices (0 = the reference farm's two). Devices are looked up by a
// linear scan of the config, so the figure falls as the farm grows.
void BM_JsonDecode(benchmark::State& state) {
  const config::Config c = farm(static_cast<int>(state.range(0)));
  auto pattern = sensors::TopicPattern::parse(c.mqtt_sources[0].topic);
  if (!pattern) {
    state.SkipWithError("bad topic pattern");
    return;
  }
  const sensors::JsonDecoder decoder(c.mqtt_sources[0], c, *pattern);
  const auto msgs = messages(c);
  const Timestamp received = from_epoch_ms(kStartMs + 1000);
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& m = msgs[i];
    i = i + 1 == msgs.size() ? 0 : i + 1;
    auto decoded = decoder.decode(m.topic, m.payload, received, true);
    if (!decoded) {
      state.SkipWithError(decoded.error().message.c_str());
      return;
    }
    benchmark::DoNotOptimize(decoded);
  }
  set_rates(state, static_cast<double>(state.iterations()));
}
BENCHMARK(BM_JsonDecode)->Arg(0)->Arg(100)->Arg(1000);

// --- lineproto::encode ----------------------------------------------------------------------

// One outbox line as the store builds it: soil,device=…,site=…,zone=… moisture=…,temp_c=…,ec=… ts
void BM_LineProtoEncode(benchmark::State& state) {
  lineproto::Point p;
  p.measurement = "soil";
  p.tags = {{"site", "demo-farm"}, {"zone", "z1"}, {"device", "soil-0001"}};
  p.fields = {{"moisture", 31.5}, {"temp_c", 27.1}, {"ec", 0.84}};
  p.time = from_epoch_ms(kStartMs);
  std::string out;
  std::size_t bytes = 0;
  for (auto _ : state) {
    out.clear();
    if (auto r = lineproto::encode(p, out); !r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    bytes += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  set_rates(state, static_cast<double>(state.iterations()));
}
BENCHMARK(BM_LineProtoEncode);

// The same, building the Point as the store does for every message (strings copied in).
void BM_LineProtoBuildAndEncode(benchmark::State& state) {
  const ReadingBatch b = batch("soil-0001", "z1", kStartMs);
  const std::string site = "demo-farm";
  std::string out;
  for (auto _ : state) {
    lineproto::Point p;
    for (const auto& r : b) p.fields.emplace_back(r.metric, r.value);
    p.measurement = b.front().kind;
    p.tags = {{"site", site}, {"zone", b.front().zone}, {"device", b.front().device}};
    p.time = b.front().time;
    out.clear();
    if (auto r = lineproto::encode(p, out); !r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    benchmark::DoNotOptimize(out.data());
  }
  set_rates(state, static_cast<double>(state.iterations()));
}
BENCHMARK(BM_LineProtoBuildAndEncode);

// --- The uplink's gzip ---------------------------------------------------------------------

// One uplink request body as the drain sends it: 5,000 outbox lines (1,000 devices, 5 rounds).
std::string outbox_batch() {
  const config::Config c = farm(1000);
  std::string body;
  for (int round = 0; round < 5; ++round) {
    for (const auto& d : c.devices) {
      lineproto::Point p;
      p.measurement = "soil";
      p.tags = {{"site", "bench-farm"}, {"zone", d.zone}, {"device", d.id}};
      p.fields = {{"moisture", 31.5 + round}, {"temp_c", 27.1}, {"ec", 0.84}};
      p.time = from_epoch_ms(kStartMs + round * 60'000);
      (void)lineproto::encode(p, body);
    }
  }
  return body;
}

// uplink::gzip_compress (zlib's default level 6), as InfluxWriter runs it on every request body.
void BM_GzipBatch(benchmark::State& state) {
  const std::string body = outbox_batch();
  std::size_t out = 0;
  for (auto _ : state) {
    auto z = uplink::gzip_compress(body);
    if (!z) {
      state.SkipWithError(z.error().message.c_str());
      return;
    }
    out = z->size();
    benchmark::DoNotOptimize(z->data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
  state.counters["points/s"] = benchmark::Counter(5000.0 * static_cast<double>(state.iterations()),
                                                  benchmark::Counter::kIsRate);
  state.counters["ratio"] = static_cast<double>(body.size()) / static_cast<double>(out);
}
BENCHMARK(BM_GzipBatch)->Unit(benchmark::kMillisecond);

// What-if, not farmgate's code: the same body at zlib level 1 (Z_BEST_SPEED).
void BM_GzipBatchLevel1(benchmark::State& state) {
  const std::string body = outbox_batch();
  std::string out(compressBound(static_cast<uLong>(body.size())) + 64, '\0');
  std::size_t size = 0;
  for (auto _ : state) {
    z_stream z{};
    if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      state.SkipWithError("deflateInit2");
      return;
    }
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
    z.avail_in = static_cast<uInt>(body.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&z, Z_FINISH);
    size = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
      state.SkipWithError("deflate");
      return;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
  state.counters["points/s"] = benchmark::Counter(5000.0 * static_cast<double>(state.iterations()),
                                                  benchmark::Counter::kIsRate);
  state.counters["ratio"] = static_cast<double>(body.size()) / static_cast<double>(size);
}
BENCHMARK(BM_GzipBatchLevel1)->Unit(benchmark::kMillisecond);

// --- Journal::append ------------------------------------------------------------------------

// One simulator message (3 readings) per append: one write(2) into the page cache.
void BM_JournalAppend(benchmark::State& state) {
  TempDir dir;
  auto journal = store::Journal::open(dir.path() + "/journal", 0, [](std::uint64_t, ReadingBatch) {});
  if (!journal) {
    state.SkipWithError(journal.error().message.c_str());
    return;
  }
  const ReadingBatch b = batch("soil-0001", "z1", kStartMs);
  const std::size_t record = store::Journal::encode(1, b).size();
  for (auto _ : state) {
    auto seq = (*journal)->append(b);
    if (!seq) {
      state.SkipWithError(seq.error().message.c_str());
      return;
    }
    // Released as the store would, so segments roll over and are deleted as in production.
    if ((*seq & 4095) == 0) (*journal)->release(*seq);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * record));
  set_rates(state, static_cast<double>(state.iterations()));
}
BENCHMARK(BM_JournalAppend);

void BM_JournalEncode(benchmark::State& state) {
  const ReadingBatch b = batch("soil-0001", "z1", kStartMs);
  std::uint64_t seq = 0;
  for (auto _ : state) {
    auto rec = store::Journal::encode(++seq, b);
    benchmark::DoNotOptimize(rec.data());
  }
  set_rates(state, static_cast<double>(state.iterations()));
}
BENCHMARK(BM_JournalEncode);

// --- Store: submit + group commit -----------------------------------------------------------

// Each iteration submits state.range(0) messages of 3 readings (1,000 devices in turn, fresh
// timestamps, so nothing is ignored as a repeat) and waits for flush(). range(1) = 1 writes the
// outbox too (an uplink is configured), 0 = readings only. range(2): readings of history per
// series already in the store (0 = a new farm; 200 = a few hours at one reading a minute, enough
// to give every series its own B-tree leaf). batch_max 2000 as in farm.yaml.
void BM_StoreCommit(benchmark::State& state) {
  TempDir dir;
  SystemClock clock;
  Metrics metrics;
  NullLogger log;
  NullEvents events;
  store::StoreOptions options;
  options.config.path = dir.path() + "/farmgate.db";
  options.site = "demo-farm";
  if (state.range(1) != 0) options.uplinks = {"influx"};
  auto store = store::Store::open(options, clock, metrics, log, events);
  if (!store) {
    state.SkipWithError(store.error().message.c_str());
    return;
  }
  const config::Config c = farm(1000);
  if (!prefill_history(options.config.path, c, static_cast<int>(state.range(2)))) {
    state.SkipWithError("prefill failed");
    return;
  }
  (*store)->start([](std::uint64_t) {});
  const auto per_iteration = static_cast<std::size_t>(state.range(0));
  std::uint64_t seq = 0;
  std::int64_t round = 0;
  std::size_t k = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < per_iteration; ++i) {
      const auto& d = c.devices[k];
      (*store)->submit(++seq, batch(d.id, d.zone, kStartMs + round * 60'000));
      if (++k == c.devices.size()) {
        k = 0;
        ++round;
      }
    }
    (*store)->flush();
  }
  (*store)->stop();
  set_rates(state, static_cast<double>(state.iterations() * per_iteration));
}
BENCHMARK(BM_StoreCommit)
    ->ArgNames({"msgs", "outbox", "history"})
    ->Args({1000, 1, 0})
    ->Args({10000, 1, 0})
    ->Args({10000, 0, 0})
    ->Args({10000, 1, 200})
    ->Args({10000, 0, 200})
    ->MinTime(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// --- What-if: the readings table's key order ---------------------------------------------

// Bytes this process has passed to write(2)/pwrite(2) so far (/proc/self/io wchar).
std::uint64_t bytes_written() {
  std::ifstream io("/proc/self/io");
  std::string key;
  std::uint64_t value = 0;
  while (io >> key >> value) {
    if (key == "wchar:") return value;
  }
  return 0;
}

// Not farmgate's code: a model of the store's readings table (gateway/store/schema.cpp) with the
// same connection settings (sqlite::Db: WAL, synchronous=NORMAL, default page cache), to show
// what its primary key costs in disk writes once the store has history.
//   range(0) = 0: PRIMARY KEY(series, ts), as shipped: consecutive readings of different series
//                 land on different B-tree leaves, so a transaction dirties about one 4 KiB page
//                 per reading, written to the WAL and again at checkpoint;
//   range(0) = 1: PRIMARY KEY(ts, series): readings arrive in time order, so they append to the
//                 rightmost leaves and a transaction dirties a few pages in all.
//   range(1)   = readings per transaction: 10 is a farm of 1,000 devices reporting once a minute
//                 with batch_interval 200 ms; 2000 is batch_max under load.
// The table is first filled with 200 readings for each of 3,000 series (1,000 devices × 3
// metrics). Counter "wchar/reading": bytes written (WAL + checkpoints) per reading inserted.
void BM_ReadingsKeyOrder(benchmark::State& state) {
  TempDir dir;
  auto db = sqlite::Db::open(dir.path() + "/readings.db");
  if (!db) {
    state.SkipWithError(db.error().message.c_str());
    return;
  }
  const bool time_first = state.range(0) == 1;
  const auto per_txn = static_cast<std::int64_t>(state.range(1));
  const std::string key = time_first ? "ts, series" : "series, ts";
  if (auto r = db->exec("CREATE TABLE readings(series INTEGER NOT NULL, ts INTEGER NOT NULL, "
                        "value REAL NOT NULL, quality INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(" +
                        key + ")) WITHOUT ROWID");
      !r) {
    state.SkipWithError(r.error().message.c_str());
    return;
  }
  auto insert = sqlite::Stmt::prepare(
      *db, "INSERT OR IGNORE INTO readings(series, ts, value, quality) VALUES(?1, ?2, ?3, 0)");
  if (!insert) {
    state.SkipWithError(insert.error().message.c_str());
    return;
  }
  constexpr std::int64_t kSeries = 3000;
  constexpr std::int64_t kHistory = 200;
  std::int64_t n = 0;  // readings inserted so far: series n % kSeries, round n / kSeries
  auto insert_next = [&](std::int64_t count) -> bool {
    for (std::int64_t i = 0; i < count; ++i, ++n) {
      insert->bind(1, n % kSeries + 1).bind(2, kStartMs + (n / kSeries) * 60'000).bind(3, 31.5);
      if (!insert->run()) return false;
    }
    return true;
  };
  for (std::int64_t round = 0; round < kHistory; ++round) {
    if (!db->exec("BEGIN") || !insert_next(kSeries) || !db->exec("COMMIT")) {
      state.SkipWithError("prefill failed");
      return;
    }
  }
  (void)db->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  const std::uint64_t written_before = bytes_written();
  const std::int64_t n_before = n;
  for (auto _ : state) {
    if (!db->exec("BEGIN IMMEDIATE") || !insert_next(per_txn) || !db->exec("COMMIT")) {
      state.SkipWithError("insert failed");
      return;
    }
  }
  const auto readings = static_cast<double>(n - n_before);
  state.counters["readings/s"] = benchmark::Counter(readings, benchmark::Counter::kIsRate);
  state.counters["wchar/reading"] =
      static_cast<double>(bytes_written() - written_before) / std::max(1.0, readings);
}
BENCHMARK(BM_ReadingsKeyOrder)
    ->ArgNames({"ts_first", "per_txn"})
    ->Args({0, 10})
    ->Args({1, 10})
    ->Args({0, 2000})
    ->Args({1, 2000})
    ->UseRealTime();

// --- The whole ingest handler, minus MQTT ---------------------------------------------------

// What farmgate does per message once Paho has handed it over: decode, journal append, submit to
// the store (which commits on its own thread, outbox included). Messages cycle over 1,000
// devices with fresh timestamps; each iteration handles state.range(0) messages and flushes.
// range(1): readings of history per series in the store beforehand, as in BM_StoreCommit.
// This is farmgate's own ceiling: the end-to-end figure cannot be better.
void BM_IngestPipeline(benchmark::State& state) {
  TempDir dir;
  SystemClock clock;
  Metrics metrics;
  NullLogger log;
  NullEvents events;
  const config::Config c = farm(1000);
  auto pattern = sensors::TopicPattern::parse(c.mqtt_sources[0].topic);
  if (!pattern) {
    state.SkipWithError("bad topic pattern");
    return;
  }
  const sensors::JsonDecoder decoder(c.mqtt_sources[0], c, *pattern);
  store::StoreOptions options;
  options.config.path = dir.path() + "/farmgate.db";
  options.site = c.site;
  options.uplinks = {"influx"};
  auto store = store::Store::open(options, clock, metrics, log, events);
  auto journal =
      store::Journal::open(dir.path() + "/journal", 0, [](std::uint64_t, ReadingBatch) {});
  if (!store || !journal) {
    state.SkipWithError("cannot open the store or the journal");
    return;
  }
  if (!prefill_history(options.config.path, c, static_cast<int>(state.range(1)))) {
    state.SkipWithError("prefill failed");
    return;
  }
  (*store)->start([&](std::uint64_t committed) { (*journal)->release(committed); });
  auto msgs = messages(c);
  // Stamps a month back: decode() refuses stamps more than a day ahead of the clock.
  const std::int64_t start_ms = to_epoch_ms(clock.now()) - 30LL * 24 * 3600 * 1000;
  const auto per_iteration = static_cast<std::size_t>(state.range(0));
  std::int64_t round = 0;
  std::size_t k = 0;
  for (auto _ : state) {
    state.PauseTiming();
    // Fresh timestamps for the next round, prepared outside the timed part.
    std::vector<std::string> payloads;
    payloads.reserve(per_iteration);
    for (std::size_t i = 0, kk = k; i < per_iteration; ++i) {
      const auto ts = std::to_string(start_ms + (round + static_cast<std::int64_t>(
                                                              (kk + i) / msgs.size())) * 60'000);
      std::string p = msgs[(kk + i) % msgs.size()].payload;
      p.replace(p.rfind(':') + 2, std::string::npos, ts + "}");
      payloads.push_back(std::move(p));
    }
    state.ResumeTiming();
    for (std::size_t i = 0; i < per_iteration; ++i) {
      auto decoded = decoder.decode(msgs[k].topic, payloads[i], clock.now(), true);
      if (!decoded) {
        state.SkipWithError(decoded.error().message.c_str());
        return;
      }
      auto seq = (*journal)->append(decoded->readings);
      if (!seq) {
        state.SkipWithError(seq.error().message.c_str());
        return;
      }
      (*store)->submit(*seq, std::move(decoded->readings));
      if (++k == msgs.size()) {
        k = 0;
        ++round;
      }
    }
    (*store)->flush();
  }
  (*store)->stop();
  set_rates(state, static_cast<double>(state.iterations() * per_iteration));
}
BENCHMARK(BM_IngestPipeline)
    ->ArgNames({"msgs", "history"})
    ->Args({10000, 0})
    ->Args({10000, 200})
    ->MinTime(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace farmgate::bench

BENCHMARK_MAIN();
