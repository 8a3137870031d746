// farmgate_paho_count: a plain MQTT subscriber that only counts, built on the same client library
// and with the same connection options as farmgate's PahoBus (Paho C++ async_client, clean session
// off, message callback that copies topic and payload). It measures what the broker and the Paho
// client can deliver to one subscriber with no ingest work behind it, so that ingest.sh can tell
// whether farmgate or the broker bounds a run.
//
//   farmgate_paho_count --url tcp://127.0.0.1:PORT --filter 'farm/#' --qos 1 --count N
//                       [--timeout-s S] [--ready-file PATH]
//
// Subscribes, touches --ready-file once the subscription is acknowledged, and exits after N
// messages (or the timeout, when the broker dropped some), printing one JSON line:
// {"received": N, "seconds": S, "msgs_per_s": R, "bytes": B} where S runs from the first message
// received to the last.
#include <mqtt/async_client.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string url = "tcp://127.0.0.1:1883";
  std::string filter = "farm/#";
  std::string client_id = "farmgate-bench-count";
  int qos = 0;
  long long count = 0;
  int timeout_s = 120;
  std::string ready_file;
};

bool parse(int argc, char** argv, Args& a) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--url") a.url = v;
    else if (k == "--filter") a.filter = v;
    else if (k == "--client-id") a.client_id = v;
    else if (k == "--qos") a.qos = std::stoi(v);
    else if (k == "--count") a.count = std::stoll(v);
    else if (k == "--timeout-s") a.timeout_s = std::stoi(v);
    else if (k == "--ready-file") a.ready_file = v;
    else return false;
  }
  return argc % 2 == 1 && a.count > 0 && (a.qos == 0 || a.qos == 1);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!parse(argc, argv, a)) {
    std::fprintf(stderr,
                 "usage: farmgate_paho_count --url URL --filter F --qos 0|1 --count N "
                 "[--client-id ID] [--timeout-s S] [--ready-file PATH]\n");
    return 2;
  }
  std::mutex mu;
  std::condition_variable done_cv;
  std::atomic<long long> received{0};
  std::atomic<std::size_t> bytes{0};
  // Written by the callback thread only; read after it has gone quiet (or reached the count).
  std::atomic<Clock::rep> first{0}, last{0};

  try {
    mqtt::create_options opts(MQTTVERSION_3_1_1);
    mqtt::async_client client(a.url, a.client_id, opts, nullptr);
    client.set_message_callback([&](mqtt::const_message_ptr m) {
      // The same copies PahoBus makes into an MqttMessage.
      const std::string topic = m->get_topic();
      const std::string payload = m->get_payload_str();
      bytes += topic.size() + payload.size();
      const long long n = ++received;
      const auto now = Clock::now().time_since_epoch().count();
      if (n == 1) first = now;
      last = now;
      if (n >= a.count) {
        std::lock_guard lock(mu);
        done_cv.notify_all();
      }
    });
    auto conn = mqtt::connect_options_builder()
                    .clean_session(false)
                    .keep_alive_interval(std::chrono::seconds(30))
                    .max_inflight(1000)
                    .finalize();
    client.connect(conn)->wait();
    client.subscribe(a.filter, a.qos)->wait();
    if (!a.ready_file.empty()) std::ofstream(a.ready_file) << "ready\n";
    // Until N messages, or nothing for 3 s after the first (the broker dropped some), or the
    // timeout.
    const auto give_up = Clock::now() + std::chrono::seconds(a.timeout_s);
    for (;;) {
      std::unique_lock lock(mu);
      if (done_cv.wait_for(lock, std::chrono::milliseconds(200),
                           [&] { return received.load() >= a.count; })) {
        break;
      }
      const auto t = Clock::now();
      if (t >= give_up) break;
      if (received.load() > 0 && t.time_since_epoch().count() - last.load() >
                                     Clock::duration(std::chrono::seconds(3)).count()) {
        break;
      }
    }
    const double secs =
        std::chrono::duration<double>(Clock::duration(last.load() - first.load())).count();
    const long long n = received.load();
    std::printf("{\"received\": %lld, \"seconds\": %.3f, \"msgs_per_s\": %.0f, \"bytes\": %zu}\n", n,
                secs, secs > 0 ? static_cast<double>(n - 1) / secs : 0.0, bytes.load());
    std::fflush(stdout);
    // Unsubscribe and drop the session, so the broker does not keep queueing for us.
    client.unsubscribe(a.filter)->wait_for(std::chrono::seconds(5));
    client.disconnect()->wait_for(std::chrono::seconds(5));
    return n >= a.count ? 0 : 1;
  } catch (const mqtt::exception& e) {
    std::fprintf(stderr, "farmgate_paho_count: %s\n", e.what());
    return 1;
  }
}
