// farmgate_reaction: how long from a reading's arrival at the broker to farmgate's command to the
// valve, seen on the wire (bench/reaction.sh starts it against farmgate and Mosquitto).
//
// It plays the relays (answers cmnd/<id>/POWER on stat/<id>/POWER) and repeats: publish a dry
// reading (29 %) for the rule `probe-z1.moisture < 30`, time until cmnd/valve-z1/POWER ON
// arrives, stop the run with farmgate/<site>/cmd/stop, wait for the valve's OFF, publish a wet
// reading (31 %) so the rule re-arms. Both times are taken on this process's steady clock, so
// the figure includes two broker hops (reading in, command out): it is an upper bound.
// Prints one JSON line:
// {"samples":N,"timeouts":T,"p50_ms":...,"p90_ms":...,"p99_ms":...,"max_ms":...}.
#include <mqtt/async_client.h>

#include "gateway/tcp_nodelay.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Options {
  std::string url = "tcp://127.0.0.1:1883";
  std::string site = "bench";
  int samples = 500;
};

class Bench {
 public:
  explicit Bench(const Options& o) : o_(o), client_(o.url, "farmgate-reaction-bench") {
    client_.set_message_callback([this](mqtt::const_message_ptr m) { on_message(*m); });
    client_.connect(mqtt::connect_options_builder().clean_session(true).finalize())->wait();
    client_.subscribe("cmnd/+/POWER", 1)->wait();
    // Paho 1.3.12 leaves Nagle on; the bench's own publishes must not wait either.
    (void)farmgate::gateway::set_tcp_nodelay_to_port(farmgate::gateway::mqtt_url_port(o.url));
    answerer_ = std::thread([this] { answer_loop(); });
  }
  ~Bench() {
    stop();
    try {
      client_.disconnect()->wait();
    } catch (const mqtt::exception&) {
    }
  }

  // Waits for farmgate's start-up OFFs, so that it is in control.
  bool wait_ready() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 30s, [&] { return valve_off_seen_; });
  }

  void run() {
    std::vector<double> ms;
    int timeouts = 0;
    for (int i = 0; i < o_.samples; ++i) {
      {
        std::lock_guard lock(mu_);
        valve_on_at_.reset();
        valve_off_seen_ = false;
      }
      const auto t0 = Clock::now();
      publish("farm/z1/probe-z1/telemetry", R"({"moisture": 29})");
      std::unique_lock lock(mu_);
      if (!cv_.wait_for(lock, 2s, [&] { return valve_on_at_.has_value(); })) {
        ++timeouts;
      } else {
        ms.push_back(std::chrono::duration<double, std::milli>(*valve_on_at_ - t0).count());
      }
      lock.unlock();
      publish("farmgate/" + o_.site + "/cmd/stop", R"({"zone": "z1"})");
      lock.lock();
      cv_.wait_for(lock, 5s, [&] { return valve_off_seen_; });
      lock.unlock();
      publish("farm/z1/probe-z1/telemetry", R"({"moisture": 31})");
      // farmgate hears the valve's OFF and the wet reading before the next dry one.
      std::this_thread::sleep_for(50ms);
    }
    std::sort(ms.begin(), ms.end());
    const auto pct = [&](double p) {
      if (ms.empty()) return 0.0;
      return ms[std::min(ms.size() - 1,
                         static_cast<std::size_t>(p * static_cast<double>(ms.size())))];
    };
    std::printf(
        "{\"samples\":%zu,\"timeouts\":%d,\"p50_ms\":%.2f,\"p90_ms\":%.2f,\"p99_ms\":%.2f,"
        "\"max_ms\":%.2f}\n",
        ms.size(), timeouts, pct(0.50), pct(0.90), pct(0.99), ms.empty() ? 0.0 : ms.back());
  }

 private:
  void publish(const std::string& topic, const std::string& payload) {
    client_.publish(topic, payload, 1, false)->wait();
  }

  // Paho's thread: note the time, queue the relay's answer for the answering thread.
  void on_message(const mqtt::message& m) {
    const auto now = Clock::now();
    const std::string& topic = m.get_topic();
    const std::string id = topic.substr(5, topic.size() - 5 - 6);
    const std::string word = m.get_payload_str();
    {
      std::lock_guard lock(mu_);
      if (id == "valve-z1" && word == "ON" && !valve_on_at_) valve_on_at_ = now;
      answers_.emplace_back("stat/" + id + "/POWER", word);
    }
    answer_cv_.notify_one();
  }

  void answer_loop() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      answer_cv_.wait(lock, [&] { return stopping_ || !answers_.empty(); });
      while (!answers_.empty()) {
        auto [topic, word] = answers_.front();
        answers_.erase(answers_.begin());
        lock.unlock();
        client_.publish(topic, word, 1, false)->wait();
        lock.lock();
        if (topic == "stat/valve-z1/POWER" && word == "OFF") valve_off_seen_ = true;
        cv_.notify_all();
      }
    }
  }

  Options o_;
  mqtt::async_client client_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable answer_cv_;
  std::optional<Clock::time_point> valve_on_at_;
  bool valve_off_seen_ = false;
  std::vector<std::pair<std::string, std::string>> answers_;
  bool stopping_ = false;
  std::thread answerer_;

 public:
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    answer_cv_.notify_one();
    if (answerer_.joinable()) answerer_.join();
  }
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--url")
      o.url = argv[i + 1];
    else if (a == "--site")
      o.site = argv[i + 1];
    else if (a == "--samples")
      o.samples = std::stoi(argv[i + 1]);
    else {
      std::cerr << "usage: farmgate_reaction [--url URL] [--site SITE] [--samples N]\n";
      return 2;
    }
  }
  try {
    Bench b(o);
    if (!b.wait_ready()) {
      std::cerr << "farmgate never commanded the valve off at its start\n";
      return 1;
    }
    std::this_thread::sleep_for(500ms);
    b.run();
  } catch (const std::exception& e) {
    std::cerr << "farmgate_reaction: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
