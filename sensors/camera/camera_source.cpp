#include "sensors/camera/camera_source.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace farmgate::sensors::camera {
namespace {

constexpr std::size_t kMaxPending = 8;
constexpr const char* kMetric = "canopy_cover";

FetchOptions fetch_options(const config::CameraSource& c) {
  FetchOptions o;
  o.url = c.url;
  o.username = c.username;
  o.password = c.password;
  o.auth = c.auth;
  o.tls_verify = c.tls_verify;
  o.timeout = c.timeout;
  o.max_bytes = c.max_snapshot_bytes;
  return o;
}

std::string format_percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

const char* to_string(SnapshotReason r) {
  switch (r) {
    case SnapshotReason::interval:
      return "interval";
    case SnapshotReason::manual:
      return "manual";
    case SnapshotReason::run_start:
      return "run_start";
    case SnapshotReason::run_end:
      return "run_end";
    case SnapshotReason::alarm:
      return "alarm";
  }
  return "?";
}

Result<std::unique_ptr<CameraSource>> CameraSource::create(const config::CameraSource& camera,
                                                           const config::Config& farm,
                                                           CameraDeps deps) {
  const config::Device* device = farm.find_device(camera.device);
  if (device == nullptr) {
    return make_error("config", "camera " + camera.name + ": unknown device " + camera.device);
  }
  const config::DeviceKind* kind = farm.find_kind(device->kind);
  const config::MetricSpec* spec = kind == nullptr ? nullptr : kind->find_metric(kMetric);
  if (spec == nullptr) {
    return make_error("config", "camera " + camera.name + ": the kind of device " + camera.device +
                                    " has no metric canopy_cover");
  }
  Target target{device->zone, kind->name, spec->unit, spec->min, spec->max};
  return std::unique_ptr<CameraSource>(new CameraSource(camera, std::move(target), deps));
}

CameraSource::CameraSource(const config::CameraSource& camera, Target target, CameraDeps deps)
    : camera_(camera),
      zone_(target.zone),
      target_(std::move(target)),
      deps_(deps),
      fetcher_(fetch_options(camera)),
      snapshots_(deps.metrics.counter("farmgate_camera_snapshots_total",
                                      "Snapshots taken, measured and stored.", labels())),
      fetch_seconds_(deps.metrics.histogram("farmgate_camera_fetch_seconds",
                                            "Time to fetch one snapshot from the camera.",
                                            {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}, labels())),
      canopy_gauge_(deps.metrics.gauge("farmgate_camera_canopy_cover_percent",
                                       "Canopy cover of the latest snapshot.", labels())),
      stored_bytes_(deps.metrics.gauge("farmgate_camera_stored_bytes",
                                       "Bytes of snapshots kept for the camera.", labels())),
      deleted_(deps.metrics.counter("farmgate_camera_deleted_total",
                                    "Snapshots deleted by retention (age or size).", labels())),
      online_gauge_(deps.metrics.gauge(
          "farmgate_camera_online", "1 while the camera answers, 0 once it is offline.", labels())),
      dropped_(deps.metrics.counter("farmgate_camera_requests_dropped_total",
                                    "Snapshot requests dropped because the queue was full.",
                                    labels())) {
  canopy_.exg_threshold = camera.exg_threshold;
  online_gauge_.set(1);
}

CameraSource::~CameraSource() {
  stop();
}

Result<void> CameraSource::start() {
  std::lock_guard lock(mu_);
  if (running_) return {};
  stopping_ = false;
  running_ = true;
  fetcher_.resume();
  deps_.health.set(health_name(), Health::Status::up, "starting: " + camera_.url);
  worker_ = std::thread([this] { run(); });
  return {};
}

void CameraSource::stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    stopping_ = true;
    running_ = false;
    pending_.clear();
  }
  fetcher_.cancel();
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

bool CameraSource::request_snapshot(SnapshotReason reason) {
  if ((reason == SnapshotReason::run_start || reason == SnapshotReason::run_end) &&
      !camera_.on_runs) {
    return false;
  }
  if (reason == SnapshotReason::alarm && !camera_.on_alarms) return false;
  {
    std::lock_guard lock(mu_);
    if (!running_) return false;
    if (std::find(pending_.begin(), pending_.end(), reason) != pending_.end()) return true;
    if (pending_.size() >= kMaxPending) {
      dropped_.inc();
      return false;
    }
    pending_.push_back(reason);
  }
  wake_.notify_one();
  return true;
}

bool CameraSource::online() const {
  std::lock_guard lock(mu_);
  return !offline_;
}

void CameraSource::run() {
  SteadyTime next_due = deps_.clock.steady_now();
  for (;;) {
    SnapshotReason reason = SnapshotReason::interval;
    {
      std::unique_lock lock(mu_);
      for (;;) {
        if (stopping_) return;
        if (!pending_.empty()) {
          reason = pending_.front();
          pending_.pop_front();
          break;
        }
        const SteadyTime now = deps_.clock.steady_now();
        if (now >= next_due) {
          // From now rather than from next_due: after a long outage one snapshot, not a burst.
          next_due = now + camera_.interval;
          break;
        }
        // Real time stands in for the injected clock's time here; with a fake clock the wait
        // ends on a request or stop() instead, which is what tests drive.
        wake_.wait_for(lock, next_due - now);
      }
    }
    take_snapshot(reason);
  }
}

void CameraSource::take_snapshot(SnapshotReason reason) {
  auto r = snapshot_once(reason);
  if (r) {
    succeeded();
  } else if (r.error().code != "cancelled") {
    failed(r.error());
  }
}

Result<double> CameraSource::snapshot_once(SnapshotReason reason) {
  const SteadyTime t0 = deps_.clock.steady_now();
  auto body = fetcher_.fetch();
  fetch_seconds_.observe(std::chrono::duration<double>(deps_.clock.steady_now() - t0).count());
  if (!body) return body.error();
  auto image = analyse_jpeg(*body, canopy_);
  if (!image) return image.error();

  const Timestamp now = deps_.clock.now();
  SnapshotInfo info;
  info.camera = camera_.name;
  info.zone = zone_;
  info.time = now;
  info.width = image->width;
  info.height = image->height;
  info.canopy_percent = image->cover_percent;
  info.reason = to_string(reason);
  // The camera did its part even if the card is full: log it, but do not call it offline.
  auto stored = deps_.store.add(std::move(info), *body);
  if (!stored) {
    deps_.log.error("camera/" + camera_.name, "snapshot not kept: " + stored.error().message);
    deps_.metrics
        .counter("farmgate_camera_failures_total", "Snapshots that failed, by reason.",
                 {{"camera", camera_.name}, {"reason", stored.error().code}})
        .inc();
  }
  auto pruned = deps_.store.prune(camera_.name, now, camera_.keep, camera_.max_total_bytes);
  if (pruned) {
    deleted_.inc(pruned->files);
  } else {
    deps_.log.error("camera/" + camera_.name, "retention failed: " + pruned.error().message);
  }
  if (auto total = deps_.store.total_bytes(camera_.name)) {
    stored_bytes_.set(static_cast<double>(*total));
  }

  const double cover = image->cover_percent;
  canopy_gauge_.set(cover);
  if (!std::isfinite(cover) || cover < target_.min || cover > target_.max) {
    deps_.log.warn("camera/" + camera_.name, "canopy_cover " + format_percent(cover) +
                                                 " is outside the kind's range; "
                                                 "not recorded");
  } else {
    Reading reading;
    reading.device = camera_.device;
    reading.zone = zone_;
    reading.kind = target_.kind;
    reading.metric = kMetric;
    reading.value = cover;
    reading.unit = target_.unit;
    reading.time = now;
    reading.quality = deps_.clock.synchronised() ? Quality::good : Quality::clock_unsynced;
    if (auto accepted = deps_.readings.accept({std::move(reading)}); !accepted) {
      deps_.log.error("camera/" + camera_.name,
                      "canopy_cover reading not stored: " + accepted.error().message);
    }
  }
  snapshots_.inc();
  if (stored) {
    deps_.log.debug("camera/" + camera_.name, "snapshot " + stored->path.string() + " (" +
                                                  to_string(reason) + "), canopy " +
                                                  format_percent(cover) + " %");
  }
  return cover;
}

void CameraSource::succeeded() {
  consecutive_failures_ = 0;
  bool was_offline;
  {
    std::lock_guard lock(mu_);
    was_offline = offline_;
    offline_ = false;
  }
  online_gauge_.set(1);
  deps_.health.set(health_name(), Health::Status::up, "snapshots from " + camera_.url);
  if (was_offline) {
    deps_.events.raise(Event{Severity::info, "camera_online", health_name(),
                             "Camera " + camera_.name + " answers again.", deps_.clock.now()});
  }
}

void CameraSource::failed(const Error& error) {
  deps_.metrics
      .counter("farmgate_camera_failures_total", "Snapshots that failed, by reason.",
               {{"camera", camera_.name}, {"reason", error.code}})
      .inc();
  ++consecutive_failures_;
  deps_.log.warn(
      "camera/" + camera_.name,
      "snapshot failed (" + std::to_string(consecutive_failures_) + " in a row): " + error.message);
  bool now_offline = false;
  {
    std::lock_guard lock(mu_);
    if (!offline_ && consecutive_failures_ >= camera_.offline_after) {
      offline_ = true;
      now_offline = true;
    }
  }
  if (now_offline) {
    online_gauge_.set(0);
    deps_.events.raise(Event{Severity::alarm, "camera_offline", health_name(),
                             "Camera " + camera_.name + " gave no snapshot " +
                                 std::to_string(consecutive_failures_) +
                                 " times in a row: " + error.message,
                             deps_.clock.now()});
  }
  deps_.health.set(health_name(), online() ? Health::Status::degraded : Health::Status::down,
                   error.message);
}

}  // namespace farmgate::sensors::camera
