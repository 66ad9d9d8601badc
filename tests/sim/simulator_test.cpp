#include "sim/simulator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <functional>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/event_queue.hpp"
#include "sim/random.hpp"
#include "sim/time.hpp"

namespace dcsim::sim {
namespace {

TEST(Time, Constants) {
  EXPECT_EQ(kNanosecond, 1000);
  EXPECT_EQ(kMicrosecond, 1000 * kNanosecond);
  EXPECT_EQ(kMillisecond, 1000 * kMicrosecond);
  EXPECT_EQ(kSecond, 1'000'000'000'000);
}

TEST(Time, FromSecondsRoundsToNearest) {
  EXPECT_EQ(from_seconds(1.0), kSecond);
  EXPECT_EQ(from_seconds(1e-9), kNanosecond);
  EXPECT_EQ(from_seconds(0.4e-12), 0);
  EXPECT_EQ(from_seconds(0.6e-12), 1);
  EXPECT_EQ(from_seconds(2.5e-12), 3);  // halves away from zero
  EXPECT_EQ(from_seconds(-1e-6), -kMicrosecond);
  EXPECT_DOUBLE_EQ(to_seconds(1500 * kMillisecond), 1.5);
}

TEST(Time, FromSecondsRejectsOutOfRange) {
  EXPECT_THROW(from_seconds(1e8), TimeHorizonExceeded);  // 1e20 ps > 9.2e18: a limit a long scenario reaches
  // NaN or infinity is a bug upstream, not a long scenario: a plain overflow_error.
  const auto is_horizon = [](double s) {
    try {
      from_seconds(s);
    } catch (const TimeHorizonExceeded&) {
      return true;
    } catch (const std::overflow_error&) {
      return false;
    }
    return false;
  };
  EXPECT_FALSE(is_horizon(std::numeric_limits<double>::infinity()));
  EXPECT_FALSE(is_horizon(std::numeric_limits<double>::quiet_NaN()));
  EXPECT_NO_THROW(from_seconds(9e6));  // 104 days
  EXPECT_DOUBLE_EQ(kTimeHorizonSeconds, 9223372.036854775807);
}

TEST(Simulator, DelayPastTheHorizonIsALimitNotABug) {
  Simulator s;
  s.schedule_at(kTimeMax - kSecond, [] {});
  s.run();
  EXPECT_THROW(s.schedule_in(2 * kSecond, [] {}), TimeHorizonExceeded);
  EXPECT_NO_THROW(s.schedule_in(kSecond, [] {}));
}

TEST(EventBudget, ASimulatorStopsAtTheBudgetOfItsScope) {
  const auto chain = [](Simulator& s, int n) {  // n events, each scheduling the next
    auto count = std::make_shared<int>(0);
    std::function<void()> tick = [&s, count, n, &tick] {
      if (++*count < n) s.schedule_in(kSecond, tick);
    };
    s.schedule_at(0, tick);
    s.run();
    return *count;
  };
  {
    EventBudgetScope scope(10);
    Simulator bounded;
    EXPECT_EQ(bounded.event_limit(), 10u);
    EXPECT_EQ(chain(bounded, 10), 10);  // exactly the budget: runs
    Simulator over;
    try {
      chain(over, 11);
      ADD_FAILURE() << "the 11th event ran";
    } catch (const EventBudgetExceeded& e) {
      EXPECT_EQ(e.limit(), 10u);
      EXPECT_EQ(e.at(), 10 * kSecond);  // the 11th event's time
      EXPECT_EQ(over.events_executed(), 10u);
    }
    {
      EventBudgetScope inner(kUnlimitedEvents);
      Simulator unbounded;
      EXPECT_EQ(chain(unbounded, 100), 100);
    }
    EXPECT_EQ(current_event_budget(), 10u);  // the inner scope restored the outer
  }
  EXPECT_EQ(current_event_budget(), kUnlimitedEvents);
}

TEST(Time, TransferTimeRoundsUpOnce) {
  EXPECT_EQ(transfer_time(1000, 1e9), kMicrosecond);  // exact
  EXPECT_EQ(transfer_time(1, 3e12), 1);               // 0.333 ps -> 1
  EXPECT_EQ(transfer_time(10, 3e12), 4);              // 3.33 ps -> 4
  EXPECT_EQ(transfer_time(0, 1e9), 0);
  EXPECT_EQ(transfer_time(900e9, 900e9), kSecond);
  EXPECT_THROW(transfer_time(1, 0), std::invalid_argument);
  EXPECT_THROW(transfer_time(-1, 1), std::invalid_argument);
  EXPECT_THROW(transfer_time(1e30, 1), std::overflow_error);
}

TEST(Simulator, RunsInTimeOrderThenSchedulingOrder) {
  Simulator s;
  std::vector<std::string> log;
  s.schedule_at(20, [&] { log.push_back("t20a"); });
  s.schedule_at(10, [&] { log.push_back("t10a"); });
  s.schedule_at(20, [&] { log.push_back("t20b"); });
  s.schedule_at(10, [&] { log.push_back("t10b"); });
  s.schedule_at(0, [&] {
    log.push_back("t0");
    s.schedule_in(10, [&] { log.push_back("t10c"); });  // scheduled later than t10a/b: runs after them
  });
  s.run();
  EXPECT_EQ(log, (std::vector<std::string>{"t0", "t10a", "t10b", "t10c", "t20a", "t20b"}));
  EXPECT_EQ(s.now(), 20);
  EXPECT_EQ(s.events_executed(), 6u);
  EXPECT_EQ(s.pending(), 0u);
}

TEST(Simulator, ManyTiesKeepSchedulingOrder) {
  Simulator s;
  std::vector<int> order;
  RandomStream r(1, "ties");
  std::vector<std::pair<Time, int>> expected;
  for (int i = 0; i < 5000; ++i) {
    const Time t = static_cast<Time>(r.below(50));
    expected.emplace_back(t, i);
    s.schedule_at(t, [&order, i] { order.push_back(i); });
  }
  std::stable_sort(expected.begin(), expected.end(), [](auto& a, auto& b) { return a.first < b.first; });
  s.run();
  ASSERT_EQ(order.size(), expected.size());
  for (std::size_t i = 0; i < order.size(); ++i) ASSERT_EQ(order[i], expected[i].second) << i;
}

TEST(Simulator, SchedulingInThePastThrows) {
  Simulator s;
  s.schedule_at(100, [] {});
  s.run();
  EXPECT_THROW(s.schedule_at(99, [] {}), std::logic_error);
  EXPECT_THROW(s.schedule_in(-1, [] {}), std::logic_error);
  EXPECT_NO_THROW(s.schedule_at(100, [] {}));
}

TEST(Simulator, CancelledEventsNeverRun) {
  Simulator s;
  int ran = 0;
  const EventId a = s.schedule_at(10, [&] { ran += 1; });
  const EventId b = s.schedule_at(20, [&] { ran += 10; });
  const EventId c = s.schedule_at(30, [&] { ran += 100; });
  EXPECT_EQ(s.pending(), 3u);
  EXPECT_TRUE(s.cancel(b));
  EXPECT_FALSE(s.cancel(b));  // twice
  EXPECT_EQ(s.pending(), 2u);
  s.run_until(10);
  EXPECT_EQ(ran, 1);
  EXPECT_FALSE(s.cancel(a));  // already ran
  s.run();
  EXPECT_EQ(ran, 101);
  EXPECT_FALSE(s.cancel(c));
  EXPECT_FALSE(s.cancel(EventId{}));
  EXPECT_FALSE(s.cancel(EventId{(std::uint64_t{123456} << 32) | 1}));  // never issued
  EXPECT_EQ(s.events_executed(), 2u);
}

TEST(Simulator, StaleIdDoesNotCancelSlotReuser) {
  Simulator s;
  int ran = 0;
  const EventId a = s.schedule_at(1, [&] { ++ran; });
  s.run();
  const EventId b = s.schedule_at(2, [&] { ++ran; });  // reuses a's slot
  EXPECT_NE(a, b);
  EXPECT_FALSE(s.cancel(a));
  s.run();
  EXPECT_EQ(ran, 2);
}

TEST(Simulator, EventCannotCancelItselfWhileRunning) {
  Simulator s;
  EventId self;
  bool result = true;
  self = s.schedule_at(5, [&] { result = s.cancel(self); });
  s.run();
  EXPECT_FALSE(result);
}

TEST(Simulator, CancelDestroysCallableAtOnce) {
  Simulator s;
  auto token = std::make_shared<int>(7);
  const EventId id = s.schedule_at(10, [token] {});
  EXPECT_EQ(token.use_count(), 2);
  s.cancel(id);
  EXPECT_EQ(token.use_count(), 1);
}

TEST(Simulator, MassCancellationReclaimsMemory) {
  Simulator s;
  int ran = 0;
  std::vector<EventId> ids;
  for (int i = 0; i < 100'000; ++i) ids.push_back(s.schedule_at(1000 + i, [&] { ++ran; }));
  for (int i = 0; i < 100'000; ++i) {
    if (i % 100 != 0) {
      ASSERT_TRUE(s.cancel(ids[static_cast<std::size_t>(i)]));
    }
  }
  EXPECT_EQ(s.pending(), 1000u);
  // Compaction ran: new events reuse the freed slots (ids' slot numbers stay below the high-water mark).
  for (int i = 0; i < 50'000; ++i) {
    const EventId id = s.schedule_at(500, [] {});
    ASSERT_LT(id.value >> 32, 100'000u);
  }
  s.run();
  EXPECT_EQ(ran, 1000);
  EXPECT_EQ(s.events_executed(), 51'000u);
}

TEST(Simulator, RunUntilStopsAtBoundaryInclusive) {
  Simulator s;
  std::vector<Time> seen;
  for (Time t : {5, 10, 15, 20}) s.schedule_at(t, [&, t] { seen.push_back(t); });
  s.run_until(15);
  EXPECT_EQ(seen, (std::vector<Time>{5, 10, 15}));
  EXPECT_EQ(s.now(), 15);
  s.run_until(17);
  EXPECT_EQ(s.now(), 17);
  EXPECT_EQ(s.pending(), 1u);
  EXPECT_EQ(s.next_event_time(), 20);
  EXPECT_THROW(s.run_until(16), std::logic_error);
  s.run();
  EXPECT_EQ(seen.back(), 20);
  EXPECT_EQ(s.next_event_time(), kTimeMax);
}

TEST(Simulator, StopReturnsAfterCurrentEvent) {
  Simulator s;
  int ran = 0;
  s.schedule_at(1, [&] { ++ran; });
  s.schedule_at(2, [&] {
    ++ran;
    s.stop();
  });
  s.schedule_at(3, [&] { ++ran; });
  s.run();
  EXPECT_EQ(ran, 2);
  EXPECT_EQ(s.now(), 2);
  s.run();
  EXPECT_EQ(ran, 3);
}

TEST(Simulator, MoveOnlyAndLargeCallables) {
  Simulator s;
  int sum = 0;
  auto p = std::make_unique<int>(5);
  s.schedule_at(1, [&sum, p = std::move(p)] { sum += *p; });
  std::array<long, 32> big{};  // 256 bytes: stored out of line
  big[31] = 7;
  s.schedule_at(2, [&sum, big] { sum += static_cast<int>(big[31]); });
  s.run();
  EXPECT_EQ(sum, 12);
}

TEST(Simulator, ExceptionPropagatesAndSimulatorStaysUsable) {
  Simulator s;
  int ran = 0;
  s.schedule_at(1, [] { throw std::runtime_error("boom"); });
  s.schedule_at(2, [&] { ++ran; });
  EXPECT_THROW(s.run(), std::runtime_error);
  EXPECT_EQ(s.now(), 1);
  EXPECT_EQ(s.pending(), 1u);
  s.run();
  EXPECT_EQ(ran, 1);
}

TEST(Simulator, PendingCallbacksDestroyedWithSimulator) {
  auto token = std::make_shared<int>(1);
  {
    Simulator s;
    s.schedule_at(10, [token] {});
    std::array<char, 200> big{};
    s.schedule_at(10, [token, big] { (void)big; });
    EXPECT_EQ(token.use_count(), 3);
  }
  EXPECT_EQ(token.use_count(), 1);
}

TEST(Simulator, SequenceRenumberingKeepsOrder) {
  Simulator s;
  std::vector<int> order;
  s.set_next_sequence_for_testing(Simulator::kMaxSequence - 3);
  for (int i = 0; i < 10; ++i) s.schedule_at(100, [&order, i] { order.push_back(i); });
  s.schedule_at(50, [&order] { order.push_back(-1); });
  s.run();
  EXPECT_EQ(order, (std::vector<int>{-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(Simulator, FingerprintIsDeterministicAndSensitive) {
  auto run = [](Time extra) {
    Simulator s;
    for (Time t : {3, 1, 2}) s.schedule_at(t, [] {});
    s.schedule_at(extra, [] {});
    s.run();
    return s.fingerprint();
  };
  EXPECT_EQ(run(4), run(4));
  EXPECT_NE(run(4), run(5));
}

// The same ordering checks on every queue implementation, against a sorted reference (random pushes and pops,
// times clustered, tied and with far outliers so that the calendar re-lays its epochs).
template <class Q>
class QueueTest : public ::testing::Test {};
using QueueTypes = ::testing::Types<detail::QuaternaryHeap, detail::CalendarQueue>;
TYPED_TEST_SUITE(QueueTest, QueueTypes);

TYPED_TEST(QueueTest, MatchesSortedReference) {
  TypeParam q;
  std::vector<detail::QueueKey> ref;
  RandomStream r(3, "queue");
  std::uint64_t seq = 0;
  Time now = 0;
  for (int round = 0; round < 60'000; ++round) {
    if (r.below(5) < 3 || ref.empty()) {
      const auto kind = r.below(10);
      const Time dt = kind == 0 ? 0 : kind == 1 ? static_cast<Time>(r.below(1'000'000'000)) : static_cast<Time>(r.below(1000));
      const detail::QueueKey k{now + dt, seq++};
      q.push(k);
      ref.push_back(k);
    } else {
      auto it = std::min_element(ref.begin(), ref.end(), detail::key_less);
      ASSERT_EQ(q.top().time, it->time) << round;
      ASSERT_EQ(q.top().order, it->order) << round;
      now = it->time;
      ref.erase(it);
      q.pop();
    }
    ASSERT_EQ(q.size(), ref.size());
  }
  q.remove_if([](const detail::QueueKey& k) { return k.order % 2 == 0; });
  std::erase_if(ref, [](const detail::QueueKey& k) { return k.order % 2 == 0; });
  ASSERT_EQ(q.size(), ref.size());
  std::sort(ref.begin(), ref.end(), detail::key_less);
  for (const auto& k : ref) {
    ASSERT_EQ(q.top().order, k.order);
    q.pop();
  }
  EXPECT_TRUE(q.empty());
}

TYPED_TEST(QueueTest, AllKeysAtOneTime) {
  TypeParam q;
  for (std::uint64_t i = 0; i < 10'000; ++i) q.push(detail::QueueKey{77, 10'000 - i});
  for (std::uint64_t i = 1; i <= 10'000; ++i) {
    ASSERT_EQ(q.top().order, i);
    q.pop();
  }
  EXPECT_TRUE(q.empty());
}


// Large populations (two bucket levels), spread and clustered times, and inserts far from the end of a big near
// bucket (heap fallback), checked against a sorted reference.
TYPED_TEST(QueueTest, LargePopulationAndNearInserts) {
  TypeParam q;
  std::vector<detail::QueueKey> ref;
  RandomStream r(5, "queue.large");
  std::uint64_t seq = 0;
  Time now = 0;
  auto push = [&](Time t) {
    const detail::QueueKey k{t, seq++};
    q.push(k);
    ref.push_back(k);
  };
  for (int i = 0; i < 40'000; ++i) push(static_cast<Time>(r.below(10'000'000)));
  for (int i = 0; i < 5'000; ++i) push(5'000'000 + static_cast<Time>(r.below(100)));  // a dense cluster
  std::sort(ref.begin(), ref.end(), detail::key_less);
  std::size_t head = 0;
  for (int round = 0; round < 120'000 && head < ref.size(); ++round) {
    ASSERT_EQ(q.top().order, ref[head].order) << round;
    now = ref[head].time;
    ++head;
    q.pop();
    const auto kind = r.below(8);
    if (kind < 5) {
      const Time t = kind == 0 ? now : kind == 1 ? now + static_cast<Time>(r.below(50))
                                                 : now + static_cast<Time>(r.below(2'000'000));
      const detail::QueueKey k{t, seq++};
      q.push(k);
      ref.insert(std::upper_bound(ref.begin() + static_cast<std::ptrdiff_t>(head), ref.end(), k, detail::key_less), k);
    }
    ASSERT_EQ(q.size(), ref.size() - head);
  }
}

TEST(Simulator, HoldModelOrderWithManyPendingAndCancels) {
  // A hold model with 50k pending events (two bucket levels) plus cancellations of in-entry and slab callables;
  // checks the global (time, sequence) order of what runs.
  Simulator s;
  RandomStream r(9, "hold");
  std::vector<std::pair<Time, std::uint64_t>> ran;
  std::uint64_t next_id = 0;
  std::vector<EventId> cancellable;
  std::function<void(std::uint64_t)> sched = [&](std::uint64_t id) {
    const Time dt = static_cast<Time>(r.below(1'000'000));
    if (id % 7 == 0) {
      auto token = std::make_shared<std::uint64_t>(id);  // not trivially copyable: slab
      cancellable.push_back(s.schedule_in(dt, [&, token] {
        ran.emplace_back(s.now(), *token);
        sched(next_id++);
      }));
    } else {
      cancellable.push_back(s.schedule_in(dt, [&ran, &s] { ran.emplace_back(s.now(), 0); }));
    }
  };
  for (int i = 0; i < 50'000; ++i) sched(next_id++);
  std::size_t cancelled = 0;
  for (std::size_t i = 0; i < cancellable.size(); i += 3) cancelled += s.cancel(cancellable[i]) ? 1 : 0;
  EXPECT_EQ(s.pending(), 50'000u - cancelled);
  s.run();
  ASSERT_FALSE(ran.empty());
  for (std::size_t i = 1; i < ran.size(); ++i) ASSERT_LE(ran[i - 1].first, ran[i].first) << i;
  EXPECT_EQ(s.pending(), 0u);
}

}  // namespace
}  // namespace dcsim::sim
