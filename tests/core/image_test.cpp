// CheckImage: the entry check every pipeline stage runs on its input images.
#include "skintrack/core/image.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <functional>
#include <limits>
#include <mutex>
#include <opencv2/core/utility.hpp>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "skintrack/core/parallel.h"

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace skintrack {
namespace {

TEST(CheckImageTest, AcceptsFiniteImage) {
  const cv::Mat image(40, 50, kImageType, cv::Scalar(0.2, 0.5, 1.0));
  EXPECT_TRUE(CheckImage(image, kImageType, 16, "x").ok());
}

TEST(CheckImageTest, RefusesEmptyWrongTypeAndSmall) {
  EXPECT_EQ(CheckImage(cv::Mat(), kImageType, 1, "x").code(), StatusCode::kInvalidInput);
  EXPECT_EQ(CheckImage(cv::Mat(40, 40, CV_8UC3), kImageType, 1, "x").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckImage(cv::Mat(40, 10, kImageType, cv::Scalar::all(0)), kImageType, 16, "x").code(),
            StatusCode::kInvalidInput);
}

// The message names the FIRST bad pixel in row-major order, whichever thread finds which.
TEST(CheckImageTest, NamesFirstNonFinitePixel) {
  cv::Mat image(600, 300, kImageType, cv::Scalar::all(0.5));
  image.at<cv::Vec3f>(590, 3)[0] = std::numeric_limits<float>::infinity();
  image.at<cv::Vec3f>(417, 250)[2] = std::numeric_limits<float>::quiet_NaN();
  image.at<cv::Vec3f>(417, 251)[1] = -std::numeric_limits<float>::infinity();
  const Status st = CheckImage(image, kImageType, 16, "photo.jpg");
  ASSERT_EQ(st.code(), StatusCode::kInvalidInput);
  EXPECT_NE(st.message().find("photo.jpg: pixel (250, 417) is not a finite value"),
            std::string::npos)
      << st.message();
}

TEST(CheckImageTest, RefusesHugeValuesAndChecksDoubleImages) {
  cv::Mat image(32, 32, kImageType, cv::Scalar::all(0.5));
  image.at<cv::Vec3f>(31, 31)[2] = 2e6f;
  EXPECT_EQ(CheckImage(image, kImageType, 16, "x").code(), StatusCode::kInvalidInput);
  image.at<cv::Vec3f>(31, 31)[2] = -9e5f;  // large but inside [-1e6, 1e6]
  EXPECT_TRUE(CheckImage(image, kImageType, 16, "x").ok());
  cv::Mat d(32, 32, CV_64FC1, cv::Scalar(1.0));
  d.at<double>(5, 7) = std::numeric_limits<double>::quiet_NaN();
  const Status st = CheckImage(d, CV_64FC1, 16, "d");
  EXPECT_NE(st.message().find("pixel (7, 5)"), std::string::npos) << st.message();
}

// A view into a larger image (non-continuous rows) is checked over the view only.
TEST(CheckImageTest, ChecksViewsOnly) {
  cv::Mat image(64, 64, kImageType, cv::Scalar::all(0.5));
  image.at<cv::Vec3f>(0, 0)[0] = std::numeric_limits<float>::quiet_NaN();
  const cv::Mat view = image(cv::Rect(8, 8, 40, 40));
  EXPECT_TRUE(CheckImage(view, kImageType, 16, "view").ok());
  image.at<cv::Vec3f>(20, 30)[1] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_NE(CheckImage(view, kImageType, 16, "view").message().find("pixel (22, 12)"),
            std::string::npos);
}

// Inside a FiniteImageScope the value scan is skipped for the named buffer (and views of it),
// which is how a NaN written against the scope's promise goes through; type and size are still
// checked, and once the scope ends the scan finds the NaN again.
TEST(FiniteImageScopeTest, SkipsTheScanOfNamedImagesOnly) {
  cv::Mat image(64, 64, kImageType, cv::Scalar::all(0.5));
  cv::Mat copy = image.clone();
  image.at<cv::Vec3f>(10, 20)[1] = std::numeric_limits<float>::quiet_NaN();
  copy.at<cv::Vec3f>(10, 20)[1] = std::numeric_limits<float>::quiet_NaN();
  {
    const FiniteImageScope known{image};
    EXPECT_TRUE(IsKnownFinite(image));
    EXPECT_TRUE(IsKnownFinite(image(cv::Rect(5, 5, 30, 30))));
    EXPECT_TRUE(CheckImage(image, kImageType, 16, "x").ok());
    EXPECT_TRUE(CheckImage(image(cv::Rect(5, 5, 30, 30)), kImageType, 16, "x").ok());
    EXPECT_FALSE(IsKnownFinite(copy));  // another buffer
    EXPECT_EQ(CheckImage(copy, kImageType, 16, "copy").code(), StatusCode::kInvalidInput);
    EXPECT_TRUE(IsKnownFinite(image.reshape(1)));  // same buffer and depth
    cv::Mat as_int = image;                        // same buffer read as other values: not known
    as_int.flags = (as_int.flags & ~CV_MAT_DEPTH_MASK) | CV_32S;
    EXPECT_FALSE(IsKnownFinite(as_int));
    EXPECT_EQ(CheckImage(image, CV_32FC1, 16, "x").code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(CheckImage(image, kImageType, 100, "x").code(), StatusCode::kInvalidInput);
  }
  EXPECT_FALSE(IsKnownFinite(image));
  EXPECT_NE(CheckImage(image, kImageType, 16, "x").message().find("pixel (20, 10)"),
            std::string::npos);
  // User-allocated memory has no buffer record: never known.
  float pixels[3 * 16 * 16] = {};
  const cv::Mat wrapped(16, 16, kImageType, pixels);
  const FiniteImageScope ignored{wrapped};
  EXPECT_FALSE(IsKnownFinite(wrapped));
}

// Scopes nest and may name the same image; ForgetKnownFinite drops every scope's reference,
// so that a released image's memory is freed, and the scopes end cleanly after it.
TEST(FiniteImageScopeTest, NestsAndForgets) {
  cv::Mat a(8, 8, CV_32FC1, cv::Scalar(0.5)), b(8, 8, CV_32FC1, cv::Scalar(0.5));
  FiniteImageScope outer{a, b};
  {
    FiniteImageScope inner;
    inner.Add(a);
    inner.Add(cv::Mat());  // ignored
  }
  EXPECT_TRUE(IsKnownFinite(a));  // the outer scope still names it
  EXPECT_TRUE(IsKnownFinite(b));
  // The scopes hold a reference each: a's buffer is shared with the registry.
  EXPECT_GT(a.u->refcount, 1);
  const cv::Mat header = a;
  ForgetKnownFinite(a);
  EXPECT_FALSE(IsKnownFinite(header));
  EXPECT_EQ(a.u->refcount, 2);  // a and header only
  EXPECT_TRUE(IsKnownFinite(b));
}

// Scopes opened and closed on several threads while others look images up.
TEST(FiniteImageScopeTest, ThreadSafe) {
  std::vector<cv::Mat> images;
  for (int i = 0; i < 8; ++i) images.emplace_back(8, 8, CV_32FC1, cv::Scalar(i));
  const FiniteImageScope shared{images[0]};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 500; ++k) {
        const cv::Mat& mine = images[1 + (t + k) % 7];
        FiniteImageScope scope{mine};
        if (!IsKnownFinite(mine) || !IsKnownFinite(images[0])) ++failures;
        if (!CheckImage(mine, CV_32FC1, 8, "m").ok()) ++failures;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  for (int i = 1; i < 8; ++i) EXPECT_FALSE(IsKnownFinite(images[i])) << i;
  EXPECT_TRUE(IsKnownFinite(images[0]));
}

// The contract RunEach and RunEachOnThreads share: every task runs; an exception becomes
// kInternal naming the caller; the first failure in task order is returned.
void ExpectRunsAllAndTurnsExceptionsIntoStatus(Status (*run)(int, const std::function<Status(int)>&,
                                                             const char*)) {
  std::atomic<int> ran{0};
  EXPECT_TRUE(run(
                  3,
                  [&](int) {
                    ++ran;
                    return Status::Ok();
                  },
                  "t")
                  .ok());
  EXPECT_EQ(ran.load(), 3);
  const Status st = run(
      2,
      [](int i) -> Status {
        if (i == 1) throw std::runtime_error("boom");
        return Status::InvalidInput("first");
      },
      "stage");
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput);  // task 0's failure comes first
  const Status thrown = run(
      2, [](int i) -> Status { throw std::runtime_error(i ? "b" : "a"); }, "stage");
  EXPECT_EQ(thrown.code(), StatusCode::kInternal);
  EXPECT_NE(thrown.message().find("stage: a"), std::string::npos) << thrown.message();
  EXPECT_TRUE(run(
                  0, [](int) { return Status::Internal("never"); }, "t")
                  .ok());
}

TEST(RunEachTest, RunsAllAndTurnsExceptionsIntoStatus) {
  ExpectRunsAllAndTurnsExceptionsIntoStatus(RunEach);
}

// RunEachOnThreads: the same contract; and once task 0 has finished, an OpenCV loop inside
// task 1 runs on more than one thread (inside RunEach it would run on one).
TEST(RunEachOnThreadsTest, RunsAllTurnsExceptionsIntoStatusAndFreesTheCores) {
  ExpectRunsAllAndTurnsExceptionsIntoStatus(RunEachOnThreads);

  if (cv::getNumThreads() < 2) GTEST_SKIP() << "OpenCV has one thread: nothing to share";
  std::atomic<bool> first_done{false};
  std::mutex mu;
  std::set<std::thread::id> ids;
  ASSERT_TRUE(RunEachOnThreads(
                  2,
                  [&](int i) {
                    if (i == 0) {
                      first_done = true;
                      return Status::Ok();
                    }
                    while (!first_done) std::this_thread::yield();
                    cv::parallel_for_(cv::Range(0, 64), [&](const cv::Range&) {
                      std::this_thread::sleep_for(std::chrono::milliseconds(2));
                      std::lock_guard<std::mutex> lock(mu);
                      ids.insert(std::this_thread::get_id());
                    });
                    return Status::Ok();
                  },
                  "t")
                  .ok());
  EXPECT_GE(ids.size(), 2u);
}

// OneShot: the first Set or Close decides; Wait blocks until then; CloseOnExit closes on
// every path out of a scope (so a waiting thread is released when the setter fails).
// Fixed bands: 130 rows in bands of 64 are [0, 64), [64, 128), [128, 130), each run once;
// no rows, or no band height, is no band.
TEST(ForEachRowBandTest, CoversEveryRowOnceInFixedBands) {
  EXPECT_EQ(RowBandCount(130, 64), 3);
  EXPECT_EQ(RowBandCount(128, 64), 2);
  EXPECT_EQ(RowBandCount(0, 64), 0);
  EXPECT_EQ(RowBandCount(10, 0), 0);
  std::vector<std::atomic<int>> runs(130);
  std::vector<std::pair<int, int>> bands(3, {-1, -1});
  ForEachRowBand(130, 64, [&](int b, int y0, int y1) {
    bands[static_cast<size_t>(b)] = {y0, y1};
    for (int y = y0; y < y1; ++y) ++runs[static_cast<size_t>(y)];
  });
  EXPECT_EQ(bands[0], std::make_pair(0, 64));
  EXPECT_EQ(bands[1], std::make_pair(64, 128));
  EXPECT_EQ(bands[2], std::make_pair(128, 130));
  for (const auto& r : runs) EXPECT_EQ(r.load(), 1);
  int called = 0;
  ForEachRowBand(0, 64, [&](int, int, int) { ++called; });
  EXPECT_EQ(called, 0);
}

TEST(OneShotTest, FirstDecisionWinsAndWaitBlocksUntilIt) {
  OneShot<int> set;
  set.Set(3);
  set.Set(4);
  set.Close();
  EXPECT_EQ(set.Wait(), std::optional<int>(3));
  OneShot<int> closed;
  closed.Close();
  closed.Set(5);
  EXPECT_FALSE(closed.Wait().has_value());
  OneShot<int> later;
  std::atomic<bool> got{false};
  std::optional<int> value;
  BackgroundTask waiter(
      [&] {
        value = later.Wait();
        got = true;
        return Status::Ok();
      },
      "t");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(got.load());  // still waiting
  later.Set(7);
  ASSERT_TRUE(waiter.Wait().ok());
  EXPECT_EQ(value, std::optional<int>(7));
  OneShot<int> guarded;
  BackgroundTask guarded_waiter(
      [&] { return guarded.Wait() ? Status::Internal("set") : Status::Ok(); }, "t");
  try {
    const OneShot<int>::CloseOnExit close(&guarded);
    throw std::runtime_error("setter fails");
  } catch (const std::runtime_error&) {
  }
  EXPECT_TRUE(guarded_waiter.Wait().ok());  // released with no value
}

#ifdef __linux__
// TaskPriority::kLow: the task's thread runs 10 nice levels below the caller's (at most 19);
// kNormal keeps the caller's.
TEST(BackgroundTaskTest, LowPriorityRaisesTheThreadsNiceValue) {
  errno = 0;
  const int caller = getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
  ASSERT_EQ(errno, 0);
  for (const TaskPriority p : {TaskPriority::kNormal, TaskPriority::kLow}) {
    int nice = -100;
    BackgroundTask t(
        [&] {
          errno = 0;
          nice = getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
          return errno == 0 ? Status::Ok() : Status::Internal("getpriority failed");
        },
        "t", p);
    ASSERT_TRUE(t.Wait().ok());
    EXPECT_EQ(nice, p == TaskPriority::kLow ? std::min(19, caller + 10) : caller);
  }
}
#endif

// BackgroundTask: its status and exceptions come back through Wait(); when the caller leaves
// by an exception, the destructor joins (no std::terminate) after the task has finished.
TEST(BackgroundTaskTest, WaitReturnsStatusAndDestructorJoins) {
  BackgroundTask ok([] { return Status::InvalidInput("x"); }, "t");
  EXPECT_EQ(ok.Wait().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(ok.Wait().code(), StatusCode::kInvalidInput);  // a second Wait is harmless
  BackgroundTask thrown([]() -> Status { throw std::runtime_error("bad"); }, "lighting");
  EXPECT_NE(thrown.Wait().message().find("lighting: bad"), std::string::npos);
  std::atomic<bool> finished{false};
  try {
    BackgroundTask slow(
        [&] {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          finished = true;
          return Status::Ok();
        },
        "slow");
    throw std::runtime_error("caller fails");
  } catch (const std::runtime_error&) {
    EXPECT_TRUE(finished.load());  // joined before the exception left the scope
  }
}

}  // namespace
}  // namespace skintrack
