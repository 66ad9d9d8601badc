#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "sim/energy.hpp"
#include "sim/fingerprint.hpp"
#include "sim/stats.hpp"
#include "sim/trace.hpp"

namespace dcsim::sim {
namespace {

TEST(SampleSet, ExactQuantilesLinearInterpolation) {
  SampleSet s;
  for (double x : {15.0, 20.0, 35.0, 40.0, 50.0}) s.add(x);
  // numpy.quantile([15,20,35,40,50], q): 0.5 -> 35, 0.4 -> 29, 0.9 -> 46, 0.99 -> 49.6
  EXPECT_DOUBLE_EQ(s.p50(), 35.0);
  EXPECT_DOUBLE_EQ(s.quantile(0.4), 29.0);
  EXPECT_DOUBLE_EQ(s.p90(), 46.0);
  EXPECT_NEAR(s.p99(), 49.6, 1e-12);
  EXPECT_DOUBLE_EQ(s.quantile(0.0), 15.0);
  EXPECT_DOUBLE_EQ(s.quantile(1.0), 50.0);
  // Nearest rank: ceil(q n) - 1 -> 0.3 -> x[1] = 20, 0.4 -> x[1] = 20, 0.9 -> x[4] = 50
  EXPECT_DOUBLE_EQ(s.quantile_nearest_rank(0.3), 20.0);
  EXPECT_DOUBLE_EQ(s.quantile_nearest_rank(0.4), 20.0);
  EXPECT_DOUBLE_EQ(s.quantile_nearest_rank(0.9), 50.0);
  EXPECT_DOUBLE_EQ(s.mean(), 32.0);
  EXPECT_DOUBLE_EQ(s.variance(), 207.5);  // sum of squared deviations 830 / 4
  EXPECT_EQ(s.count(), 5u);
  EXPECT_DOUBLE_EQ(s.min(), 15.0);
  EXPECT_DOUBLE_EQ(s.max(), 50.0);
  EXPECT_THROW(s.quantile(1.5), std::invalid_argument);
}

TEST(SampleSet, UnsortedInputAndEmpty) {
  SampleSet s;
  EXPECT_TRUE(std::isnan(s.p50()));
  EXPECT_TRUE(std::isnan(s.mean()));
  for (double x : {4.0, 1.0, 3.0, 2.0}) s.add(x);
  EXPECT_DOUBLE_EQ(s.p50(), 2.5);
  EXPECT_DOUBLE_EQ(s.quantile(0.25), 1.75);
  s.add(0.0);  // after sorting, a new sample still counts
  EXPECT_DOUBLE_EQ(s.p50(), 2.0);
  EXPECT_DOUBLE_EQ(s.min(), 0.0);
}

TEST(TimeWeightedAverage, PiecewiseConstantMean) {
  TimeWeightedAverage a(0, 2.0);
  a.set(10, 4.0);  // 2 over [0,10)
  a.set(15, 0.0);  // 4 over [10,15)
  // 0 over [15,20): integral 20 + 20 = 40 over 20
  EXPECT_DOUBLE_EQ(a.integral(20), 40.0);
  EXPECT_DOUBLE_EQ(a.mean(20), 2.0);
  EXPECT_DOUBLE_EQ(a.max(), 4.0);
  EXPECT_DOUBLE_EQ(a.min(), 0.0);
  a.reset(20);
  a.set(25, 1.0);
  EXPECT_DOUBLE_EQ(a.mean(30), 0.5);
  EXPECT_THROW(a.set(24, 0.0), std::logic_error);
  Counter c;
  c.add();
  c.add(4);
  EXPECT_EQ(c.value(), 5u);
}

TEST(EnergyLedger, ExactPiecewiseIntegration) {
  EnergyLedger e;
  const ComponentId gpu = e.add("gpu0", "gpu");
  e.set_power(gpu, 700.0, 0);
  e.set_power(gpu, 100.0, kSecond);
  EXPECT_EQ(e.energy_j(gpu, kSecond + kSecond / 2), 750.0);  // exactly
  EXPECT_EQ(e.energy_uw_ps(gpu, kSecond + kSecond / 2), static_cast<EnergyLedger::EnergyUwPs>(750) * 1'000'000'000 * 1'000'000'000);
  EXPECT_DOUBLE_EQ(e.average_power_w(kSecond + kSecond / 2), 500.0);
}

TEST(EnergyLedger, ManyTinyUpdatesEqualOne) {
  EnergyLedger one, many;
  const ComponentId a = one.add("cpu", "cpu");
  const ComponentId b = many.add("cpu", "cpu");
  one.set_power(a, 123.456789, 0);
  for (Time t = 0; t < kSecond; t += 7 * kMicrosecond + 3) many.set_power(b, 123.456789, t);
  EXPECT_EQ(one.energy_uw_ps(a, kSecond), many.energy_uw_ps(b, kSecond));
  EXPECT_EQ(one.energy_j(a, kSecond), many.energy_j(b, kSecond));
  EXPECT_DOUBLE_EQ(one.energy_j(a, kSecond), 123.456789);
}

TEST(EnergyLedger, UnchangedPowerStillRefusesTimeGoingBack) {
  // An unchanged draw is not re-accrued, but an update earlier than the latest one is still an error.
  EnergyLedger e;
  const ComponentId a = e.add("gpu", "gpu");
  e.set_power(a, 100.0, 0);
  e.set_power(a, 100.0, 2 * kSecond);
  EXPECT_THROW(e.set_power(a, 100.0, kSecond), std::logic_error);
  EXPECT_THROW(e.set_power(a, 50.0, kSecond), std::logic_error);
  e.set_power(a, 50.0, 3 * kSecond);
  EXPECT_EQ(e.energy_j(a, 4 * kSecond), 350.0);
}

TEST(EnergyLedger, MultiplicityCategoriesAndOrderIndependence) {
  EnergyLedger e;
  const ComponentId gpus = e.add("gpus", "gpu", 8192);
  const ComponentId nic = e.add("nics", "network", 1024);
  const ComponentId sw = e.add("switch", "network");
  e.set_power(gpus, 1000.0, 0);
  e.set_power(nic, 25.0, 0);
  e.set_power(sw, 750.0, kSecond);
  e.set_power(gpus, 300.0, 2 * kSecond);
  EXPECT_DOUBLE_EQ(e.power_w(gpus), 300.0 * 8192);
  const Time end = 4 * kSecond;
  EXPECT_EQ(e.energy_j(gpus, end), 8192.0 * (1000 * 2 + 300 * 2));
  EXPECT_EQ(e.category_energy_j("network", end), 1024.0 * 25 * 4 + 750.0 * 3);
  EXPECT_EQ(e.total_energy_j(end), 8192.0 * 2600 + 102400 + 2250);
  EXPECT_EQ(e.categories(), (std::vector<std::string>{"gpu", "network"}));
  const auto at2 = e.total_energy_uw_ps(2 * kSecond);
  EXPECT_THROW(e.set_power(sw, 1.0, kSecond / 2), std::logic_error);
  const auto at4 = e.total_energy_uw_ps(end);
  EXPECT_DOUBLE_EQ(EnergyLedger::average_power_w(at2, 2 * kSecond, at4, end), 300.0 * 8192 + 25600 + 750);
}

TEST(Trace, WritesChromeTraceJson) {
  TraceRecorder tr;
  tr.process_name(1, "gpu \"0\"");
  tr.thread_name(1, 2, "stream\\1");
  tr.complete("gemm\n", "compute", 1, 2, 1'234'567, 5'000'001, {{"flops", std::int64_t{42}}, {"eff", 0.5}});
  tr.counter("power_w", 1, 2 * kMicrosecond, 700.5);
  tr.instant("mark", "x", 1, 2, 3);
  const std::string j = tr.to_json();
  EXPECT_EQ(j.rfind("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", 0), 0u);
  EXPECT_NE(j.find("{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":1,\"tid\":0,\"args\":{\"name\":\"gpu \\\"0\\\"\"}}"),
            std::string::npos);
  EXPECT_NE(j.find("\"args\":{\"name\":\"stream\\\\1\"}"), std::string::npos);
  EXPECT_NE(j.find("{\"ph\":\"X\",\"name\":\"gemm\\n\",\"cat\":\"compute\",\"pid\":1,\"tid\":2,\"ts\":1.234567,"
                   "\"dur\":5.000001,\"args\":{\"flops\":42,\"eff\":0.5}}"),
            std::string::npos)
      << j;
  EXPECT_NE(j.find("{\"ph\":\"C\",\"name\":\"power_w\",\"pid\":1,\"tid\":0,\"ts\":2.000000,\"args\":{\"value\":700.5}}"),
            std::string::npos);
  EXPECT_NE(j.find("\"ts\":0.000003,\"s\":\"t\""), std::string::npos);
  EXPECT_EQ(j.substr(j.size() - 4), "\n]}\n");
  // Balanced brackets and quotes outside escapes: a cheap well-formedness check.
  int depth = 0;
  bool in_str = false;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const char c = j[i];
    if (in_str) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_str = false;
      } else {
        ASSERT_GE(static_cast<unsigned char>(c), 0x20) << "raw control character in a string";
      }
      continue;
    }
    if (c == '"') in_str = true;
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') --depth;
    ASSERT_GE(depth, 0);
  }
  EXPECT_EQ(depth, 0);
  EXPECT_FALSE(in_str);
}

TEST(Trace, EscapesControlCharactersAndDisabledRecordsNothing) {
  std::ostringstream o;
  TraceRecorder::write_escaped(o, std::string("a\x01" "b\tc\x7f", 6));
  EXPECT_EQ(o.str(), "\"a\\u0001b\\tc\\u007f\"");
  TraceRecorder off(false);
  off.complete("x", "y", 0, 0, 0, 1);
  off.counter("c", 0, 0, 1.0);
  off.process_name(0, "p");
  EXPECT_EQ(off.size(), 0u);
  EXPECT_EQ(off.to_json(), "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n]}\n");
}

TEST(Fingerprint, OrderSensitive) {
  Fingerprint a, b;
  a.add_time(1);
  a.add_time(2);
  b.add_time(2);
  b.add_time(1);
  EXPECT_NE(a.value(), b.value());
  Fingerprint c;
  c.add_time(1);
  c.add_time(2);
  EXPECT_EQ(a.value(), c.value());
}

}  // namespace
}  // namespace dcsim::sim

namespace dcsim::sim {
namespace {

void record(TraceRecorder& t) {
  t.process_name(0, "p");
  t.complete("a", "c", 0, 1, 10 * kMicrosecond, 5 * kMicrosecond);
  t.counter("q", 0, 12 * kMicrosecond, 3.0);
  t.async_span("r", "req", 1, 7, 11 * kMicrosecond, 2 * kMicrosecond, {{"n", std::int64_t{4}}});
  t.complete("late", "c", 0, 1, 30 * kMicrosecond, kMicrosecond);
}

TEST(TraceStreaming, WritesTheSameEventsAsInMemory) {
  TraceRecorder held;
  record(held);
  std::ostringstream streamed_out;
  TraceRecorder streamed;
  streamed.stream_to(streamed_out);
  record(streamed);
  streamed.finish();
  streamed.finish();  // idempotent
  EXPECT_EQ(streamed_out.str(), held.to_json());
  EXPECT_EQ(streamed.size(), 5u);  // a, q, r begin, r end, late
  EXPECT_NE(streamed_out.str().find(R"({"ph":"b","name":"r","cat":"req","pid":1,"tid":0,"id":7,"ts":11.000000,"args":{"n":4}})"),
            std::string::npos);
  EXPECT_NE(streamed_out.str().find(R"({"ph":"e","name":"r","cat":"req","pid":1,"tid":0,"id":7,"ts":13.000000})"),
            std::string::npos);
}

TEST(TraceStreaming, AWindowKeepsWhatOverlapsItAndEveryName) {
  TraceRecorder t;
  t.set_window(12 * kMicrosecond, 20 * kMicrosecond);
  record(t);
  const std::string json = t.to_json();
  EXPECT_NE(json.find("\"name\":\"a\""), std::string::npos);     // [10, 15) overlaps
  EXPECT_NE(json.find("\"name\":\"q\""), std::string::npos);     // at 12
  EXPECT_NE(json.find("\"name\":\"r\""), std::string::npos);     // [11, 13)
  EXPECT_EQ(json.find("\"name\":\"late\""), std::string::npos);  // [30, 31)
  EXPECT_NE(json.find("process_name"), std::string::npos);
}

}  // namespace
}  // namespace dcsim::sim
