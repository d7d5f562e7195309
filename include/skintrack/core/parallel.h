// Coarse task parallelism on OpenCV's thread pool.
#pragma once

#include <functional>

#include "skintrack/core/status.h"

namespace skintrack {

// Runs task(0) ... task(n - 1) at once on OpenCV's thread pool, at most n threads. OpenCV calls
// inside a task run serially (OpenCV does not nest parallel regions), so each task keeps one
// core: use it for independent tasks of similar cost. An exception thrown by a task becomes a
// kInternal status naming `what`. Returns the first failure in task order, else Ok.
Status RunEach(int n, const std::function<Status(int)>& task, const char* what);

}  // namespace skintrack
