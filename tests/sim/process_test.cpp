#include "sim/process.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/resource.hpp"

namespace dcsim::sim {
namespace {

struct Log {
  std::vector<std::pair<Time, std::string>> entries;
  void add(Time t, std::string what) { entries.emplace_back(t, std::move(what)); }
};

Process sleeper(Simulator& s, Time dt, Log& log, std::string name) {
  log.add(s.now(), name + ".start");
  co_await s.delay(dt);
  log.add(s.now(), name + ".end");
}

TEST(Process, DelayArithmetic) {
  Simulator s;
  std::vector<Time> seen;
  auto body = [](Simulator& sim, std::vector<Time>& out) -> Process {
    out.push_back(sim.now());
    co_await sim.delay(5 * kNanosecond);
    out.push_back(sim.now());
    co_await sim.delay(0);
    out.push_back(sim.now());
    co_await sim.delay(3 * kMicrosecond);
    out.push_back(sim.now());
    co_await sim.delay_until(10 * kMicrosecond);
    out.push_back(sim.now());
  };
  s.schedule_at(7, [] {});
  s.run();
  s.spawn(body(s, seen));
  s.run();
  EXPECT_EQ(seen, (std::vector<Time>{7, 7 + 5000, 7 + 5000, 7 + 5000 + 3'000'000, 10'000'000}));
  EXPECT_EQ(s.now(), 10'000'000);
}

TEST(Process, SpawnJoinReturnsAtChildEnd) {
  Simulator s;
  Log log;
  Time joined_at = -1;
  auto parent = [](Simulator& sim, Log& lg, Time& out) -> Process {
    ProcessHandle c = sim.spawn(sleeper(sim, 40, lg, "child"));
    co_await sim.delay(10);
    co_await c;
    out = sim.now();
    co_await c;  // joining a finished process returns at once
    EXPECT_EQ(sim.now(), out);
    EXPECT_TRUE(c.done());
  };
  ProcessHandle p = s.spawn(parent(s, log, joined_at));
  s.run();
  EXPECT_EQ(joined_at, 40);
  EXPECT_TRUE(p.done());
  EXPECT_FALSE(p.failed());
}

TEST(Process, CoAwaitChildDirectly) {
  Simulator s;
  Log log;
  Time t = -1;
  auto parent = [](Simulator& sim, Log& lg, Time& out) -> Process {
    co_await sleeper(sim, 25, lg, "a");
    co_await sleeper(sim, 25, lg, "b");
    out = sim.now();
  };
  s.spawn(parent(s, log, t));
  s.run();
  EXPECT_EQ(t, 50);
  ASSERT_EQ(log.entries.size(), 4u);
  EXPECT_EQ(log.entries[2], (std::pair<Time, std::string>{25, "b.start"}));
}

TEST(Process, AllOfFinishesAtMaxAnyOfAtMin) {
  Simulator s;
  Log log;
  Time all_t = -1, any_t = -1;
  auto parent = [](Simulator& sim, Log& lg, Time& a, Time& b) -> Process {
    std::vector<Process> kids;
    kids.push_back(sleeper(sim, 30, lg, "x"));
    kids.push_back(sleeper(sim, 70, lg, "y"));
    kids.push_back(sleeper(sim, 50, lg, "z"));
    co_await all_of(std::move(kids));
    a = sim.now();
    std::vector<Process> racers;
    racers.push_back(sleeper(sim, 30, lg, "p"));
    racers.push_back(sleeper(sim, 12, lg, "q"));
    racers.push_back(sleeper(sim, 90, lg, "r"));
    co_await any_of(std::move(racers));
    b = sim.now();
  };
  s.spawn(parent(s, log, all_t, any_t));
  s.run();
  EXPECT_EQ(all_t, 70);
  EXPECT_EQ(any_t, 70 + 12);
  EXPECT_EQ(s.now(), 70 + 90);  // the losers kept running
  EXPECT_EQ(log.entries.size(), 12u);
}

TEST(Process, EmptyAllOfAndAnyOfReturnAtOnce) {
  Simulator s;
  Time t = -1;
  auto parent = [](Simulator& sim, Time& out) -> Process {
    co_await sim.delay(5);
    co_await all_of(std::vector<Process>{});
    co_await any_of(std::vector<Process>{});
    out = sim.now();
  };
  s.spawn(parent(s, t));
  s.run();
  EXPECT_EQ(t, 5);
}

TEST(Process, EventWakesWaitersInFifoOrderAtTriggerTime) {
  Simulator s;
  Event ev(s);
  std::vector<std::pair<int, Time>> woke;
  auto waiter = [](Simulator& sim, Event& e, int id, Time start, std::vector<std::pair<int, Time>>& out) -> Process {
    co_await sim.delay(start);
    co_await e;
    out.emplace_back(id, sim.now());
  };
  s.spawn(waiter(s, ev, 3, 30, woke));
  s.spawn(waiter(s, ev, 1, 10, woke));
  s.spawn(waiter(s, ev, 2, 20, woke));
  s.schedule_at(100, [&] { ev.trigger(); });
  s.spawn(waiter(s, ev, 4, 150, woke));  // after the trigger: passes at once
  s.run();
  EXPECT_EQ(woke, (std::vector<std::pair<int, Time>>{{1, 100}, {2, 100}, {3, 100}, {4, 150}}));
  EXPECT_TRUE(ev.triggered());
  EXPECT_EQ(ev.trigger_time(), 100);
  EXPECT_THROW(ev.trigger(), std::logic_error);
}

TEST(Process, SignalCanBeWaitedOnRepeatedly) {
  Simulator s;
  Signal room(s);
  int capacity = 0;
  std::vector<Time> admitted;
  auto consumer = [](Simulator& sim, Signal& sig, int& cap, std::vector<Time>& out) -> Process {
    for (int i = 0; i < 3; ++i) {
      while (cap == 0) co_await sig.wait();
      --cap;
      out.push_back(sim.now());
    }
  };
  s.spawn(consumer(s, room, capacity, admitted));
  for (Time t : {10, 20, 30}) {
    s.schedule_at(t, [&] {
      ++capacity;
      room.notify_all();
    });
  }
  s.schedule_at(15, [&] { room.notify_one(); });  // spurious: the loop re-checks
  s.run();
  EXPECT_EQ(admitted, (std::vector<Time>{10, 20, 30}));
  EXPECT_EQ(room.waiting(), 0u);
}

Process thrower(Simulator& s, Time dt) {
  co_await s.delay(dt);
  throw std::runtime_error("process failed");
}

TEST(Process, ExceptionPropagatesToRun) {
  Simulator s;
  s.spawn(thrower(s, 10));
  EXPECT_THROW(s.run(), std::runtime_error);
  EXPECT_EQ(s.now(), 10);
}

TEST(Process, ExceptionRethrownInJoinerWhoCanCatchIt) {
  Simulator s;
  std::string caught;
  auto parent = [](Simulator& sim, std::string& out) -> Process {
    try {
      co_await thrower(sim, 5);
    } catch (const std::runtime_error& e) {
      out = e.what();
    }
  };
  s.spawn(parent(s, caught));
  EXPECT_NO_THROW(s.run());
  EXPECT_EQ(caught, "process failed");
}

TEST(Process, FramesFreedWhenDoneAndAtTeardown) {
  auto token = std::make_shared<int>(0);
  auto holder = [](Simulator& sim, std::shared_ptr<int> t, Time dt) -> Process {
    co_await sim.delay(dt);
    (void)t;
  };
  {
    Simulator s;
    s.spawn(holder(s, token, 10));
    ProcessHandle h = s.spawn(holder(s, token, 20));
    Event never(s);
    auto stuck = [](Event& e, std::shared_ptr<int> t) -> Process {
      co_await e;
      (void)t;
    };
    s.spawn(stuck(never, token));
    Process unspawned = holder(s, token, 1);
    EXPECT_EQ(token.use_count(), 5);
    s.run();
    EXPECT_EQ(token.use_count(), 4);  // the first frame is freed; h keeps its finished frame until released
    EXPECT_TRUE(h.done());
    h = ProcessHandle();
    EXPECT_EQ(token.use_count(), 3);  // left: the stuck frame and the unspawned one
  }
  EXPECT_EQ(token.use_count(), 1);  // the stuck frame and the unspawned one were destroyed
}

TEST(FifoResource, FifoOrderAndUtilisation) {
  Simulator s;
  FifoResource res(s, 2);
  std::vector<std::pair<int, Time>> served;
  auto job = [](Simulator& sim, FifoResource& r, int id, Time arrive, Time work,
                std::vector<std::pair<int, Time>>& out) -> Process {
    co_await sim.delay(arrive);
    co_await r.acquire();
    out.emplace_back(id, sim.now());
    co_await sim.delay(work);
    r.release();
  };
  // Arrivals at 0,0,0,1,1 with 10 ps of work each, 2 servers.
  s.spawn(job(s, res, 0, 0, 10, served));
  s.spawn(job(s, res, 1, 0, 10, served));
  s.spawn(job(s, res, 2, 0, 10, served));
  s.spawn(job(s, res, 3, 1, 10, served));
  s.spawn(job(s, res, 4, 1, 10, served));
  s.run_until(5);
  EXPECT_EQ(res.queue_length(), 3u);
  EXPECT_EQ(res.busy(), 2);
  s.run();
  // Jobs 0,1 at 0; 2,3 at 10; 4 at 20; done at 30.
  EXPECT_EQ(served, (std::vector<std::pair<int, Time>>{{0, 0}, {1, 0}, {2, 10}, {3, 10}, {4, 20}}));
  EXPECT_EQ(s.now(), 30);
  // Busy servers: 2 over [0,20), 1 over [20,30): mean 50/30, utilisation 50/60.
  EXPECT_DOUBLE_EQ(res.mean_busy(), 50.0 / 30.0);
  EXPECT_DOUBLE_EQ(res.utilisation(), 50.0 / 60.0);
  // Queue: 1 over [0,1), 3 over [1,10), 1 over [10,20), 0 after: (1 + 27 + 10) / 30.
  EXPECT_DOUBLE_EQ(res.mean_queue_length(), 38.0 / 30.0);
  EXPECT_THROW(res.release(), std::logic_error);
}

TEST(FifoResource, NoBargingBySameInstantArrival) {
  Simulator s;
  FifoResource res(s, 1);
  std::vector<int> order;
  auto job = [](Simulator& sim, FifoResource& r, int id, Time arrive, std::vector<int>& out) -> Process {
    co_await sim.delay(arrive);
    co_await r.acquire();
    out.push_back(id);
    co_await sim.delay(10);
    r.release();
  };
  s.spawn(job(s, res, 0, 0, order));
  s.spawn(job(s, res, 1, 5, order));   // queued
  s.spawn(job(s, res, 2, 10, order));  // arrives exactly when 0 releases: must not overtake 1
  s.run();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
}

}  // namespace
}  // namespace dcsim::sim
