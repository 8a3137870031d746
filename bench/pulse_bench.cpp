// Costs of the pulse counter and of calibration, with Google Benchmark:
//   BM_PulseCounterEdge      one rising edge through debounce and counting (the counting thread's
//                            work per pulse; the kernel keeps 16 edges, so this bounds nothing
//                            until it nears the interrupt rate)
//   BM_CalibratorApply       one 3-reading soil batch: range checks only (Arg 0), or with every
//                            metric calibrated and its raw reading appended (Arg 1)
//   BM_JsonDecodeCalibrated  JsonDecoder::decode of a 3-metric message with a 1,000-device farm,
//                            uncalibrated (Arg 0) or calibrated (Arg 1): what calibration adds to
//                            ingest (compare bench/micro_bench.cpp BM_JsonDecode/1000)
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "sensors/calibration.h"
#include "sensors/json_decoder.h"
#include "sensors/pulse/pulse_counter.h"

namespace farmgate {
namespace {

using namespace std::chrono_literals;

void BM_PulseCounterEdge(benchmark::State& state) {
  sensors::pulse::PulseCounter counter({450, 5s, 2ms, 3s}, 0, SteadyTime{});
  SteadyTime at{};
  for (auto _ : state) {
    at += 8889us;  // 15 L/min on a YF-S201
    benchmark::DoNotOptimize(counter.edge(at));
  }
  benchmark::DoNotOptimize(counter.total_l());
}
BENCHMARK(BM_PulseCounterEdge);

config::Config farm(int devices, bool calibrated) {
  config::Config c;
  c.zones = {{"z1", "z1"}, {"z2", "z2"}};
  c.kinds = {
      {"soil", {{"moisture", "%", 0, 100}, {"temp_c", "°C", -10, 70}, {"ec", "mS/cm", 0, 20}}}};
  for (int i = 0; i < devices; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "soil-%04d", i + 1);
    config::Device d;
    d.id = id;
    d.kind = "soil";
    d.zone = i % 2 == 0 ? "z1" : "z2";
    if (calibrated) {
      config::MetricCalibration m;
      m.metric = "moisture";
      m.scale = -100.0 / 260;
      m.offset = 200;
      config::MetricCalibration t;
      t.metric = "temp_c";
      t.offset = -0.4;
      config::MetricCalibration e;
      e.metric = "ec";
      e.scale = 1.05;
      d.calibration.metrics = {m, t, e};
    }
    c.devices.push_back(d);
  }
  c.mqtt_sources = {{"field", "farm/{zone}/{device}/telemetry", 1, 16 * 1024}};
  return c;
}

void BM_CalibratorApply(benchmark::State& state) {
  const bool calibrated = state.range(0) != 0;
  const config::Config c = farm(1000, calibrated);
  const sensors::Calibrator calibrator(c);
  const ReadingBatch raw{
      {"soil-0500", "z2", "soil", "moisture", calibrated ? 400.0 : 46.0, "%", {}, Quality::good},
      {"soil-0500", "z2", "soil", "temp_c", 27.4, "°C", {}, Quality::good},
      {"soil-0500", "z2", "soil", "ec", 0.8, "mS/cm", {}, Quality::good}};
  for (auto _ : state) {
    ReadingBatch batch = raw;
    auto r = calibrator.apply(batch);
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    benchmark::DoNotOptimize(batch);
  }
}
BENCHMARK(BM_CalibratorApply)->Arg(0)->Arg(1);

void BM_JsonDecodeCalibrated(benchmark::State& state) {
  const bool calibrated = state.range(0) != 0;
  const config::Config c = farm(1000, calibrated);
  const sensors::JsonDecoder decoder(c.mqtt_sources[0], c,
                                     *sensors::TopicPattern::parse(c.mqtt_sources[0].topic));
  const std::string payload = calibrated ? R"({"moisture": 400, "temp_c": 27.4, "ec": 0.8})"
                                         : R"({"moisture": 46.1, "temp_c": 27.4, "ec": 0.8})";
  const Timestamp received = from_epoch_ms(1'767'225'600'000);
  for (auto _ : state) {
    auto decoded = decoder.decode("farm/z2/soil-0500/telemetry", payload, received, true);
    if (!decoded) {
      state.SkipWithError(decoded.error().message.c_str());
      return;
    }
    benchmark::DoNotOptimize(decoded);
  }
}
BENCHMARK(BM_JsonDecodeCalibrated)->Arg(0)->Arg(1);

}  // namespace
}  // namespace farmgate

BENCHMARK_MAIN();
