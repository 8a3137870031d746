// farmgate_modbus_bench: what polling Modbus devices costs the gateway in CPU. Target: 32 devices
// every 10 s use under 1 % of one core.
//
// A child process plays N soil probes (unit ids 1..N, soil-3in1 registers) behind one Modbus TCP
// endpoint on loopback, so that its CPU is not counted; the parent runs one ModbusSource over
// them for the given time and reports its own CPU time (getrusage: the poller thread does the
// work, the main thread sleeps). To measure in a minute what 32 devices at 10 s do in an hour,
// interval and frame gap are scaled down together (defaults: 200 ms and 1 ms, i.e. 50x), so the
// per-poll cost is what is measured, and the percentage of a core is that cost times the real
// rate (32 polls / 10 s).
//
// Run: build/bench/farmgate_modbus_bench [--devices 32] [--interval-ms 200] [--gap-ms 1]
//                                        [--seconds 60]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "config/config.h"
#include "core/clock.h"
#include "core/event.h"
#include "core/health.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/sink.h"
#include "sensors/modbus/modbus_source.h"
#include "sensors/modbus/test_slave.h"

namespace farmgate::bench {
namespace {

using namespace std::chrono_literals;

struct Options {
  int devices = 32;
  int interval_ms = 200;
  int gap_ms = 1;
  int seconds = 60;
};

class CountingSink final : public ReadingSink {
 public:
  Result<void> accept(ReadingBatch batch) override {
    batches.fetch_add(1, std::memory_order_relaxed);
    readings.fetch_add(batch.size(), std::memory_order_relaxed);
    return {};
  }
  std::atomic<std::uint64_t> batches{0};
  std::atomic<std::uint64_t> readings{0};
};

class CountingEvents final : public EventSink {
 public:
  void raise(Event) override { events.fetch_add(1, std::memory_order_relaxed); }
  std::atomic<std::uint64_t> events{0};
};

class NullLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view, std::string_view) override {}
};

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Runs the slave in a child; returns its pid and writes its port.
pid_t start_slave_process(int devices, unsigned short& port) {
  int fds[2];
  if (::pipe(fds) != 0) std::exit(1);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    sensors::modbus::testing::RegisterSlave slave;
    for (int unit = 1; unit <= devices; ++unit) {
      slave.set_holding(unit, 0, static_cast<std::uint16_t>(300 + unit));
      slave.set_holding(unit, 1, 0xFFE7);
      slave.set_holding(unit, 2, 800);
    }
    slave.start();
    const unsigned short p = slave.port();
    (void)!::write(fds[1], &p, sizeof p);
    ::close(fds[1]);
    ::pause();  // until the parent's SIGTERM
    ::_exit(0);
  }
  ::close(fds[1]);
  if (::read(fds[0], &port, sizeof port) != sizeof port) std::exit(1);
  ::close(fds[0]);
  return pid;
}

int run(const Options& o) {
  unsigned short port = 0;
  const pid_t slave = start_slave_process(o.devices, port);

  config::Config config;
  config.kinds.push_back(
      {"soil", {{"moisture", "%", 0, 100}, {"temp_c", "°C", -10, 70}, {"ec", "mS/cm", 0, 20}}});
  config::ModbusSource bus;
  bus.name = "bench";
  bus.host = "127.0.0.1";
  bus.tcp_port = port;
  bus.frame_gap = Millis{o.gap_ms};
  for (int i = 1; i <= o.devices; ++i) {
    const std::string id = "soil-" + std::to_string(i);
    config.devices.push_back({id, "soil", "", {}});
    config::ModbusDevice d;
    d.device = id;
    d.slave = i;
    d.profile = "soil-3in1";
    d.interval = Millis{o.interval_ms};
    d.registers = config::find_modbus_profile("soil-3in1")->registers;
    bus.devices.push_back(d);
  }

  CountingSink sink;
  CountingEvents events;
  Health health;
  Metrics metrics;
  SystemClock clock;
  NullLogger log;
  sensors::modbus::ModbusSource source(bus, config, sink, events, health, metrics, clock, log);

  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  if (!source.start()) return 1;
  std::this_thread::sleep_for(std::chrono::seconds{o.seconds});
  source.stop();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  ::kill(slave, SIGTERM);
  ::waitpid(slave, nullptr, 0);

  const auto polls = sink.batches.load();
  const double expected = o.devices * (wall * 1000.0 / o.interval_ms);
  const double per_poll_us = polls ? cpu / static_cast<double>(polls) * 1e6 : 0;
  // 32 devices every 10 s = 3.2 polls per second.
  const double core_pct_32_10s = per_poll_us / 1e6 * 3.2 * 100;
  std::printf("devices %d, interval %d ms, frame gap %d ms, %.1f s\n", o.devices, o.interval_ms,
              o.gap_ms, wall);
  std::printf("polls %llu (%.0f due, %.1f %%), readings %llu, events %llu\n",
              static_cast<unsigned long long>(polls), expected,
              expected > 0 ? 100.0 * static_cast<double>(polls) / expected : 0,
              static_cast<unsigned long long>(sink.readings.load()),
              static_cast<unsigned long long>(events.events.load()));
  std::printf("cpu %.3f s = %.1f %% of one core while running\n", cpu, 100 * cpu / wall);
  std::printf("cpu per device poll %.1f us\n", per_poll_us);
  std::printf("=> 32 devices every 10 s: %.4f %% of one core (target < 1 %%)\n", core_pct_32_10s);
  return polls > 0 ? 0 : 1;
}

}  // namespace
}  // namespace farmgate::bench

int main(int argc, char** argv) {
  farmgate::bench::Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (flag == "--devices" && value > 0 && value <= 247) {
      o.devices = value;
    } else if (flag == "--interval-ms" && value >= 1) {
      o.interval_ms = value;
    } else if (flag == "--gap-ms" && value >= 0) {
      o.gap_ms = value;
    } else if (flag == "--seconds" && value >= 1) {
      o.seconds = value;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--devices N] [--interval-ms MS] [--gap-ms MS] [--seconds S]\n",
                   argv[0]);
      return 2;
    }
  }
  if (argc % 2 == 0) {
    std::fprintf(stderr, "usage: %s [--devices N] [--interval-ms MS] [--gap-ms MS] [--seconds S]\n",
                 argv[0]);
    return 2;
  }
  return farmgate::bench::run(o);
}
