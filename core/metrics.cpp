#include "core/metrics.h"

#include <charconv>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace farmgate {

void Gauge::add(double d) {
  double cur = v_.load(std::memory_order_relaxed);
  while (!v_.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
  }
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::observe(double v) {
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  double cur = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

std::vector<std::uint64_t> Histogram::bucket_counts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  std::uint64_t acc = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    acc += buckets_[i].load(std::memory_order_relaxed);
    out[i] = acc;
  }
  return out;
}

Metrics::Series& Metrics::series(const std::string& name, const std::string& help, Type type,
                                 const Labels& labels) {
  auto [it, inserted] = families_.try_emplace(name, Family{type, help, {}});
  if (!inserted && it->second.type != type) {
    throw std::logic_error("metric " + name + " registered twice with different types");
  }
  for (auto& s : it->second.series) {
    if (s->labels == labels) return *s;
  }
  it->second.series.push_back(std::make_unique<Series>());
  it->second.series.back()->labels = labels;
  return *it->second.series.back();
}

Counter& Metrics::counter(const std::string& name, const std::string& help,
                          const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& s = series(name, help, Type::counter, labels);
  if (!s.counter) s.counter = std::make_unique<Counter>();
  return *s.counter;
}

Gauge& Metrics::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& s = series(name, help, Type::gauge, labels);
  if (!s.gauge) s.gauge = std::make_unique<Gauge>();
  return *s.gauge;
}

Histogram& Metrics::histogram(const std::string& name, const std::string& help,
                              std::vector<double> bounds, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& s = series(name, help, Type::histogram, labels);
  if (!s.histogram) s.histogram = std::make_unique<Histogram>(std::move(bounds));
  return *s.histogram;
}

void Metrics::gauge_fn(const std::string& name, const std::string& help, const Labels& labels,
                       std::function<double()> read) {
  std::lock_guard lock(mu_);
  series(name, help, Type::gauge, labels).read = std::move(read);
}

namespace {

std::string escape_label(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string label_text(const Labels& labels, const std::string& extra_key = {},
                       const std::string& extra_value = {}) {
  if (labels.empty() && extra_key.empty()) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k + "=\"" + escape_label(v) + '"';
  }
  if (!extra_key.empty()) {
    if (!first) out += ',';
    out += extra_key + "=\"" + extra_value + '"';
  }
  return out + "}";
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  // Whole numbers (counts, ids, backlogs) as integers: "100000", not "1e+05".
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    const auto r = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(v));
    return std::string(buf, r.ptr);
  }
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest form that round-trips
  return std::string(buf, r.ptr);
}

}  // namespace

std::string Metrics::render() const {
  std::lock_guard lock(mu_);
  std::ostringstream out;
  for (const auto& [name, fam] : families_) {
    const char* type = fam.type == Type::counter ? "counter"
                       : fam.type == Type::gauge ? "gauge"
                                                 : "histogram";
    out << "# HELP " << name << ' ' << fam.help << '\n' << "# TYPE " << name << ' ' << type << '\n';
    for (const auto& s : fam.series) {
      if (s->counter) {
        out << name << label_text(s->labels) << ' ' << s->counter->value() << '\n';
      } else if (s->gauge) {
        out << name << label_text(s->labels) << ' ' << number(s->gauge->value()) << '\n';
      } else if (s->read) {
        out << name << label_text(s->labels) << ' ' << number(s->read()) << '\n';
      } else if (s->histogram) {
        const auto counts = s->histogram->bucket_counts();
        const auto& bounds = s->histogram->bounds();
        for (std::size_t i = 0; i < counts.size(); ++i) {
          const std::string le = i < bounds.size() ? number(bounds[i]) : "+Inf";
          out << name << "_bucket" << label_text(s->labels, "le", le) << ' ' << counts[i] << '\n';
        }
        out << name << "_sum" << label_text(s->labels) << ' ' << number(s->histogram->sum())
            << '\n';
        out << name << "_count" << label_text(s->labels) << ' ' << s->histogram->count() << '\n';
      }
    }
  }
  return out.str();
}

}  // namespace farmgate
