// What one camera snapshot costs the gateway once its bytes have arrived: decoding a 1920x1080
// JPEG and measuring its canopy cover (at the reduced scale the source uses, and at full scale
// for comparison), and the whole local path: measure, write the file (flushed), index it and
// apply retention. The fetch itself is the camera's and the network's time, not ours.
//
//   cmake --build <build> --target farmgate_camera_bench && <build>/bench/farmgate_camera_bench
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "sensors/camera/canopy.h"
#include "sensors/camera/snapshot_store.h"
#include "sensors/camera/test_images.h"

namespace {

using namespace farmgate;
using namespace farmgate::sensors::camera;

// A field photo stand-in: leaf and soil patches with per-pixel noise, so that the JPEG carries
// detail at every scale (a flat synthetic image decodes unrealistically fast). About the size a
// 2 MP camera sends at its default quality.
const std::vector<std::uint8_t>& photo() {
  static const std::vector<std::uint8_t> jpeg = testing::encode_jpeg(
      1920, 1080,
      [](int x, int y) {
        std::uint32_t h =
            static_cast<std::uint32_t>(x) * 73856093u ^ static_cast<std::uint32_t>(y) * 19349663u;
        h ^= h >> 13;
        h *= 0x5bd1e995u;
        const auto noise = static_cast<int>(h >> 27);  // 0..31
        const bool leaf = ((x / 37) * 7 + (y / 29) * 3) % 5 < 3;
        auto c = [noise](int v) { return static_cast<std::uint8_t>(v + noise); };
        return leaf ? testing::Rgb{c(40), c(130), c(30)} : testing::Rgb{c(130), c(100), c(70)};
      },
      85);
  return jpeg;
}

void BM_DecodeCanopy1080p(benchmark::State& state) {
  CanopyOptions options;
  options.min_analysis_width = static_cast<int>(state.range(0));
  double cover = 0;
  for (auto _ : state) {
    auto r = analyse_jpeg(photo(), options);
    if (!r) state.SkipWithError(r.error().message.c_str());
    cover = r ? r->cover_percent : 0;
    benchmark::DoNotOptimize(cover);
  }
  state.counters["jpeg_kB"] = static_cast<double>(photo().size()) / 1024;
  state.counters["cover_pct"] = cover;
}
// 960: the source's setting (1/2 scale); 480: 1/4 scale; 0: full size.
BENCHMARK(BM_DecodeCanopy1080p)->Arg(480)->Arg(960)->Arg(0)->Unit(benchmark::kMillisecond);

void BM_Snapshot1080pStored(benchmark::State& state) {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = std::string(tmp != nullptr ? tmp : "/tmp") + "/farmgate-cam-bench-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  {
    auto store = SnapshotStore::open(dir);
    if (!store) {
      state.SkipWithError(store.error().message.c_str());
      return;
    }
    Timestamp t = from_epoch_ms(1'767'225'600'000);
    for (auto _ : state) {
      auto r = analyse_jpeg(photo(), {});
      if (!r) state.SkipWithError(r.error().message.c_str());
      SnapshotInfo info;
      info.camera = "cam-z1";
      info.zone = "z1";
      info.time = t;
      info.width = r->width;
      info.height = r->height;
      info.canopy_percent = r->cover_percent;
      info.reason = "interval";
      auto added = (*store)->add(std::move(info), photo());
      if (!added) state.SkipWithError(added.error().message.c_str());
      // Retention as the source runs it, with a limit the benchmark reaches (20 files).
      auto pruned =
          (*store)->prune("cam-z1", t, Millis{std::chrono::days{30}}, 20 * photo().size());
      if (!pruned) state.SkipWithError(pruned.error().message.c_str());
      t += std::chrono::minutes{15};
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}
BENCHMARK(BM_Snapshot1080pStored)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
