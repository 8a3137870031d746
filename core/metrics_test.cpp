#include "core/metrics.h"

#include <gtest/gtest.h>

namespace farmgate {
namespace {

TEST(MetricsTest, SameNameAndLabelsIsTheSameCounter) {
  Metrics m;
  m.counter("x_total", "help", {{"reason", "a"}}).inc();
  m.counter("x_total", "help", {{"reason", "a"}}).inc(2);
  m.counter("x_total", "help", {{"reason", "b"}}).inc();
  EXPECT_EQ(m.counter("x_total", "help", {{"reason", "a"}}).value(), 3u);
  const std::string text = m.render();
  EXPECT_NE(text.find("# TYPE x_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("x_total{reason=\"a\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("x_total{reason=\"b\"} 1\n"), std::string::npos);
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  Metrics m;
  m.gauge("g", "help", {{"name", "a\"b\\c\nd"}}).set(1.5);
  EXPECT_NE(m.render().find("g{name=\"a\\\"b\\\\c\\nd\"} 1.5\n"), std::string::npos);
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  Metrics m;
  auto& h = m.histogram("lat_seconds", "help", {0.01, 0.1});
  h.observe(0.005);
  h.observe(0.05);
  h.observe(5);
  const std::string text = m.render();
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"0.01\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"0.1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_count 3\n"), std::string::npos);
}

TEST(MetricsTest, ReregisteringWithAnotherTypeIsAProgrammingError) {
  Metrics m;
  m.counter("x", "help");
  EXPECT_THROW(m.gauge("x", "help"), std::logic_error);
}

TEST(MetricsTest, WholeNumbersRenderWithoutAnExponent) {
  Metrics m;
  m.gauge("backlog", "help").set(100000);
  EXPECT_NE(m.render().find("backlog 100000\n"), std::string::npos) << m.render();
}

TEST(MetricsTest, GaugeFunctionIsReadAtRender) {
  Metrics m;
  double backlog = 7;
  m.gauge_fn("backlog", "help", {{"uplink", "i"}}, [&] { return backlog; });
  backlog = 42;
  EXPECT_NE(m.render().find("backlog{uplink=\"i\"} 42\n"), std::string::npos);
}

}  // namespace
}  // namespace farmgate
