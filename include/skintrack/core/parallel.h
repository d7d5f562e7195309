// Coarse task parallelism on OpenCV's thread pool.
#pragma once

#include <functional>
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
// Exceptions and the returned status as RunEach's.
Status RunEachOnThreads(int n, const std::function<Status(int)>& task, const char* what);

// Runs `task` on a thread of its own beside the caller. OpenCV keeps one "inside a parallel
// region" flag for the whole process, so while either thread is inside a parallel OpenCV call
// the other's run serially: the two share the cores. An exception in `task` becomes a kInternal
// status naming `what`; the thread is joined by Wait() or, should the caller leave early (a return,
// an exception), by the destructor, so it can never be left joinable (std::terminate).
class BackgroundTask {
 public:
  BackgroundTask(std::function<Status()> task, const char* what);
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
