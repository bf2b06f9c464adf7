// task_worker: creates a task every `interval_ms` (default 2000) and runs
// it, spending its cost against a budget.
//   task.created   {"task_id":"t-9","kind":"report","cost":2.5}   (fresh correlation id)
//   task.completed {"task_id":..,"attempt":1}
//   task.failed    {"task_id":..,"attempt":1,"error":"timeout"}  (every 4th task)
// A `task.retry` {"task_id":..,"attempt":2} (from the task_recovery script)
// runs the task again: it succeeds unless the task is poisoned (every 12th
// fails every attempt). Outcomes carry the task's correlation id, with
// causation = the event that started the run.
// Budget: each run spends the task's cost; at 80% of `budget` (default
// 100.0) it publishes budget.alert {"level":"warning","spent":..,"limit":..},
// at 100% {"level":"critical",...} with priority critical. On
// operations.paused it stops creating tasks; on operations.resumed it starts
// again with its spending reset.
#include <chorus/plugin.hpp>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

using namespace chorus::sdk;
using chorus::json::Value;

namespace {

const char* const kKinds[] = {"report", "export", "index", "backup"};

class TaskWorker : public Agent {
 public:
  Status on_init(const Value& config) override {
    interval_ms_ = static_cast<int64_t>(config["interval_ms"].number(2000));
    budget_ = config["budget"].number(100.0);
    if (interval_ms_ < 10) return Status::invalid_argument("interval_ms must be at least 10");
    if (budget_ <= 0) return Status::invalid_argument("budget must be above 0");
    return {};
  }

  Status on_start() override {
    for (const char* p : {"task.retry", "operations.paused", "operations.resumed"})
      if (auto s = host().subscribe(p); !s.ok()) return s.status();
    auto t = host().every(std::chrono::milliseconds(interval_ms_), [this] { create(); });
    return t.ok() ? Status() : t.status();
  }

  Status on_event(const Event& e) override {
    if (e.type() == "operations.paused") {
      if (!paused_)
        host().info("operations paused (" + std::string(e.json()["reason"].string("?")) +
                    "): no new tasks");
      paused_ = true;
      return {};
    }
    if (e.type() == "operations.resumed") {
      if (paused_) host().info("operations resumed: creating tasks again, spending reset");
      paused_ = false;
      spent_ = 0;
      warned_ = critical_ = false;
      return {};
    }
    // task.retry
    const Value& d = e.json();
    const std::string id(d["task_id"].string());
    auto it = id.size() > 2 ? tasks_.find(std::atoi(id.c_str() + 2)) : tasks_.end();
    if (it == tasks_.end()) return {};  // not one of ours (or long forgotten)
    return run(id, it->second, static_cast<int>(d["attempt"].number(2)), e);
  }

 private:
  struct Task {
    int number;
    double cost;
  };

  void create() {
    if (paused_) return;
    const int n = ++count_;
    const std::string id = "t-" + std::to_string(n);
    const Task task{n, 1.0 + (n % 4) * 0.5};
    Value d = Value::object();
    d.set("task_id", id).set("kind", kKinds[n % 4]).set("cost", task.cost);
    const std::string correlation = host().new_id();
    std::string created_id;
    Status st =
        host().publish(Message("task.created").correlation_id(correlation).json(d), &created_id);
    if (!st) {
      host().warn("task " + id + " not created: " + st.message());
      return;
    }
    tasks_[n] = task;
    if (tasks_.size() > 256) tasks_.erase(tasks_.begin());  // keep recent tasks for retries
    // The first run: caused by the creation, in the task's correlation.
    spend(task.cost);
    (void)host().publish(
        outcome_of(id, task, 1).correlation_id(correlation).causation_id(created_id));
    if (n % 10 == 0) {
      char line[160];
      std::snprintf(line, sizeof(line),
                    "%d tasks: %d completed, %d failed runs; spent %.1f of %.1f", n, completed_,
                    failed_, spent_, budget_);
      host().info(line);
    }
  }

  Status run(const std::string& id, const Task& task, int attempt, const Event& cause) {
    spend(task.cost);
    return host().publish(outcome_of(id, task, attempt).caused_by(cause));
  }

  Message outcome_of(const std::string& id, const Task& task, int attempt) {
    const bool poisoned = task.number % 12 == 0;
    const bool fails = poisoned || (attempt == 1 && task.number % 4 == 0);
    Value d = Value::object();
    d.set("task_id", id).set("attempt", attempt);
    if (fails) {
      ++failed_;
      d.set("error", poisoned ? "poisoned input" : "timeout");
      return Message("task.failed").json(d);
    }
    ++completed_;
    return Message("task.completed").json(d);
  }

  void spend(double cost) {
    spent_ += cost;
    if (!critical_ && spent_ >= budget_) {
      critical_ = warned_ = true;
      alert("critical", Priority::kCritical);
    } else if (!warned_ && spent_ >= 0.8 * budget_) {
      warned_ = true;
      alert("warning", Priority::kHigh);
    }
  }

  void alert(const char* level, Priority p) {
    Value d = Value::object();
    d.set("level", level).set("spent", spent_).set("limit", budget_);
    (void)host().publish(Message("budget.alert").priority(p).json(d));
    char line[128];
    std::snprintf(line, sizeof(line), "budget %s: spent %.1f of %.1f", level, spent_, budget_);
    host().warn(line);
  }

  int64_t interval_ms_ = 2000;
  double budget_ = 100.0, spent_ = 0;
  bool paused_ = false, warned_ = false, critical_ = false;
  int count_ = 0, completed_ = 0, failed_ = 0;
  std::map<int, Task> tasks_;  // by task number
};

}  // namespace

CHORUS_PLUGIN(TaskWorker, "task_worker", "1.0.0",
              "creates and runs tasks against a budget; re-runs them on task.retry", "tasks")
