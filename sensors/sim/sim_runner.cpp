#include "sensors/sim/sim_runner.h"

#include <mqtt/async_client.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <string_view>

namespace farmgate::sim {
namespace {

using std::chrono::steady_clock;
using namespace std::chrono_literals;

// A message handed to Paho and not yet confirmed. The message itself is kept so that it can be
// sent again through a fresh client (see Link::recover).
struct Outstanding {
  mqtt::message_ptr message;
  mqtt::delivery_token_ptr token;
  MessageKind kind;
  std::int64_t ts_ms;
};

void note(const SimOptions& o, const std::string& line) {
  if (!o.quiet) std::fprintf(stderr, "farmgate-sim: %s\n", line.c_str());
}

std::size_t bad_index(MessageKind kind) {
  auto it = std::find(kBadKinds.begin(), kBadKinds.end(), kind);
  return static_cast<std::size_t>(it - kBadKinds.begin());
}

// Set from Paho's threads when the connection drops or a delivery fails; read and cleared by
// the main loop.
class TroubleFlag final : public mqtt::iaction_listener {
 public:
  bool raised() const { return raised_.load(); }
  void raise() { raised_ = true; }
  void clear() { raised_ = false; }

 private:
  void on_failure(const mqtt::token&) override { raise(); }
  void on_success(const mqtt::token&) override {}
  std::atomic<bool> raised_{false};
};

// Owns the MQTT client and the window of unconfirmed messages.
//
// Paho's async publish returns at once; the window keeps at most `window_` messages queued so
// that memory stays bounded while the broker is away and Paho's command queue, which it scans for
// every message it sends, stays short.
//
// No QoS 1 message is lost across a broker restart, but not through Paho's automatic reconnect:
// Paho C 1.3.12 mishandles a QoS 1 publish whose write fails as the connection breaks. It reports
// the delivery as failed yet keeps a copy whose data it has already freed, and re-sends that
// garbage after every reconnect; the broker drops the connection for a "malformed packet",
// forever (seen here in about one broker restart out of five). So on a lost connection or a
// failed delivery this class throws the client away, connects a fresh one with the same client
// id and a persistent session, and re-sends every message not yet confirmed, in order. Until
// then Paho buffers what is published (send_while_disconnected); it is re-sent with the rest.
// QoS 1 allows the duplicates this can make.
class Link {
 public:
  Link(const SimOptions& o, RunSummary& summary)
      : o_(o),
        summary_(summary),
        window_(static_cast<std::size_t>(std::max(64, 4 * o.max_inflight))) {
    make_client();
  }

  ~Link() { close_client(); }

  // Connects, retrying until the connect timeout passes. False on timeout or a stop signal.
  bool connect(StopSignals& signals) {
    return connect_until(steady_clock::now() + o_.connect_timeout, signals);
  }

  // Publishes `m`, first making room in the window. False if a stop signal came while waiting
  // for room (then `m` is not sent), nothing was confirmed for a whole drain timeout, or the
  // client refused the message.
  bool publish(const Message& m, StopSignals& signals) {
    reap();
    if (trouble_.raised() && !make_progress(steady_clock::now(), signals)) return false;
    while (outstanding_.size() >= window_) {
      if (!make_progress(steady_clock::now() + 100ms, signals)) return false;
      if (signals.pending()) return false;
    }
    // The stall clock runs only while something waits for confirmation.
    if (outstanding_.empty()) last_progress_ = steady_clock::now();
    auto msg = mqtt::make_message(m.topic, m.payload, o_.qos, false);
    // A client whose connection just dropped may refuse the message; then reconnect and retry.
    for (int attempt = 0;; ++attempt) {
      try {
        auto tok = client_->publish(msg, nullptr, trouble_);
        outstanding_.push_back({std::move(msg), std::move(tok), m.kind, m.ts_ms});
        return true;
      } catch (const mqtt::exception& e) {
        if (attempt > 0) {
          std::fprintf(stderr, "farmgate-sim: publish refused: %s\n", e.what());
          return false;
        }
      }
      trouble_.raise();
      if (!make_progress(steady_clock::now(), signals)) return false;
    }
  }

  // Waits for every outstanding delivery until `deadline`, a stall, or a new stop signal.
  void drain(steady_clock::time_point deadline, StopSignals& signals) {
    int signals_before = signals.received();
    while (!outstanding_.empty() && steady_clock::now() < deadline) {
      if (!make_progress(std::min(deadline, steady_clock::now() + 100ms), signals)) break;
      // A stop signal during the drain means: leave now, report what is confirmed.
      if (signals.pending() && signals.received() > signals_before) break;
    }
    summary_.undelivered += outstanding_.size();
    outstanding_.clear();
  }

  // True once nothing was confirmed for a whole drain timeout; the run then gives up.
  bool stalled() const { return stalled_; }

 private:
  static mqtt::create_options create_options(const SimOptions& o) {
    mqtt::create_options c(MQTTVERSION_3_1_1);
    // While the connection is down, keep accepting messages rather than throwing; they also wait
    // in the window and go out again through the fresh client.
    c.set_send_while_disconnected(true, true);
    c.set_max_buffered_messages(std::max(100'000, 4 * o.max_inflight));
    return c;
  }

  void make_client() {
    client_ =
        std::make_unique<mqtt::async_client>(o_.url, o_.client_id, create_options(o_), nullptr);
    // Runs on a Paho thread: only raises the flag; the main loop reconnects.
    client_->set_connection_lost_handler([this](const std::string&) { trouble_.raise(); });
  }

  void close_client() {
    if (!client_) return;
    try {
      if (client_->is_connected()) client_->disconnect()->wait_for(5s);
    } catch (const mqtt::exception&) {
      // Leaving anyway; the broker notices the closed socket.
    }
    client_.reset();
  }

  bool connect_until(steady_clock::time_point deadline, StopSignals& signals) {
    auto opts = mqtt::connect_options_builder()
                    .mqtt_version(MQTTVERSION_3_1_1)
                    .clean_session(false)  // the broker keeps our session across restarts
                    .max_inflight(o_.max_inflight)
                    .keep_alive_interval(20s)
                    .connect_timeout(5s)
                    .finalize();
    while (true) {
      try {
        client_->connect(opts)->wait();
        note(o_, "connected to " + o_.url);
        return true;
      } catch (const mqtt::exception& e) {
        if (steady_clock::now() >= deadline) {
          std::fprintf(stderr, "farmgate-sim: cannot connect to %s: %s\n", o_.url.c_str(),
                       e.what());
          return false;
        }
      }
      if (signals.wait_until(std::min(deadline, steady_clock::now() + 250ms))) return false;
    }
  }

  // Replaces the client (see the class comment) and re-sends what is unconfirmed.
  bool recover(StopSignals& signals) {
    note(o_, "connection lost or a delivery failed; reconnecting with a fresh client");
    close_client();
    trouble_.clear();
    make_client();
    if (!connect_until(std::max(last_progress_ + o_.drain_timeout, steady_clock::now() + 1s),
                       signals)) {
      return false;
    }
    note(o_, "re-sending " + std::to_string(outstanding_.size()) + " unconfirmed messages");
    try {
      for (auto& e : outstanding_) e.token = client_->publish(e.message, nullptr, trouble_);
    } catch (const mqtt::exception& e) {
      std::fprintf(stderr, "farmgate-sim: re-send refused: %s\n", e.what());
      return false;
    }
    return true;
  }

  // Settles the front message or waits for it until `until`; recovers a poisoned client. False
  // when the run cannot go on: recovery failed or nothing was confirmed for a drain timeout.
  bool make_progress(steady_clock::time_point until, StopSignals& signals) {
    // Trouble anywhere counts, not only at the front: after a lost connection the front message
    // would never complete. It counts with nothing outstanding too: the next publish needs a
    // connected client.
    Settle r = trouble_.raised()      ? Settle::failed
               : outstanding_.empty() ? Settle::delivered
                                      : settle_front(until);
    if (r == Settle::failed && !recover(signals)) {
      stalled_ = true;
      return false;
    }
    if (r == Settle::pending && steady_clock::now() - last_progress_ >= o_.drain_timeout) {
      std::fprintf(stderr, "farmgate-sim: no delivery confirmed for %llds; giving up\n",
                   static_cast<long long>(o_.drain_timeout.count()));
      stalled_ = true;
      return false;
    }
    return true;
  }

  // Takes confirmed messages off the front without waiting.
  void reap() {
    while (!outstanding_.empty() && outstanding_.front().token->is_complete()) {
      if (settle_front(steady_clock::now()) != Settle::delivered) break;
    }
  }

  enum class Settle { delivered, pending, failed };

  Settle settle_front(steady_clock::time_point until) {
    Outstanding& f = outstanding_.front();
    try {
      auto left = std::max(steady_clock::duration::zero(), until - steady_clock::now());
      if (!f.token->wait_for(std::chrono::duration_cast<std::chrono::milliseconds>(left))) {
        return Settle::pending;
      }
    } catch (const mqtt::exception& e) {
      note(o_, std::string{"delivery failed: "} + e.what());
      return Settle::failed;
    }
    count_delivered(f);
    outstanding_.pop_front();
    last_progress_ = steady_clock::now();
    return Settle::delivered;
  }

  void count_delivered(const Outstanding& f) {
    ++summary_.published;
    if (f.kind == MessageKind::good) {
      ++summary_.good;
      // Farm mode sends soil readings and flow reports out of time order.
      summary_.first_ts = std::min(summary_.first_ts.value_or(f.ts_ms), f.ts_ms);
      summary_.last_ts = std::max(summary_.last_ts.value_or(f.ts_ms), f.ts_ms);
    } else {
      ++summary_.bad[bad_index(f.kind)];
    }
  }

  const SimOptions& o_;
  RunSummary& summary_;
  std::size_t window_;
  TroubleFlag trouble_;  // declared before client_: Paho may raise it until client_ is gone
  std::unique_ptr<mqtt::async_client> client_;
  std::deque<Outstanding> outstanding_;
  steady_clock::time_point last_progress_ = steady_clock::now();
  bool stalled_ = false;
};

StreamOptions stream_options(const SimOptions& o) {
  StreamOptions s;
  if (o.devices > 0) s.devices = load_devices(o.devices, o.zones);
  s.start = o.start_ts ? from_epoch_ms(*o.start_ts)
                       : std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  s.interval = o.interval;
  s.bad_every = o.bad_every;
  s.seed = o.seed;
  return s;
}

Message farm_message(const SimDevice& device, std::string payload, Timestamp at) {
  return {MessageKind::good, telemetry_topic(device), std::move(payload), to_epoch_ms(at), -1};
}

}  // namespace

std::string to_json(const RunSummary& s) {
  boost::json::object bad;
  for (std::size_t i = 0; i < kBadKinds.size(); ++i) bad[kind_name(kBadKinds[i])] = s.bad[i];
  boost::json::object o;
  o["published"] = s.published;
  o["good"] = s.good;
  o["bad"] = std::move(bad);
  o["first_ts"] = s.first_ts ? boost::json::value(*s.first_ts) : boost::json::value(nullptr);
  o["last_ts"] = s.last_ts ? boost::json::value(*s.last_ts) : boost::json::value(nullptr);
  o["undelivered"] = s.undelivered;
  return boost::json::serialize(o);
}

RunSummary run_simulator(const SimOptions& o, StopSignals& signals) {
  RunSummary summary;
  MessageStream stream(stream_options(o));
  Link link(o, summary);
  if (!link.connect(signals)) return summary;
  summary.connected = true;

  const double rate = o.effective_rate(o.devices > 0 ? static_cast<std::size_t>(o.devices) : 2);
  // A fixed schedule: message i is due at base + i / rate, so pacing errors do not add up. After
  // a stall longer than a second (broker away, window full) the schedule restarts from now
  // rather than bursting to catch up.
  auto base = steady_clock::now();
  std::uint64_t since_base = 0;
  auto next_report = base + 5s;
  std::uint64_t sent = 0;
  while (!o.count || sent < *o.count) {
    auto now = steady_clock::now();
    if (rate > 0) {
      auto due = base + std::chrono::duration_cast<steady_clock::duration>(
                            std::chrono::duration<double>(static_cast<double>(since_base) / rate));
      if (now < due) {
        if (signals.wait_until(due)) break;
      } else if (now - due > 1s) {
        base = now;
        since_base = 0;
      }
    } else if ((sent & 255) == 0 && signals.pending()) {
      break;
    }
    if (signals.received() > 0) break;
    if (!link.publish(stream.next(), signals)) break;
    ++sent;
    ++since_base;
    if (now >= next_report) {
      note(o, "sent " + std::to_string(sent) + ", confirmed " + std::to_string(summary.published));
      next_report = now + 5s;
    }
  }
  if (o.count && sent < *o.count && signals.received() == 0) {
    summary.undelivered += *o.count - sent;  // refused by the client, or given up after a stall
  }
  // After a stall the broker has had a whole drain timeout already.
  link.drain(link.stalled() ? steady_clock::now() : steady_clock::now() + o.drain_timeout, signals);
  return summary;
}

std::unique_ptr<FarmLink> make_farm(const SimOptions& o) {
  SimClock c;
  c.start = o.start_ts ? from_epoch_ms(*o.start_ts)
                       : std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  c.base = steady_clock::now();
  c.speed = o.sim_speed(reference_devices().size());
  return std::make_unique<FarmLink>(FarmModel(o.farm, o.seed, c.start), c);
}

RunSummary run_farm(const SimOptions& o, StopSignals& signals, FarmLink& farm) {
  RunSummary summary;
  StreamOptions so = stream_options(o);
  so.start = farm.clock().start;
  so.sampler = [&farm](std::size_t zone, Timestamp t) { return farm.sample_soil(zone, t); };
  MessageStream stream(std::move(so));
  Link link(o, summary);
  if (!link.connect(signals)) return summary;
  summary.connected = true;
  farm.start_clock();
  const SimClock clock = farm.clock();
  char speed[32];
  std::snprintf(speed, sizeof speed, "%g", clock.speed);
  note(o, std::string("farm mode: simulated time runs ") + speed + "x wall time");
  auto played = [&](const std::string& id) {
    return std::find(o.relays.begin(), o.relays.end(), id) != o.relays.end();
  };
  if (!played(o.farm.pump_id)) note(o, "the pump relay " + o.farm.pump_id + " is not played");
  for (const auto& z : o.farm.zones) {
    if (!played(z.valve_id)) note(o, "the valve relay " + z.valve_id + " is not played");
  }

  std::uint64_t sent = 0;
  auto room = [&] { return !o.count || sent < *o.count; };
  auto send = [&](const Message& m) {
    if (!room()) return true;
    if (!link.publish(m, signals)) return false;
    ++sent;
    return true;
  };
  Timestamp next_report = clock.start;
  auto next_note = steady_clock::now() + 5s;
  while (room() && signals.received() == 0) {
    const Timestamp now = clock.at(steady_clock::now());
    const bool pump_changed = farm.take_pump_change();
    if (pump_changed || now >= next_report) {
      const FarmReport r = farm.report();
      if (!send(farm_message(kFlowMeter, flow_payload(r.flow, to_epoch_ms(r.at)), r.at)) ||
          !send(farm_message(kTank, tank_payload(r.tank_percent, to_epoch_ms(r.at)), r.at))) {
        break;
      }
      if (pump_changed) note(o, std::string("pump ") + (r.pump_on ? "on" : "off"));
      // Missed periods (a stall) are not caught up: one report says all there is to say.
      while (next_report <= now) next_report += o.report_interval;
    }
    bool ok = true;
    while (ok && room() && stream.next_reading_time() <= now) ok = send(stream.next());
    if (!ok) break;
    if (steady_clock::now() >= next_note) {
      note(o, "sent " + std::to_string(sent) + ", confirmed " + std::to_string(summary.published));
      next_note = steady_clock::now() + 5s;
    }
    if (!room()) break;
    const Timestamp due = std::min(stream.next_reading_time(), next_report);
    if (signals.wait_until(clock.wall(due), farm.wake_fd())) break;
  }
  if (o.count && sent < *o.count && signals.received() == 0) summary.undelivered += *o.count - sent;
  link.drain(link.stalled() ? steady_clock::now() : steady_clock::now() + o.drain_timeout, signals);
  return summary;
}

}  // namespace farmgate::sim
