// Coarse task parallelism on OpenCV's thread pool.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "skintrack/core/status.h"

namespace skintrack {

// Runs task(0) ... task(n - 1) at once on OpenCV's thread pool, at most n threads. OpenCV calls
// inside a task run serially (OpenCV does not nest parallel regions), so each task keeps one
// core: use it for independent tasks of similar cost. An exception thrown by a task becomes a
// kInternal status naming `what`. Returns the first failure in task order, else Ok.
Status RunEach(int n, const std::function<Status(int)>& task, const char* what);

// Runs task(0) on the caller's thread and task(1) ... task(n - 1) on threads of their own, all
// at once. Unlike RunEach, OpenCV calls inside a task may run in parallel: OpenCV runs one
// parallel region at a time (see BackgroundTask), so while one task is inside one, the others'
// OpenCV calls run serially, and once a task has finished, the others' get every core. Use it
// for a few independent tasks whose costs differ (two photos' metrics): a task that ends early
// leaves its core to the rest. Results must not depend on how OpenCV splits its loops.
// Exceptions and the returned status as RunEach's; a thread that cannot be started is a
// kInternal status too (the tasks already started are joined first).
Status RunEachOnThreads(int n, const std::function<Status(int)>& task, const char* what);

// Rows [0, rows) cut into fixed bands of band_rows rows (the last one shorter): their count,
// and band(b, y0, y1) run for every band [y0, y1) on OpenCV's thread pool. The bands do not
// depend on the number of threads, so per-band results reduced in band order give the same
// result on any machine.
int RowBandCount(int rows, int band_rows);
void ForEachRowBand(int rows, int band_rows, const std::function<void(int, int, int)>& band);

// A value handed from one thread to another once: the first Set() or Close() decides, later
// calls are ignored; Wait() blocks until then and returns the value (nullopt after Close()).
// Close() on every path of the setting side (a return, an exception: see CloseOnExit) so that
// a waiting thread cannot wait forever.
template <typename T>
class OneShot {
 public:
  void Set(T value) { Decide(std::optional<T>(std::move(value))); }
  void Close() { Decide(std::nullopt); }
  std::optional<T> Wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    decided_cv_.wait(lock, [this] { return decided_; });
    return value_;
  }

  // Closes `shot` when it goes out of scope.
  class CloseOnExit {
   public:
    explicit CloseOnExit(OneShot* shot) : shot_(shot) {}
    ~CloseOnExit() { shot_->Close(); }
    CloseOnExit(const CloseOnExit&) = delete;
    CloseOnExit& operator=(const CloseOnExit&) = delete;

   private:
    OneShot* shot_;
  };

 private:
  void Decide(std::optional<T> value) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (decided_) return;
      decided_ = true;
      value_ = std::move(value);
    }
    decided_cv_.notify_all();
  }
  std::mutex mutex_;
  std::condition_variable decided_cv_;
  bool decided_ = false;
  std::optional<T> value_;
};

// kLow: a BackgroundTask's thread runs at a lower scheduling priority than the caller's
// (Linux: nice + 10; elsewhere unchanged), so it takes mostly the core time the caller's threads
// leave idle (serial stretches) instead of slowing them. Results do not depend on it.
enum class TaskPriority { kNormal, kLow };

// Runs `task` on a thread of its own beside the caller. OpenCV keeps one "inside a parallel
// region" flag for the whole process, so while either thread is inside a parallel OpenCV call
// the other's run serially: the two share the cores. An exception in `task` becomes a kInternal
// status naming `what`; the thread is joined by Wait() or, should the caller leave early (a return,
// an exception), by the destructor, so it can never be left joinable (std::terminate).
class BackgroundTask {
 public:
  BackgroundTask(std::function<Status()> task, const char* what,
                 TaskPriority priority = TaskPriority::kNormal);
  ~BackgroundTask();
  BackgroundTask(const BackgroundTask&) = delete;
  BackgroundTask& operator=(const BackgroundTask&) = delete;
  // Joins the thread (once) and returns the task's status.
  Status Wait();

 private:
  Status status_;
  std::thread thread_;
};

}  // namespace skintrack
