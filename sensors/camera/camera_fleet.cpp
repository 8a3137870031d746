#include "sensors/camera/camera_fleet.h"

namespace farmgate::sensors::camera {

Result<std::unique_ptr<CameraFleet>> CameraFleet::create(const config::Config& config,
                                                         FleetDeps deps) {
  auto store = SnapshotStore::open(std::filesystem::path(config.data_dir));
  if (!store) return store.error();
  std::unique_ptr<CameraFleet> fleet(new CameraFleet(std::move(store).value()));
  for (const auto& c : config.cameras) {
    auto camera = CameraSource::create(c, config,
                                       {deps.readings, deps.events, deps.health, deps.metrics,
                                        deps.clock, deps.log, *fleet->store_});
    if (!camera) return camera.error();
    fleet->cameras_.push_back(std::move(camera).value());
  }
  return fleet;
}

CameraFleet::~CameraFleet() {
  stop();
}

Result<void> CameraFleet::start() {
  for (std::size_t i = 0; i < cameras_.size(); ++i) {
    if (auto r = cameras_[i]->start(); !r) {
      for (std::size_t j = 0; j < i; ++j) cameras_[j]->stop();
      return r;
    }
  }
  return {};
}

void CameraFleet::stop() {
  for (auto& c : cameras_) c->stop();
}

void CameraFleet::on_run(std::string_view zone, bool started) {
  for (auto& c : cameras_) {
    if (c->zone() == zone) {
      c->request_snapshot(started ? SnapshotReason::run_start : SnapshotReason::run_end);
    }
  }
}

void CameraFleet::on_alarm(const Event& event, std::string_view zone) {
  // A camera that went offline cannot take the picture of its own alarm.
  if (event.severity != Severity::alarm || event.code.starts_with("camera_")) return;
  for (auto& c : cameras_) {
    if (zone.empty() || c->zone() == zone) c->request_snapshot(SnapshotReason::alarm);
  }
}

bool CameraFleet::request_snapshot(std::string_view camera) {
  for (auto& c : cameras_) {
    if (c->name() == camera) return c->request_snapshot(SnapshotReason::manual);
  }
  return false;
}

Result<std::optional<SnapshotInfo>> CameraFleet::latest(std::string_view zone) const {
  return store_->latest(zone);
}

}  // namespace farmgate::sensors::camera
