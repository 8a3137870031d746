#include "gateway/events.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>

#include "gateway/store/sqlite.h"

namespace farmgate::gateway {
namespace {

class Recording final : public EventSink {
 public:
  void raise(Event e) override {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(e));
  }
  std::vector<Event> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Event> events_;
};

class NoEvents final : public EventSink {
  void raise(Event) override {}
};

TEST(EventHubTest, ThePageHearsOfAnAlarmWithTheRowIdItAcknowledges) {
  char tmpl[] = "/tmp/farmgate-events-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  {
    FakeClock clock;
    MemoryLogger log;
    Metrics metrics;
    NoEvents store_events;
    store::StoreOptions options;
    options.config.path = dir + "/farmgate.db";
    options.config.journal_dir = dir + "/journal";
    auto store = store::Store::open(options, clock, metrics, log, store_events);
    ASSERT_TRUE(store.ok()) << store.error().message;
    (*store)->start({});

    EventHub hub("farm", log, metrics);
    Recording page;
    hub.attach(store->get(), nullptr);
    hub.tap(&page);
    hub.raise(Event{Severity::info, "started", "gateway", "up", clock.now()});
    hub.raise(Event{Severity::alarm, "no_flow", "actuators", "no water on main", clock.now()});
    hub.raise(Event{Severity::warning, "sensor_stale", "rules", "soil-z1 silent", clock.now()});
    (*store)->flush();

    const auto heard = page.events();
    ASSERT_EQ(heard.size(), 2u) << "info events are not alarms for the page";
    auto db = sqlite::Db::open(options.config.path, true);
    ASSERT_TRUE(db.ok());
    for (const auto& e : heard) {
      auto st = sqlite::Stmt::prepare(*db, "SELECT code FROM events WHERE id=?");
      ASSERT_TRUE(st.ok());
      st->bind(1, e.id);
      auto row = st->step();
      ASSERT_TRUE(row.ok() && *row) << "no row " << e.id << " for " << e.code;
      EXPECT_EQ(st->text(0), e.code);
    }
    EXPECT_NE(heard[0].id, heard[1].id);
    hub.detach();
    (*store)->stop();
  }
  std::filesystem::remove_all(dir);
}

TEST(EventHubTest, BeforeTheStoreIsAttachedAlarmsReachThePageAtOnceWithoutAnId) {
  MemoryLogger log;
  Metrics metrics;
  EventHub hub("farm", log, metrics);
  Recording page;
  hub.tap(&page);
  hub.raise(Event{Severity::alarm, "run_interrupted", "actuators", "crash", Timestamp{}});
  ASSERT_EQ(page.events().size(), 1u);
  EXPECT_EQ(page.events()[0].id, 0);
}

}  // namespace
}  // namespace farmgate::gateway
