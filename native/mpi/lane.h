// The communication thread ("lane") of gradpath's MPI addon and the queued operation ("job"):
// included by gradpath_mpi.cc only (one translation unit, so these stay file-local).
#pragma once
#include <mpi.h>
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

// The most elements one MPI call is given: counts are ints, so larger arrays go in chunks.
// Tests lower it (setChunkElements) to exercise the chunked paths on small arrays.
int64_t g_chunk = INT_MAX;
int g_provided = -1;
bool g_finalized = false;

std::string MpiError(const char* call, int code) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) len = 0;
  return std::string(call) + " failed: " + (len ? std::string(text, len) : "error " + std::to_string(code));
}

#define MPI_TRY(call, expr)                       \
  do {                                            \
    int rc_ = (expr);                             \
    if (rc_ != MPI_SUCCESS) return MpiError(call, rc_); \
  } while (0)

class Lane;

// One queued operation. Run() is called on the lane's thread; Result() and the destructor on
// the JavaScript thread.
struct Job {
  explicit Job(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
  virtual ~Job() = default;
  virtual std::string Run() = 0;  // "" on success, else the error message
  virtual Napi::Value Result(Napi::Env env) { return env.Undefined(); }
  void Keep(const Napi::Value& v) { keep.push_back(Napi::Persistent(v.As<Napi::Object>())); }

  Napi::Promise::Deferred deferred;
  std::vector<Napi::ObjectReference> keep;  // the arrays in use stay alive (and unrecycled) until done
  std::string error;
};

// A FIFO communication thread.
class Lane {
 public:
  explicit Lane(Napi::Env env) {
    auto noop = Napi::Function::New(env, [](const Napi::CallbackInfo&) {});
    tsfn_ = Napi::ThreadSafeFunction::New(env, noop, "gradpath-mpi", 0, 1);
    tsfn_.Unref(env);  // an idle lane does not keep the process alive
    thread_ = std::thread([this] { Loop(); });
  }
  ~Lane() {
    // Only reached at process exit when Stop() was not called (a job still blocked in MPI).
    if (thread_.joinable()) thread_.detach();
  }

  // JavaScript thread: queues a job; returns its sequence number (1, 2, ...).
  uint64_t Submit(Napi::Env env, Job* job) {
    if (pending_++ == 0) tsfn_.Ref(env);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(job);
    }
    cv_.notify_one();
    return ++submitted_;
  }
  uint64_t Submitted() const { return submitted_; }
  uint64_t Finished() const { return finished_.load(); }

  // JavaScript thread: blocks until job `seq` (and every job before it) has run, or `seconds`
  // pass; true when it ran. Its promise still settles later, on the event loop. This is how a
  // collective inside a synchronous forward or backward (tensor parallelism) waits for its result.
  bool WaitFor(uint64_t seq, double seconds) {
    std::unique_lock<std::mutex> lock(done_mutex_);
    return done_cv_.wait_for(lock, std::chrono::duration<double>(seconds), [&] { return finished_.load() >= seq; });
  }
  int Pending() const { return pending_; }

  // JavaScript thread, with nothing pending: ends the thread.
  void Stop() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
    tsfn_.Release();
  }

 private:
  void Loop() {
    for (;;) {
      Job* job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;
        job = queue_.front();
        queue_.pop_front();
      }
      try {
        job->error = job->Run();
      } catch (const std::exception& e) {
        job->error = e.what();
      }
      {
        std::lock_guard<std::mutex> lock(done_mutex_);
        finished_.fetch_add(1);
      }
      done_cv_.notify_all();
      tsfn_.NonBlockingCall(job, [this](Napi::Env env, Napi::Function, Job* done) { Complete(env, done); });
    }
  }

  void Complete(Napi::Env env, Job* job) {
    Napi::HandleScope scope(env);
    try {
      if (job->error.empty()) job->deferred.Resolve(job->Result(env));
      else job->deferred.Reject(Napi::Error::New(env, job->error).Value());
    } catch (const Napi::Error& e) {
      job->deferred.Reject(e.Value());
    }
    delete job;
    if (--pending_ == 0) tsfn_.Unref(env);
  }

  Napi::ThreadSafeFunction tsfn_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job*> queue_;
  bool stop_ = false;
  int pending_ = 0;          // JavaScript thread only
  uint64_t submitted_ = 0;   // JavaScript thread only
  std::atomic<uint64_t> finished_{0};
  std::mutex done_mutex_;
  std::condition_variable done_cv_;
};

// Every lane, so that finalize can stop them all. Never destroyed (no static destructors at exit).
std::vector<std::shared_ptr<Lane>>& Lanes() {
  static auto* lanes = new std::vector<std::shared_ptr<Lane>>();
  return *lanes;
}

std::shared_ptr<Lane> NewLane(Napi::Env env) {
  // Without MPI_THREAD_MULTIPLE every communicator shares the first lane.
  if (g_provided < MPI_THREAD_MULTIPLE && !Lanes().empty()) return Lanes().front();
  auto lane = std::make_shared<Lane>(env);
  Lanes().push_back(lane);
  return lane;
}


}  // namespace
