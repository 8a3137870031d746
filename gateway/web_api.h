// WebApi: the daemon's side of the REST API and the live stream (gateway/http/api/context.h):
// zones as the phone page shows them (from the run log, with a trend from the rules' reading
// history), the supervisor's actuators, manual irrigation and stop, alarm acknowledgements
// (written by the store thread), and the SSE hub fed with zone, run and alarm changes.
//
// Threads: as ApiContext says. It is also the EventHub's tap (raise() from any thread: posts to
// the io thread) and is told of zone and run changes on the io thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>

#include "actuators/supervisor.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/event.h"
#include "gateway/http/api/context.h"
#include "gateway/run_log.h"
#include "gateway/store/reader.h"
#include "gateway/store/store.h"
#include "rules/expr_views.h"
#include "rules/schedules.h"
#include "sensors/camera/camera_fleet.h"

namespace farmgate::gateway {

class WebApi final : public http::api::ApiContext, public EventSink {
 public:
  // What the WebApi reads besides the supervisor, the run log and the store; each may be null
  // (no trend, no next run, no snapshots then).
  struct Sources {
    const rules::DataView* history = nullptr;
    const rules::Schedules* schedules = nullptr;
    const sensors::camera::CameraFleet* cameras = nullptr;
  };

  // Everything borrowed must outlive the WebApi.
  WebApi(const config::Config& config, boost::asio::io_context& io,
         actuators::Supervisor& supervisor, RunLog& run_log, store::Store& store,
         std::unique_ptr<store::Reader> reader, Sources sources, Clock& clock);
  ~WebApi() override;

  // ApiContext
  void on_io(std::function<void()> f) override;
  std::vector<std::string> zone_ids() const override;
  bool zone_exists(const std::string& zone) const override;
  std::optional<std::string> zone_json(const std::string& zone) const override;
  std::vector<http::api::ActuatorView> actuators() const override;
  Result<http::api::Grant> irrigate(const std::string& zone, Millis duration,
                                    const std::string& who) override;
  Result<void> stop(const std::string& zone, const std::string& who) override;
  Millis max_manual_run() const override;
  store::Reader& reader() override { return *reader_; }
  void ack_alarm(std::int64_t id, const std::string& who,
                 std::function<void(Result<store::Alarm>)> done) override;
  http::api::SseHub& hub() override { return hub_; }
  Result<std::optional<http::api::SnapshotView>> snapshot(const std::string& zone) const override;

  // EventSink (the EventHub's tap): alarms and warnings to the live stream.
  void raise(Event event) override;
  // io thread: a zone's state changed; a run started or ended.
  void zone_changed(const std::string& zone);
  void run_changed(const actuators::RunRecord& run);

  // Ends the live streams and the reader; before the HTTP server stops.
  void shutdown();

 private:
  const config::Config& config_;
  boost::asio::io_context& io_;
  actuators::Supervisor& supervisor_;
  RunLog& run_log_;
  store::Store& store_;
  std::unique_ptr<store::Reader> reader_;
  const Sources sources_;
  Clock& clock_;
  http::api::SseHub hub_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace farmgate::gateway
