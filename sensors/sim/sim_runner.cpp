#include "sensors/sim/sim_runner.h"

#include <mqtt/async_client.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <string_view>

namespace farmgate::sim {
namespace {

using std::chrono::steady_clock;
using namespace std::chrono_literals;

// A message handed to Paho and not yet confirmed.
struct Outstanding {
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

// Owns the connection and the window of unconfirmed messages. Paho's async publish returns at
// once; the window keeps at most `window_` messages queued so that (a) memory stays bounded while
// the broker is away and (b) Paho's command queue stays short, since it scans that queue for
// every message it sends.
class Link {
 public:
  Link(const SimOptions& o, RunSummary& summary)
      : o_(o),
        summary_(summary),
        client_(o.url, o.client_id, create_options(o), nullptr),
        window_(static_cast<std::size_t>(std::max(64, 4 * o.max_inflight))) {
    // Runs on a Paho thread: only reports, never touches the client.
    client_.set_connection_lost_handler([&o](const std::string& cause) {
      note(o, "connection lost" + (cause.empty() ? std::string{} : ": " + cause) +
                  "; reconnecting, buffering meanwhile");
    });
    client_.set_connected_handler([&o](const std::string&) { note(o, "connected"); });
  }

  ~Link() {
    try {
      if (client_.is_connected()) client_.disconnect()->wait_for(5s);
    } catch (const mqtt::exception&) {
      // Leaving anyway; the broker notices the closed socket.
    }
  }

  bool connect(StopSignals& signals) {
    auto opts = mqtt::connect_options_builder()
                    .clean_session(false)  // the broker keeps our in-flight QoS 1 messages
                    .automatic_reconnect(1s, 4s)
                    .max_inflight(o_.max_inflight)
                    .keep_alive_interval(20s)
                    .connect_timeout(5s)
                    .finalize();
    auto deadline = steady_clock::now() + o_.connect_timeout;
    while (true) {
      try {
        client_.connect(opts)->wait();
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

  // Publishes `m`, first making room in the window. False if a stop signal came while waiting
  // for room (then `m` is not sent) or the client refused the message.
  bool publish(const Message& m, StopSignals& signals) {
    reap();
    auto stall_limit = steady_clock::now() + o_.drain_timeout;
    while (outstanding_.size() >= window_) {
      if (settle_front(steady_clock::now() + 100ms)) continue;
      if (signals.pending()) return false;
      if (steady_clock::now() >= stall_limit) {
        std::fprintf(stderr, "farmgate-sim: no delivery confirmed for %llds; giving up\n",
                     static_cast<long long>(o_.drain_timeout.count()));
        stalled_ = true;
        return false;
      }
    }
    try {
      auto tok = client_.publish(m.topic, m.payload.data(), m.payload.size(), o_.qos, false);
      outstanding_.push_back({std::move(tok), m.kind, m.ts_ms});
      return true;
    } catch (const mqtt::exception& e) {
      std::fprintf(stderr, "farmgate-sim: publish refused: %s\n", e.what());
      return false;
    }
  }

  // Waits for every outstanding delivery until `deadline` or a second stop signal.
  void drain(steady_clock::time_point deadline, StopSignals& signals) {
    int signals_before = signals.received();
    while (!outstanding_.empty() && steady_clock::now() < deadline) {
      settle_front(std::min(deadline, steady_clock::now() + 100ms));
      // A stop signal during the drain means: leave now, report what is confirmed.
      if (signals.pending() && signals.received() > signals_before) break;
    }
    summary_.undelivered += outstanding_.size();
    outstanding_.clear();
  }

  // True once publish() gave up because nothing was confirmed for a whole drain timeout.
  bool stalled() const { return stalled_; }

 private:
  static mqtt::create_options create_options(const SimOptions& o) {
    mqtt::create_options c(MQTTVERSION_DEFAULT);
    // While the broker is away, keep accepting messages; Paho sends them after reconnecting.
    c.set_send_while_disconnected(true, true);
    c.set_max_buffered_messages(std::max(100'000, 4 * o.max_inflight));
    return c;
  }

  // Takes confirmed messages off the front without waiting.
  void reap() {
    while (!outstanding_.empty() && outstanding_.front().token->is_complete()) {
      settle_front(steady_clock::now());
    }
  }

  // Waits for the front message until `until`; true if it was settled (delivered or failed).
  bool settle_front(steady_clock::time_point until) {
    Outstanding& f = outstanding_.front();
    try {
      auto left = std::max(steady_clock::duration::zero(), until - steady_clock::now());
      if (!f.token->wait_for(std::chrono::duration_cast<std::chrono::milliseconds>(left))) {
        return false;
      }
      count_delivered(f);
    } catch (const mqtt::exception& e) {
      ++summary_.undelivered;
      note(o_, std::string{"delivery failed: "} + e.what());
    }
    outstanding_.pop_front();
    return true;
  }

  void count_delivered(const Outstanding& f) {
    ++summary_.published;
    if (f.kind == MessageKind::good) {
      ++summary_.good;
      if (!summary_.first_ts) summary_.first_ts = f.ts_ms;
      summary_.last_ts = std::max(summary_.last_ts.value_or(f.ts_ms), f.ts_ms);
    } else {
      ++summary_.bad[bad_index(f.kind)];
    }
  }

  const SimOptions& o_;
  RunSummary& summary_;
  mqtt::async_client client_;
  std::size_t window_;
  std::deque<Outstanding> outstanding_;
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
    summary.undelivered += *o.count - sent;  // the client refused a message
  }
  // After a stall the broker has had a whole drain timeout already.
  link.drain(link.stalled() ? steady_clock::now() : steady_clock::now() + o.drain_timeout,
             signals);
  return summary;
}

}  // namespace farmgate::sim
