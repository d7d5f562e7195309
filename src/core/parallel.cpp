#include "skintrack/core/parallel.h"

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <cerrno>
#include <exception>
#include <memory>
#include <new>
#include <opencv2/core/utility.hpp>
#include <string>
#include <vector>

namespace skintrack {
namespace {

// task(), an exception turned into a kInternal status naming `what`.
template <typename Task>
Status Guarded(const char* what, const Task& task) {
  try {
    return task();
  } catch (const std::bad_alloc&) {
    return Status::Internal(std::string(what) + ": out of memory");
  } catch (const std::exception& e) {
    return Status::Internal(std::string(what) + ": " + e.what());
  }
}

}  // namespace

Status RunEach(int n, const std::function<Status(int)>& task, const char* what) {
  if (n <= 0) return Status::Ok();
  std::vector<Status> st(static_cast<size_t>(n));
  cv::parallel_for_(
      cv::Range(0, n),
      [&](const cv::Range& r) {
        for (int i = r.start; i < r.end; ++i)
          st[static_cast<size_t>(i)] = Guarded(what, [&] { return task(i); });
      },
      n);
  for (const Status& s : st) SKINTRACK_RETURN_IF_ERROR(s);
  return Status::Ok();
}

Status RunEachOnThreads(int n, const std::function<Status(int)>& task, const char* what) {
  if (n <= 0) return Status::Ok();
  std::vector<std::unique_ptr<BackgroundTask>> others;
  // (A thread that cannot be started throws std::system_error: the tasks already started
  // are still joined below.)
  const Status first = Guarded(what, [&] {
    for (int i = 1; i < n; ++i)
      others.push_back(std::make_unique<BackgroundTask>([&task, i] { return task(i); }, what));
    return task(0);
  });
  std::vector<Status> st{first};
  for (auto& t : others) st.push_back(t->Wait());  // joins every thread before returning
  for (const Status& s : st) SKINTRACK_RETURN_IF_ERROR(s);
  return Status::Ok();
}

namespace {

// Lowers the calling thread's priority by 10 nice levels (at most 19); a hint: failures are
// ignored.
void LowerThisThreadsPriority() {
#ifdef __linux__
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  errno = 0;
  const int nice = getpriority(PRIO_PROCESS, tid);
  if (errno == 0) setpriority(PRIO_PROCESS, tid, std::min(19, nice + 10));
#endif
}

}  // namespace

BackgroundTask::BackgroundTask(std::function<Status()> task, const char* what,
                               TaskPriority priority) {
  // A thread inherits its creator's nice value, and OpenCV's parallel backend (TBB in Debian's
  // build) starts its worker threads when a loop first needs them: start them here, at the
  // caller's priority, so that a low-priority task does not create the workers every later
  // loop of the process runs on (in compare, `ps -L` shows the worker at nice 0). The loops a
  // low-priority task runs on those workers keep their priority: only its own share is lower.
  if (priority == TaskPriority::kLow)
    cv::parallel_for_(cv::Range(0, std::max(2, cv::getNumThreads())), [](const cv::Range&) {});
  thread_ = std::thread([this, task = std::move(task), what, priority] {
    if (priority == TaskPriority::kLow) LowerThisThreadsPriority();
    status_ = Guarded(what, task);
  });
}

BackgroundTask::~BackgroundTask() {
  if (thread_.joinable()) thread_.join();
}

Status BackgroundTask::Wait() {
  if (thread_.joinable()) thread_.join();
  return status_;
}

int RowBandCount(int rows, int band_rows) {
  return band_rows > 0 && rows > 0 ? (rows + band_rows - 1) / band_rows : 0;
}

void ForEachRowBand(int rows, int band_rows, const std::function<void(int, int, int)>& band) {
  const int bands = RowBandCount(rows, band_rows);
  cv::parallel_for_(cv::Range(0, bands), [&](const cv::Range& r) {
    for (int b = r.start; b < r.end; ++b)
      band(b, b * band_rows, std::min(rows, (b + 1) * band_rows));
  });
}

}  // namespace skintrack
